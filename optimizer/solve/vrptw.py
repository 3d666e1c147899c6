"""The project's own engine for the classic VRPTW (Solomon / VRPLIB instances), on OR-Tools.

The instance is a plain dict with VRPLIB's key names and integer data (the benchmark reader
``benchmarks/vrptw.py`` builds it with the DIMACS convention: ``trunc(10 x Euclidean)``
distances, time windows and service times x 10):

- ``edge_weight``: ``(n, n)`` integer matrix, node 0 is the depot; it is both the distance (the
  objective) and the travel time;
- ``time_window``: ``(n, 2)`` earliest and latest start of service (same time unit);
- ``service_time``: ``(n,)`` service durations (0 at the depot) or one number for all clients;
- ``demand``: ``(n,)`` integer demands, ``capacity``: vehicle capacity;
- ``vehicles``: fleet size (optional; default one vehicle per client).

Routes are lists of client node indices (1..n-1) in visiting order, without the depot, as in
VRPLIB ``.sol`` files. The objective is total distance only (not vehicles first).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.errors import SolveError
from optimizer.solve.vrptw_sisr import SisrData, SisrSettings, sisr

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class VrptwSettings:
    """Search settings of :func:`solve_vrptw`; the defaults are the best measured on Solomon's
    C101/R101/RC101 at 30 s (docs/benchmarks_vrptw.md).

    The search: a first solution by OR-Tools (``first_solution``, then guided local search for
    ``first_share`` of the time limit), then SISR ruin and recreate with simulated annealing
    (:mod:`optimizer.solve.vrptw_sisr`, parameters ``sisr``) until the limit. With
    ``workers`` > 1 (default: 2 when the machine has 2 cores) the others run in forked
    processes with other seeds and first solutions. Worker ``w`` anneals with a price per
    used route of ``route_prices[w % len(route_prices)]`` x the mean arc length of its first
    solution: the distance-optimal fleet is unknown (Solomon's RC101 needs the fewest routes
    that fit, R101 one more than that), so the workers search under opposite pressures on
    the fleet: worker 0 is paid half a mean arc per route (a negative price: it keeps an
    extra route rather than drift to the fewest, R101), worker 1 pays two mean arcs (it
    drives the fleet down, RC101); every worker keeps its least-distance solution and the
    best of all is returned.
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    first_share: float = 0.03
    workers: int | None = None
    route_prices: tuple[float, ...] = (-0.5, 2.0)
    sisr: SisrSettings = SisrSettings()


@dataclass(frozen=True)
class VrptwResult:
    """A VRPTW solution: routes of client indices, total distance, fleet used, seconds spent.

    ``feasible`` is false when the solver found no solution or had to drop a client.
    """

    routes: list[list[int]]
    cost: int
    vehicles: int
    runtime_s: float
    feasible: bool


@dataclass(frozen=True)
class _Arrays:
    dist: np.ndarray
    windows: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    capacity: int
    vehicles: int


def _arrays(instance: dict) -> _Arrays:
    """Check and normalise the instance dict into integer numpy arrays."""
    try:
        dist = np.asarray(instance["edge_weight"])
        windows = np.asarray(instance["time_window"])
    except KeyError as exc:
        raise SolveError(f"VRPTW instance has no {exc.args[0]!r} entry") from exc
    n = dist.shape[0]
    if dist.shape != (n, n) or windows.shape != (n, 2):
        raise SolveError(
            f"VRPTW instance: edge_weight {dist.shape} and time_window {windows.shape} "
            f"do not describe the same {n} nodes"
        )
    if not np.issubdtype(dist.dtype, np.integer) or not np.issubdtype(windows.dtype, np.integer):
        raise SolveError("VRPTW instance: edge_weight and time_window must be integers")
    raw_service = instance.get("service_time", 0)
    service = np.zeros(n, dtype=np.int64)
    service[:] = raw_service
    if np.ndim(raw_service) == 0:
        service[0] = 0  # one number is the clients' service time, never the depot's
    demand = np.asarray(instance.get("demand", np.zeros(n)), dtype=np.int64)
    capacity = int(instance.get("capacity", max(int(demand.sum()), 1)))
    vehicles = int(instance.get("vehicles", n - 1))
    return _Arrays(
        dist.astype(np.int64), windows.astype(np.int64), service, demand, capacity, vehicles
    )


def _build(arr: _Arrays) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    """The routing model: distance arc costs, a time dimension with windows, a capacity one."""
    n = arr.dist.shape[0]
    manager = pywrapcp.RoutingIndexManager(n, arr.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_cb = routing.RegisterTransitMatrix(arr.dist.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)

    # Travel time of arc i -> j includes the service at i (the time to leave i).
    time_cb = routing.RegisterTransitMatrix((arr.dist + arr.service[:, None]).tolist())
    horizon = int(arr.windows[0, 1])
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(
            int(arr.windows[node, 0]), int(arr.windows[node, 1])
        )
    for v in range(arr.vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(int(arr.windows[0, 0]), horizon)

    demand_cb = routing.RegisterUnaryTransitVector(arr.demand.tolist())
    routing.AddDimensionWithVehicleCapacity(
        demand_cb, 0, [arr.capacity] * arr.vehicles, True, "Capacity"
    )
    # Safety net for tight windows: every client may be dropped at a prohibitive price.
    penalty = int(arr.dist.max()) * n + 1
    for node in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
    return manager, routing


def _routes(manager, routing, solution) -> list[list[int]]:
    routes: list[list[int]] = []
    for v in range(routing.vehicles()):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes


def route_cost(dist: np.ndarray, routes: Sequence[Sequence[int]]) -> int:
    """Total distance of routes that start and end at depot 0."""
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += int(dist[path[:-1], path[1:]].sum())
    return total


def _params(strategy: str, metaheuristic: str, seconds: float) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(_FSS, strategy)
    params.local_search_metaheuristic = getattr(_LSM, metaheuristic)
    params.time_limit.FromMilliseconds(max(int(seconds * 1000), 10))
    return params


def _first(arr: _Arrays, strategy: str, seconds: float) -> list[list[int]] | None:
    """First solution and guided local search for ``seconds``; None when nothing was found."""
    manager, routing = _build(arr)
    params = _params(strategy, "GUIDED_LOCAL_SEARCH", seconds)
    solution = routing.SolveWithParameters(params)
    return None if solution is None else _routes(manager, routing, solution)


_STRATEGIES = ("LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PARALLEL_CHEAPEST_INSERTION")
"""First-solution strategies of the worker processes (the main search uses the settings')."""


_MIN_FIRST_S = 0.5
"""Seconds the OR-Tools first solution gets at least (or half the search's time, if less):
with a share of a short limit alone (3 % of 0.5 s) it found nothing on a loaded machine."""

_MARGIN_S = 0.3
"""Seconds of the time limit kept for starting the worker process and collecting answers."""


def _search(
    arr: _Arrays, settings: VrptwSettings, deadline: float, seed: int, worker: int
) -> list[list[int]] | None:
    """One search until ``deadline`` (``perf_counter``, the same clock in every process):
    OR-Tools first solution, then SISR with this worker's route price (see
    :class:`VrptwSettings`). The least-distance routes, or None when OR-Tools found no
    solution serving every client."""
    start = time.perf_counter()
    seconds = max(deadline - start, 0.01)
    strategy = settings.first_solution if worker == 0 else _STRATEGIES[(worker - 1) % 3]
    first = max(seconds * settings.first_share, min(_MIN_FIRST_S, 0.5 * seconds))
    routes = _first(arr, strategy, first)
    if routes is None or sum(len(r) for r in routes) < arr.dist.shape[0] - 1:
        return None
    data = SisrData(arr.dist, arr.windows, arr.service, arr.demand, arr.capacity, arr.vehicles)
    rng = np.random.default_rng([seed, worker])
    factor = (
        settings.route_prices[worker % len(settings.route_prices)] if settings.route_prices else 0.0
    )
    arcs = sum(len(r) + 1 for r in routes)
    price = factor * route_cost(arr.dist, routes) / arcs
    sisr_settings = dataclasses.replace(settings.sisr, route_price=price)
    return sisr(data, routes, deadline, rng, sisr_settings)


def _workers(settings: VrptwSettings) -> int:
    if settings.workers is not None:
        return max(settings.workers, 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 2)


def _parallel(task, arr: _Arrays, settings: VrptwSettings, *args) -> list[list[int]] | None:
    """``task(arr, settings, *args, worker)`` as worker 0 in this process and the others in
    forked processes; the cheapest routes found (None when none found any)."""
    workers = _workers(settings)
    if workers == 1:
        return task(arr, settings, *args, 0)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
        futures = [pool.submit(task, arr, settings, *args, w) for w in range(1, workers)]
        found = [task(arr, settings, *args, 0)]
        found += [f.result() for f in futures]
    found = [r for r in found if r is not None]
    return min(found, key=lambda r: route_cost(arr.dist, r)) if found else None


def _with_pyvrp(
    arr: _Arrays,
    settings: VrptwSettings,
    coords: np.ndarray,
    deadline: float,
    seed: int,
    worker: int,
) -> list[list[int]] | None:
    """Worker 0: PyVRP on the instance's fleet. The others: our search for ``first_share`` of
    the time, then PyVRP with one vehicle fewer than it used (a smaller fleet often leads to
    a shorter total on tight windows; the best of both is kept)."""
    if worker == 0:
        return _pyvrp(arr, coords, deadline - time.perf_counter(), seed, arr.vehicles)
    now = time.perf_counter()
    routes = _search(arr, settings, now + (deadline - now) * settings.first_share, seed, 0)
    if routes is None or len(routes) <= 1:
        return routes
    fewer = _pyvrp(arr, coords, deadline - time.perf_counter(), seed + worker, len(routes) - 1)
    return routes if fewer is None else min(routes, fewer, key=lambda r: route_cost(arr.dist, r))


def _pyvrp(
    arr: _Arrays, coords: np.ndarray, seconds: float, seed: int, vehicles: int
) -> list[list[int]] | None:
    """PyVRP's hybrid genetic search on the same matrices with at most ``vehicles`` routes
    (PyVRP is an optional dependency); None when it found no feasible solution."""
    try:
        import pyvrp
        from pyvrp.exceptions import PenaltyBoundWarning
        from pyvrp.stop import MaxRuntime
    except ModuleNotFoundError as exc:
        raise SolveError("engine 'pyvrp' needs PyVRP: pip install pyvrp") from exc
    n = arr.dist.shape[0]
    early, late = arr.windows[:, 0].tolist(), arr.windows[:, 1].tolist()
    locations = [pyvrp.Location(x=float(x), y=float(y)) for x, y in coords]
    depots = [pyvrp.Depot(location=0, tw_early=early[0], tw_late=late[0])]
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(arr.demand[i])],
            service_duration=int(arr.service[i]),
            tw_early=early[i],
            tw_late=late[i],
        )
        for i in range(1, n)
    ]
    vehicle = pyvrp.VehicleType(
        vehicles, capacity=[arr.capacity], tw_early=early[0], tw_late=late[0]
    )
    data = pyvrp.ProblemData(locations, clients, depots, [vehicle], [arr.dist], [arr.dist])
    stop = MaxRuntime(max(seconds, 0.05))
    with warnings.catch_warnings():  # a capped fleet may be infeasible: that is expected
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False)
    if not result.is_feasible():
        return None
    return [
        [clients[a.idx].location for a in route.schedule() if a.is_client()]
        for route in result.best.routes()
    ]


ENGINES = ("ours", "pyvrp")


def solve_vrptw(
    instance: dict,
    *,
    time_limit: float,
    seed: int = 0,
    settings: VrptwSettings = VrptwSettings(),
    engine: str = "ours",
) -> VrptwResult:
    """Minimise the total distance of a VRPTW instance within ``time_limit`` seconds (wall).

    ``engine="ours"``: OR-Tools routing from numpy matrices gives a first solution (every
    client optional at a prohibitive price, so tight windows never leave it without one,
    then guided local search), improved by SISR ruin and recreate with simulated annealing,
    on up to two cores (see :class:`VrptwSettings`). ``engine="pyvrp"``: PyVRP's hybrid
    genetic search on the same matrices, when PyVRP is installed. ``seed`` drives the random
    choices; the result also depends on how much work fits in the time limit, so it is not
    exactly reproducible.
    """
    if engine not in ENGINES:
        raise SolveError(f"unknown VRPTW engine {engine!r}, choose from {list(ENGINES)}")
    start = time.perf_counter()
    arr = _arrays(instance)
    deadline = start + max(time_limit - _MARGIN_S, 0.5 * time_limit)
    if engine == "pyvrp":
        coords = np.asarray(instance.get("node_coord", np.zeros((len(arr.dist), 2))), dtype=float)
        routes = _parallel(_with_pyvrp, arr, settings, coords, deadline, seed)
    else:
        routes = _parallel(_search, arr, settings, deadline, seed)
    runtime = time.perf_counter() - start
    if routes is None:
        return VrptwResult([], 0, 0, runtime, False)
    return VrptwResult(routes, route_cost(arr.dist, routes), len(routes), runtime, True)
