"""Classic VRPTW benchmarks (Solomon instances in VRPLIB format), ours and PyVRP's.

Convention ("DIMACS rounding", as the best-known ``.sol`` costs use it): distances and travel
times are ``trunc(10 x Euclidean distance)`` integers, time windows and service times are
multiplied by 10, and the objective is total distance only. Costs here are in these x10
integer units (C101's best-known 827.3 is 8273).

The instance files stay in the shared reference data (``../shared/data/vrptw``); nothing is
copied into the repository.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import vrplib

from optimizer.errors import DataError
from optimizer.plan.validate import validate_vrptw_routes
from optimizer.solve.vrptw import route_cost, solve_vrptw


def _dimacs(values) -> np.ndarray:
    """``trunc(10 x value)`` as int64 (the DIMACS rounding of distances, times and windows)."""
    return (10 * np.asarray(values, dtype=float)).astype(np.int64)


def read_instance(path: str | Path) -> dict:
    """Read a VRPLIB VRPTW instance with DIMACS rounding into the dict ``solve_vrptw`` takes.

    Keys: ``name``, ``dimension``, ``vehicles``, ``capacity``, ``demand`` (n,),
    ``edge_weight`` (n, n; distance and travel time), ``time_window`` (n, 2), ``service_time``
    (n,; 0 at the depot), ``node_coord`` (n, 2); node 0 is the depot. All times x 10.
    """
    path = Path(path)
    try:
        raw = vrplib.read_instance(str(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read VRPLIB instance ({exc})") from exc
    for key in ("edge_weight", "time_window", "demand", "capacity"):
        if key not in raw:
            raise DataError(f"{path}: not a VRPTW instance, no {key.upper()} data")
    n = int(raw["dimension"])
    depots = np.atleast_1d(raw.get("depot", [0]))
    if list(depots) != [0]:
        raise DataError(f"{path}: only one depot at node 1 is supported, got {list(depots)}")
    service = np.zeros(n)
    service[:] = raw.get("service_time", 0)
    if np.ndim(raw.get("service_time", 0)) == 0:
        service[0] = 0
    return {
        "name": str(raw.get("name", path.stem)),
        "dimension": n,
        "vehicles": int(raw.get("vehicles", n - 1)),
        "capacity": int(raw["capacity"]),
        "demand": np.asarray(raw["demand"], dtype=np.int64),
        "edge_weight": _dimacs(raw["edge_weight"]),
        "time_window": _dimacs(raw["time_window"]),
        "service_time": _dimacs(service),
        "node_coord": np.asarray(raw.get("node_coord", np.zeros((n, 2))), dtype=float),
    }


def read_solution(path: str | Path) -> dict:
    """Read a VRPLIB ``.sol`` file: ``routes`` (client indices) and ``cost`` in x10 integers."""
    path = Path(path)
    try:
        raw = vrplib.read_solution(str(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read VRPLIB solution ({exc})") from exc
    if "routes" not in raw or "cost" not in raw:
        raise DataError(f"{path}: solution file has no routes or no 'Cost' line")
    routes = [[int(c) for c in route] for route in raw["routes"]]
    return {"routes": routes, "cost": round(10 * float(raw["cost"]))}


def instance_paths(folder: str | Path) -> list[Path]:
    """The ``.vrp`` files of a folder, sorted by name; a user error when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder of VRPTW instances")
    paths = sorted(folder.glob("*.vrp"))
    if not paths:
        raise DataError(f"{folder}: contains no .vrp instance files")
    return paths


def _row(path: Path, solver: str, routes, cost: int, seconds: float, instance: dict) -> dict:
    """One result row: cost (x10 units), vehicles, seconds, feasibility, best-known and gap %."""
    problems = validate_vrptw_routes(instance, routes)
    sol = path.with_suffix(".sol")
    best = read_solution(sol)["cost"] if sol.exists() else None
    gap = None if best is None or problems else round(100 * (cost - best) / best, 3)
    return {
        "instance": instance["name"],
        "solver": solver,
        "cost": int(cost),
        "vehicles": len([r for r in routes if r]),
        "time_s": round(seconds, 2),
        "feasible": not problems,
        "problems": problems[:5],
        "best_known": best,
        "gap_pct": gap,
    }


ENGINE_LABELS = {"ours": "ours", "pyvrp": "ours:pyvrp"}
"""Row label of each :func:`solve_vrptw` engine (``ours:pyvrp``: our engine with PyVRP)."""


def run_vrptw(
    folder: str | Path, time_limit: float, seed: int = 0, engine: str = "ours"
) -> list[dict]:
    """Solve every instance of ``folder`` with :func:`solve_vrptw` (``engine``); one checked
    row each, labelled by :data:`ENGINE_LABELS`."""
    rows = []
    for path in instance_paths(folder):
        instance = read_instance(path)
        result = solve_vrptw(instance, time_limit=time_limit, seed=seed, engine=engine)
        cost = route_cost(instance["edge_weight"], result.routes)
        label = ENGINE_LABELS[engine]
        rows.append(_row(path, label, result.routes, cost, result.runtime_s, instance))
    return rows


def run_pyvrp(
    folder: str | Path, time_limit: float, seed: int = 0, with_engine: bool = True
) -> list[dict]:
    """Solve every instance of ``folder`` with PyVRP (the peer, one core, row ``pyvrp``),
    same rounding and checks; with ``with_engine`` also with our PyVRP-based engine
    (``solve_vrptw(engine="pyvrp")``, rows ``ours:pyvrp``)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    rows = run_vrptw(folder, time_limit, seed, engine="pyvrp") if with_engine else []
    for path in instance_paths(folder):
        instance = read_instance(path)
        data = pyvrp.read(str(path), round_func="dimacs")
        start = time.perf_counter()
        result = pyvrp.solve(
            data, stop=MaxRuntime(time_limit), seed=seed, collect_stats=False, display=False
        )
        seconds = time.perf_counter() - start
        clients = data.clients()
        routes = [
            [clients[a.idx].location for a in route.schedule() if a.is_client()]
            for route in result.best.routes()
        ]
        cost = route_cost(instance["edge_weight"], routes)
        rows.append(_row(path, "pyvrp", routes, cost, seconds, instance))
    return rows


def summary(rows: Sequence[dict]) -> dict:
    """Mean gap % per solver over the rows with a gap (None when none)."""
    out: dict[str, float | None] = {}
    for solver in sorted({r["solver"] for r in rows}):
        gaps = [r["gap_pct"] for r in rows if r["solver"] == solver and r["gap_pct"] is not None]
        out[solver] = round(sum(gaps) / len(gaps), 3) if gaps else None
    return out
