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
from google.protobuf import text_format
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.errors import SolveError

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

DEFAULT_STRATEGIES: tuple[str, ...] = ("PARALLEL_CHEAPEST_INSERTION",)
"""First-solution strategies tried in turn, each with an equal share of the time limit."""


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


def _build(
    arr: _Arrays, optional: bool = True
) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
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
    for node in range(1, n if optional else 1):
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


def _params(strategy: str, seconds: float, options: dict) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(_FSS, strategy)
    params.local_search_metaheuristic = getattr(
        _LSM, options.get("metaheuristic", "GUIDED_LOCAL_SEARCH")
    )
    params.time_limit.FromMilliseconds(max(int(seconds * 1000), 1))
    for key, value in options.items():
        if (
            key in ("metaheuristic", "optional")
            or key.startswith("lns_")
            and key != "lns_time_limit"
        ):
            continue
        if key == "proto":
            text_format.Merge(value, params)
        elif key == "lns_time_limit":
            params.lns_time_limit.FromMilliseconds(int(value * 1000))
        elif key.startswith("op_"):
            setattr(params.local_search_operators, key[3:], value)
        else:
            setattr(params, key, value)
    return params


def solve_vrptw(
    instance: dict,
    *,
    time_limit: float,
    seed: int = 0,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    options: dict | None = None,
) -> VrptwResult:
    """Minimise the total distance of a VRPTW instance within ``time_limit`` seconds.

    OR-Tools routing: a first solution by each of ``strategies`` in turn (the time limit split
    evenly), improved by guided local search; the best is returned. ``seed`` rotates the order
    of the strategies (OR-Tools routing itself is deterministic). ``options`` sets fields of
    ``RoutingSearchParameters`` (``op_<name>`` for a local-search operator) for experiments.
    """
    start = time.perf_counter()
    arr = _arrays(instance)
    n = arr.dist.shape[0]
    order = list(strategies)
    if order:
        shift = seed % len(order)
        order = order[shift:] + order[:shift]
    best: tuple[int, int, list[list[int]]] | None = None  # (dropped, cost, routes)
    for k, strategy in enumerate(order):
        budget = time_limit * (1 - (options or {}).get("lns_share", 0))
        remaining = budget - (time.perf_counter() - start)
        share = remaining / (len(order) - k)
        if share <= 0:
            break
        manager, routing = _build(arr, (options or {}).get("optional", True))
        solution = routing.SolveWithParameters(_params(strategy, share, options or {}))
        if solution is None:
            continue
        routes = _routes(manager, routing, solution)
        dropped = n - 1 - sum(len(r) for r in routes)
        cost = route_cost(arr.dist, routes)
        if best is None or (dropped, cost) < best[:2]:
            best = (dropped, cost, routes)
    opts = options or {}
    if best is not None and best[0] == 0 and opts.get("lns_share"):
        deadline = start + time_limit
        routes = _lns(arr, best[2], deadline, np.random.default_rng(seed), opts)
        best = (0, route_cost(arr.dist, routes), routes)
    runtime = time.perf_counter() - start
    if best is None:
        return VrptwResult([], 0, 0, runtime, False)
    dropped, cost, routes = best
    return VrptwResult(routes, cost, len(routes), runtime, dropped == 0)


def _ruin(arr: _Arrays, routes: list[list[int]], rng: np.random.Generator, size: int, whole: bool):
    """Remove ``size`` clients close to a random seed client (spatial ruin); with ``whole``,
    first a whole short route (the seed is one of its clients), so the fleet can shrink."""
    n = arr.dist.shape[0]
    removed: set[int] = set()
    if whole and routes:
        weights = np.array([1.0 / len(r) for r in routes])
        route = routes[int(rng.choice(len(routes), p=weights / weights.sum()))]
        removed.update(route)
        seed_client = int(rng.choice(route))
    else:
        seed_client = int(rng.integers(1, n))
    near = np.argsort(arr.dist[seed_client] + arr.dist[:, seed_client])
    for c in near[near != 0]:
        if len(removed) >= size:
            break
        removed.add(int(c))
    return [[c for c in r if c not in removed] for r in routes]


def _lns(arr: _Arrays, routes: list[list[int]], deadline: float, rng, opts: dict):
    """Ruin and recreate around OR-Tools local search until ``deadline``; best routes."""
    manager, routing = _build(arr, True)
    inner = opts.get("lns_inner", 0.5)
    params = _params(
        "LOCAL_CHEAPEST_INSERTION",
        inner,
        {"metaheuristic": opts.get("lns_meta", "GREEDY_DESCENT"), **opts.get("lns_params", {})},
    )
    routing.CloseModelWithParameters(params)
    best, best_cost = routes, route_cost(arr.dist, routes)
    current, current_cost = best, best_cost
    size_lo, size_hi = opts.get("lns_ruin", (5, 20))
    iters = rebuilds = 0
    while time.perf_counter() + 0.05 < deadline:
        iters += 1
        left = deadline - time.perf_counter()
        params.time_limit.FromMilliseconds(max(int(min(inner, left) * 1000), 10))
        whole = rng.random() < opts.get("lns_route_ruin", 0.0)
        ruined = _ruin(arr, current, rng, int(rng.integers(size_lo, size_hi + 1)), whole)
        # vehicle v gets route v; empty routes are fine
        init = [r for r in ruined] + [[] for _ in range(arr.vehicles - len(ruined))]
        assignment = routing.ReadAssignmentFromRoutes(init[: arr.vehicles], True)
        if assignment is None:  # the model goes stale after some searches: rebuild it
            rebuilds += 1
            manager, routing = _build(arr, True)
            routing.CloseModelWithParameters(params)
            assignment = routing.ReadAssignmentFromRoutes(init[: arr.vehicles], True)
            if assignment is None:
                continue
        solution = routing.SolveFromAssignmentWithParameters(assignment, params)
        if solution is None:
            continue
        cand = _routes(manager, routing, solution)
        if sum(len(r) for r in cand) != arr.dist.shape[0] - 1:
            continue
        cost = route_cost(arr.dist, cand)
        if cost < current_cost or cost < best_cost * (1 + opts.get("lns_accept", 0.0)):
            current, current_cost = cand, cost
        if cost < best_cost:
            best, best_cost = cand, cost
            current, current_cost = cand, cost
    if opts.get("lns_verbose"):
        print("lns iterations", iters, "rebuilds", rebuilds)
    return best
