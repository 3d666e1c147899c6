"""The classic VRPTW engine, the Solomon reader and the VRPTW benchmark runner."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

vrplib = pytest.importorskip("vrplib")

from benchmarks.vrptw import read_instance, read_solution, run_vrptw  # noqa: E402
from optimizer.errors import SolveError  # noqa: E402
from optimizer.plan.validate import validate_vrptw_routes  # noqa: E402
from optimizer.solve.vrptw import VrptwSettings, route_cost, solve_vrptw  # noqa: E402
from optimizer.solve.vrptw_sisr import SisrData, sisr  # noqa: E402


def _write_tiny(folder: Path, seed: int = 7, clients: int = 8) -> Path:
    """A random 8-client VRPTW instance as a VRPLIB file (Solomon units, before x10)."""
    rng = np.random.default_rng(seed)
    coords = np.vstack([[25.0, 25.0], rng.uniform(0, 50, size=(clients, 2)).round(1)])
    early = rng.integers(0, 150, size=clients)
    windows = np.vstack([[0, 300], np.column_stack([early, early + 40])])
    path = folder / "TINY.vrp"
    vrplib.write_instance(
        path,
        {
            "NAME": "TINY",
            "TYPE": "VRPTW",
            "DIMENSION": clients + 1,
            "VEHICLES": clients,
            "CAPACITY": 10,
            "EDGE_WEIGHT_TYPE": "EUC_2D",
            "NODE_COORD_SECTION": coords,
            "DEMAND_SECTION": np.concatenate([[0], rng.integers(1, 6, size=clients)]),
            "SERVICE_TIME_SECTION": np.concatenate([[0], np.full(clients, 5)]),
            "TIME_WINDOW_SECTION": windows,
            "DEPOT_SECTION": np.array([1, -1]),
        },
    )
    return path


def _brute_force(inst: dict) -> tuple[int, list[list[int]]]:
    """Optimum by enumeration: every feasible route (DFS), then exact set partitioning (DP)."""
    dist, tw = inst["edge_weight"], inst["time_window"]
    service, demand, n = inst["service_time"], inst["demand"], inst["dimension"]
    routes: dict[int, tuple[int, list[int]]] = {}

    def extend(mask: int, seq: list[int], t: int, load: int, cost: int) -> None:
        last = seq[-1] if seq else 0
        if seq and t + dist[last, 0] <= tw[0, 1]:
            total = cost + int(dist[last, 0])
            if total < routes.get(mask, (math.inf,))[0]:
                routes[mask] = (total, list(seq))
        for c in range(1, n):
            start = max(t + int(dist[last, c]), int(tw[c, 0]))
            if mask >> c & 1 or load + demand[c] > inst["capacity"] or start > tw[c, 1]:
                continue
            seq.append(c)
            extend(
                mask | 1 << c,
                seq,
                start + int(service[c]),
                load + int(demand[c]),
                cost + int(dist[last, c]),
            )
            seq.pop()

    extend(0, [], int(tw[0, 0]), 0, 0)
    full = (1 << n) - 2
    best: dict[int, tuple[int, list[list[int]]]] = {0: (0, [])}
    for mask in range(2, full + 1, 2):  # masks in increasing order: sub-masks come first
        low = mask & -mask
        sub, options = mask, []
        while sub:
            if sub & low and sub in routes and (mask ^ sub) in best:
                rest_cost, rest = best[mask ^ sub]
                options.append((rest_cost + routes[sub][0], [*rest, routes[sub][1]]))
            sub = (sub - 1) & mask
        if options:
            best[mask] = min(options, key=lambda o: o[0])
    return best[full]


def test_tiny_instance_is_solved_to_the_brute_force_optimum(tmp_path):
    inst = read_instance(_write_tiny(tmp_path))
    optimum, _ = _brute_force(inst)
    result = solve_vrptw(inst, time_limit=1.5)
    assert result.feasible
    assert validate_vrptw_routes(inst, result.routes) == []
    assert result.cost == route_cost(inst["edge_weight"], result.routes) == optimum
    assert result.vehicles == len(result.routes)


def test_solomon_c101_reads_with_dimacs_rounding(shared_data):
    inst = read_instance(shared_data / "vrptw" / "C101.vrp")
    sol = read_solution(shared_data / "vrptw" / "C101.sol")
    assert inst["dimension"] == 101 and inst["edge_weight"].shape == (101, 101)
    assert inst["service_time"][0] == 0 and inst["service_time"][1] == 900
    assert sol["cost"] == 8273
    assert route_cost(inst["edge_weight"], sol["routes"]) == 8273
    assert validate_vrptw_routes(inst, sol["routes"]) == []


def test_bench_vrptw_command_writes_a_checked_table(tmp_path):
    from typer.testing import CliRunner

    from optimizer.cli import app

    inst = read_instance(_write_tiny(tmp_path))
    optimum, routes = _brute_force(inst)
    vrplib.write_solution(tmp_path / "TINY.sol", routes, {"Cost": optimum / 10})
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        app, ["bench", "vrptw", str(tmp_path), "--time-limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(out.read_text())["rows"]
    assert row["instance"] == "TINY" and row["feasible"]
    assert row["best_known"] == optimum and row["cost"] == optimum and row["gap_pct"] == 0


def test_bench_runner_rejects_a_folder_without_instances(tmp_path):
    from optimizer.errors import DataError

    with pytest.raises(DataError, match="no .vrp"):
        run_vrptw(tmp_path, time_limit=1)


def test_pyvrp_peer_and_pyvrp_engine_reach_the_same_optimum(tmp_path):
    pytest.importorskip("pyvrp")
    from benchmarks.vrptw import run_pyvrp

    inst = read_instance(_write_tiny(tmp_path))
    optimum, _ = _brute_force(inst)
    rows = run_pyvrp(tmp_path, time_limit=1)
    assert sorted(r["solver"] for r in rows) == ["ours:pyvrp", "pyvrp"]
    assert all(r["feasible"] and r["cost"] == optimum for r in rows)


def _sisr_data(inst: dict) -> SisrData:
    service = np.asarray(inst["service_time"])
    return SisrData(
        inst["edge_weight"],
        inst["time_window"],
        service,
        inst["demand"],
        inst["capacity"],
        inst["vehicles"],
    )


def test_sisr_improves_one_route_per_client_to_the_optimum(tmp_path):
    inst = read_instance(_write_tiny(tmp_path, seed=3))
    optimum, _ = _brute_force(inst)
    start = [[c] for c in range(1, inst["dimension"])]  # always feasible: windows allow it
    assert validate_vrptw_routes(inst, start) == []
    rng = np.random.default_rng(0)
    routes = sisr(_sisr_data(inst), start, time.perf_counter() + 1.0, rng)
    assert validate_vrptw_routes(inst, routes) == []
    assert route_cost(inst["edge_weight"], routes) == optimum


def test_sisr_with_a_capped_fleet_serves_the_left_out_clients(tmp_path):
    inst = read_instance(_write_tiny(tmp_path, seed=3))
    _, best_routes = _brute_force(inst)
    start = [[c] for c in range(1, inst["dimension"])]
    kept, pool = start[1:], start[0]  # one route fewer: its client left out
    assert len(kept) == len(start) - 1 and len(pool) == 1
    cap = len(best_routes)
    routes = sisr(
        _sisr_data(inst),
        kept,
        time.perf_counter() + 1.0,
        np.random.default_rng(0),
        max_routes=cap,
        pool=pool,
    )
    assert routes is not None and len(routes) <= cap
    assert validate_vrptw_routes(inst, routes) == []


def test_two_worker_processes_keep_the_time_limit_and_find_the_optimum(tmp_path):
    inst = read_instance(_write_tiny(tmp_path, seed=11))
    optimum, _ = _brute_force(inst)
    result = solve_vrptw(inst, time_limit=2.0, settings=VrptwSettings(workers=2))
    assert result.feasible and result.cost == optimum
    assert validate_vrptw_routes(inst, result.routes) == []
    assert result.runtime_s <= 2.5


def test_unknown_engine_is_refused(tmp_path):
    inst = read_instance(_write_tiny(tmp_path))
    with pytest.raises(SolveError, match="unknown VRPTW engine"):
        solve_vrptw(inst, time_limit=1, engine="gurobi")


def _small_intake(shared_data: Path, tmp_path: Path, clients: int = 12) -> Path:
    """The intake reference instance cut to its bases and first ``clients`` clients."""
    inst = json.loads((shared_data / "bench" / "intake_k8.json").read_text())
    keep = list(range(5 + clients))
    inst["locations"] = [inst["locations"][i] for i in keep]
    inst["clients"] = inst["clients"][:clients]
    for key in ("duration_min", "distance_m"):
        inst[key] = [[inst[key][i][j] for j in keep] for i in keep]
    inst.pop("reference")
    path = tmp_path / "intake_small.json"
    path.write_text(json.dumps(inst))
    return path


def test_pyvrp_intake_model_has_one_shift_per_person_and_working_day(shared_data):
    pytest.importorskip("pyvrp")
    from benchmarks.pyvrp_intake import build_model, load_instance, working_days

    inst = load_instance(shared_data / "bench" / "intake_k8.json")
    model = build_model(inst)
    days = working_days()
    assert days[0].isoformat() == "2023-01-02" and len(days) == 508  # 522 weekdays, 14 holidays
    assert model.data.num_vehicle_types == 5 * len(days)
    assert model.data.num_groups == 354 and model.data.num_clients == 354 * 8
    assert all(not c.required for c in model.data.clients())


def test_pyvrp_intake_plan_is_feasible_and_its_travel_is_recomputed(shared_data, tmp_path):
    pytest.importorskip("pyvrp")
    from benchmarks.pyvrp_intake import run_pyvrp_intake

    row = run_pyvrp_intake(_small_intake(shared_data, tmp_path), time_limit=1)
    assert row["feasible"], row["problems"]
    assert row["clients_visited"] == 12
    assert row["travel_min"] == row["pyvrp_cost"]


def test_incremental_schedules_match_a_full_recompute_after_insertions(tmp_path):
    from optimizer.solve import vrptw_sisr as vs

    inst = read_instance(_write_tiny(tmp_path, seed=5, clients=12))
    data = _sisr_data(inst)
    search = vs._Search(data, vs.SisrSettings(blink=0.0), np.random.default_rng(0), cap=12)
    state = vs._State.build(data, [])
    left = search.recreate(state, list(range(1, data.n)))
    assert left == []
    routes = state.routes(data)
    assert validate_vrptw_routes(inst, routes) == []
    assert state.cost == route_cost(inst["edge_weight"], routes)
    fresh = vs._State.build(data, routes)
    for r in range(data.vehicles):
        for node in [data.n + 2 * r, *state.route(data, r), data.n + 2 * r + 1]:
            assert state.early[node] == fresh.early[node]
            assert state.late[node] == fresh.late[node]


def test_sisr_state_refuses_more_routes_than_the_fleet(tmp_path):
    inst = read_instance(_write_tiny(tmp_path))
    data = _sisr_data({**inst, "vehicles": 2})
    with pytest.raises(ValueError, match="fleet of 2"):
        sisr(data, [[1], [2], [3]], time.perf_counter() + 0.1, np.random.default_rng(0))
