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

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_FALSE

from optimizer.errors import SolveError

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

_SLOW_REPAIR_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
"""Heuristic-LNS operators switched off in the repair step: they cost more than they find."""


@dataclass(frozen=True)
class VrptwSettings:
    """Search settings of :func:`solve_vrptw`; the defaults are the best measured on Solomon's
    C101/R101/RC101 at 30 s (docs/benchmarks_vrptw.md).

    The search: a first solution by ``first_solution``, improved by guided local search for
    ``gls_share`` of the time limit; then ruin and recreate until the limit: remove
    ``ruin_size`` clients near a random client (with probability ``route_ruin`` first a whole
    short route, so that the fleet can shrink), let OR-Tools' local search (greedy descent,
    at most ``repair_s`` seconds) put them back, keep the result if it is no worse than the
    current solution or within ``accept`` (a fraction) of the best.
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    gls_share: float = 0.2
    repair_s: float = 0.5
    ruin_size: tuple[int, int] = (5, 20)
    route_ruin: float = 0.5
    accept: float = 0.0


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


def _first(arr: _Arrays, settings: VrptwSettings, seconds: float) -> list[list[int]] | None:
    """First solution and guided local search for ``seconds``; None when nothing was found."""
    manager, routing = _build(arr)
    params = _params(settings.first_solution, "GUIDED_LOCAL_SEARCH", seconds)
    solution = routing.SolveWithParameters(params)
    return None if solution is None else _routes(manager, routing, solution)


def _ruin(
    arr: _Arrays, routes: list[list[int]], rng: np.random.Generator, size: int, whole: bool
) -> list[list[int]]:
    """Remove ``size`` clients close to a random client (spatial ruin); with ``whole``, first
    all clients of a short route (shorter routes more likely), so the fleet can shrink."""
    n = arr.dist.shape[0]
    removed: set[int] = set()
    if whole and routes:
        weights = np.array([1.0 / len(r) for r in routes])
        route = routes[int(rng.choice(len(routes), p=weights / weights.sum()))]
        removed.update(route)
        centre = int(rng.choice(route))
    else:
        centre = int(rng.integers(1, n))
    near = np.argsort(arr.dist[centre] + arr.dist[:, centre], kind="stable")
    for c in near[near != 0]:
        if len(removed) >= size:
            break
        removed.add(int(c))
    return [[c for c in r if c not in removed] for r in routes]


class _Repair:
    """OR-Tools local search (greedy descent) from a partial solution: puts the unserved
    clients back (they are optional at a prohibitive price) and improves the whole."""

    def __init__(self, arr: _Arrays, seconds: float):
        self.arr = arr
        self.params = _params("LOCAL_CHEAPEST_INSERTION", "GREEDY_DESCENT", seconds)
        for name in _SLOW_REPAIR_OPERATORS:
            setattr(self.params.local_search_operators, name, BOOL_FALSE)
        self._model()

    def _model(self) -> None:
        self.manager, self.routing = _build(self.arr)
        self.routing.CloseModelWithParameters(self.params)

    def __call__(self, routes: list[list[int]], seconds: float) -> list[list[int]] | None:
        self.params.time_limit.FromMilliseconds(max(int(seconds * 1000), 10))
        routes = routes + [[] for _ in range(self.arr.vehicles - len(routes))]
        start = self.routing.ReadAssignmentFromRoutes(routes, True)
        if start is None:  # the model can go stale after a search; a fresh one reads fine
            self._model()
            start = self.routing.ReadAssignmentFromRoutes(routes, True)
        if start is None:
            return None
        solution = self.routing.SolveFromAssignmentWithParameters(start, self.params)
        if solution is None:
            return None
        found = _routes(self.manager, self.routing, solution)
        complete = sum(len(r) for r in found) == self.arr.dist.shape[0] - 1
        return found if complete else None


def _ruin_and_recreate(
    arr: _Arrays,
    routes: list[list[int]],
    deadline: float,
    rng: np.random.Generator,
    settings: VrptwSettings,
) -> list[list[int]]:
    """Large neighbourhood search until ``deadline`` (a ``perf_counter`` time); best routes."""
    repair = _Repair(arr, settings.repair_s)
    best = current = routes
    best_cost = current_cost = route_cost(arr.dist, routes)
    low, high = settings.ruin_size
    while (left := deadline - time.perf_counter()) > 0.05:
        whole = rng.random() < settings.route_ruin
        ruined = _ruin(arr, current, rng, int(rng.integers(low, high + 1)), whole)
        found = repair(ruined, min(settings.repair_s, left))
        if found is None:
            continue
        cost = route_cost(arr.dist, found)
        if cost <= current_cost or cost < best_cost * (1 + settings.accept):
            current, current_cost = found, cost
        if cost < best_cost:
            best, best_cost = found, cost
    return best


def solve_vrptw(
    instance: dict,
    *,
    time_limit: float,
    seed: int = 0,
    settings: VrptwSettings = VrptwSettings(),
) -> VrptwResult:
    """Minimise the total distance of a VRPTW instance within ``time_limit`` seconds.

    OR-Tools routing from numpy matrices: a first solution by an insertion heuristic (every
    client optional at a prohibitive price, so tight windows never leave it without one),
    guided local search, then ruin and recreate around OR-Tools' local search (see
    :class:`VrptwSettings`). ``seed`` drives the ruin choices; the result also depends on
    how much work fits in the time limit, so it is not exactly reproducible.
    """
    start = time.perf_counter()
    arr = _arrays(instance)
    n = arr.dist.shape[0]
    routes = _first(arr, settings, time_limit * settings.gls_share)
    if routes is None:
        return VrptwResult([], 0, 0, time.perf_counter() - start, False)
    served = sum(len(r) for r in routes)
    if served == n - 1:
        rng = np.random.default_rng(seed)
        routes = _ruin_and_recreate(arr, routes, start + time_limit, rng, settings)
    cost = route_cost(arr.dist, routes)
    runtime = time.perf_counter() - start
    return VrptwResult(routes, cost, len(routes), runtime, served == n - 1)
