"""Smoke tests of the benchmark runners (``python -m benchmarks ...``) on tiny inputs, so that
they cannot rot: the national runner on the example restricted to Flevoland (6 municipalities
and the province, real boundaries, the national team and trainers), the intake-instance
writer's round trip, the intake comparison, the VRPTW runner, and the page renderer on small
fake results. The benchmarks themselves are not run here."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from benchmarks import national
from benchmarks.__main__ import main as bench_main
from benchmarks.__main__ import vrptw_main
from benchmarks.machine import finish_run, start_run
from benchmarks.render import (
    _linked_round_text,
    _sessions_first_text,
    _vrptw_verdict,
    goal_rows,
    render_markdown,
    render_page,
)
from optimizer.data.intake_bench import read_intake_benchmark, write_intake_instance
from optimizer.domain import Stage
from optimizer.solve.slots import Calendar, start_ranges
from optimizer.timeaxis import hhmm
from tests.factories import tiny_problem

PROVINCE = "PV24"
"""Flevoland: 6 municipalities and the province."""


@pytest.fixture(scope="module")
def flevoland(shared_data, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("flevoland")
    return national.write_province_scenario(folder, PROVINCE)


# ------------------------------------------------------------------------------ intake writer


def _windows(inst: dict) -> dict[str, list[tuple[str, str, str]]]:
    return {
        c["id"]: [(w["date"], w["earliest_start"], w["latest_start"]) for w in c["windows"]]
        for c in inst["clients"]
    }


def test_intake_instance_round_trips_through_the_reader(tmp_path):
    problem = tiny_problem()
    path = tmp_path / "tiny_k3.json"
    inst = write_intake_instance(problem, path, windows_per_org=3, seed=1)
    bench = read_intake_benchmark(path)
    back = bench.problem

    intakes = {v.org for v in problem.visits.values() if v.stage is Stage.INTAKE}
    assert {c["id"] for c in inst["clients"]} | set(inst["omitted"]) == intakes
    assert sorted(back.organisations) == sorted(c["id"] for c in inst["clients"])
    team = sorted(p for p, person in problem.people.items() if person.role.value == "team")
    assert sorted(back.people) == team
    # the same travel minutes and metres between the same places
    for a in [*back.organisations, *(f"base:{p}" for p in team)]:
        for b in back.organisations:
            assert back.travel.min(a, b) == problem.travel.min(a, b)
            assert back.travel.m(a, b) == problem.travel.m(a, b)
    # each window read back is exactly the one written: start between earliest and latest
    cal = Calendar.of(problem)
    for org, windows in _windows(inst).items():
        assert 1 <= len(windows) <= 3
        duration = back.visits[f"{org}:intake"].duration_min
        available = set(back.org_calendars[org].available)
        ranges = start_ranges(problem, problem.visits[f"{org}:intake"], cal)
        for day, earliest, latest in windows:
            d = date.fromisoformat(day)
            # read back exactly as written: a start between earliest and latest that day
            read = (back.axis.at(d, hhmm(earliest)), back.axis.at(d, hhmm(latest)) + duration)
            assert read in available
            # and it is one of the planner's own start ranges of that day
            own = (problem.axis.at(d, hhmm(earliest)), problem.axis.at(d, hhmm(latest)))
            assert own in ranges[problem.axis.day_index(d)]


def test_intake_instance_windows_are_seeded_and_spread(tmp_path):
    problem = tiny_problem()
    one = write_intake_instance(problem, tmp_path / "a.json", windows_per_org=4, seed=3)
    two = write_intake_instance(problem, tmp_path / "b.json", windows_per_org=4, seed=3)
    other = write_intake_instance(problem, tmp_path / "c.json", windows_per_org=4, seed=4)
    assert _windows(one) == _windows(two)
    assert _windows(one) != _windows(other)
    for windows in _windows(one).values():
        dates = [d for d, _, _ in windows]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        # spread: not all in the first quarter of the horizon
        assert dates[-1] > "2023-04-01"


def test_intake_instance_writer_rejects_zero_windows(tmp_path):
    with pytest.raises(ValueError, match="windows_per_org"):
        write_intake_instance(tiny_problem(), tmp_path / "x.json", windows_per_org=0)


# ------------------------------------------------------------------------------ national runner


def test_tight_variant_keeps_three_team_members_and_starts_in_june_2023(flevoland):
    tight = national.variant_scenario(flevoland, "tight")
    assert [p.id for p in tight.team] == list(national.TIGHT_TEAM)
    assert tight.scenario.start == date(2023, 6, 1)
    people = {p.stem for p in (Path(tight.data.calendars_dir) / "people").iterdir()}
    assert "T2" not in people and "T4" not in people and "T1" in people
    assert national.variant_scenario(flevoland, "example").scenario.start == date(2022, 7, 1)


@pytest.mark.slow
def test_national_runner_writes_valid_measured_rows(flevoland, tmp_path):
    out = tmp_path / "national.json"
    result = national.run_national(
        time_limits=[2.0],
        intake_time_limits=[1.0],
        variants=["tight"],
        scenario=flevoland,
        intake_k8=None,
        workdir=tmp_path / "work",
        out=out,
        command="python -m benchmarks national --smoke",
        spread_seeds=[1],
        spread_time_limits=[2.0],
        echo=lambda *_: None,
    )
    saved = json.loads(out.read_text())
    assert saved["run"]["machine"]["nproc"] >= 1
    assert saved["run"]["versions"]["ortools"] and saved["run"]["load_average_end"]
    greedy, exact = saved["plans"]
    assert "error" not in greedy and "error" not in exact, saved["plans"]
    assert (greedy["method"], exact["method"]) == ("greedy", "exact")
    for row in (greedy, exact):
        assert row["violations"] == 0
        assert row["team"] == list(national.TIGHT_TEAM)
        assert row["peak_rss_mib"] > 10 and row["solve_s"] >= 0
        assert row["travel_min"] >= row["attachment_bound_planned"] > 0
        assert row["planned"] + row["unplanned"] == sum(s["total"] for s in row["visits"].values())
        assert "--smoke" in row["command"]
    assert exact["travel_min"] <= greedy["travel_min"]
    assert exact["combined_bound"] <= exact["travel_min"]
    solvers = [(r["instance_label"], r["solver"]) for r in saved["intake"]]
    peer = ["pyvrp"] if national.pyvrp_installed() else []
    assert [s for _, s in solvers] == ["greedy", "project", *peer]
    assert all(r.get("feasible") for r in saved["intake"]), saved["intake"]
    assert result["derived_instance"]["clients"] == 7
    (spread,) = saved["spread"]
    assert (spread["seed"], spread["method"], spread["time_limit_s"]) == (1, "exact", 2.0)
    assert spread["violations"] == 0 and "seed 1" in spread["command"]
    assert saved["run"]["seeds"]["spread"] == [1]
    assert out.with_suffix(".csv").read_text().count("\n") == 1 + 2 + 1 + 2 + len(peer)


def test_bound_runner_bounds_the_flevoland_example_below_its_plans(flevoland, tmp_path):
    from optimizer.data.problem import build_problem
    from optimizer.solve.solve import solve

    out = tmp_path / "bound.json"
    bench_main(["bound", "--scenario", str(flevoland), "--time-limit", "30", "--out", str(out)])
    row = json.loads(out.read_text())["rows"][0]
    assert row["variant"] == "example" and row["run"]["versions"]["highspy"]
    assert row["lp_optimal"] and row["iterations"] >= 1
    plan = solve(build_problem(national.variant_scenario(flevoland, "example")), time_limit=5)
    assert row["attachment_bound"] < row["bound"] <= plan.stats.objective
    days = row["lp_day_kinds"]  # the LP's routes by role and stages, fractional
    assert days and all(k.split(": ")[0] in ("team", "trainer") for k in days)
    assert sum(v for k, v in days.items() if "session" in k and k.startswith("team")) > 0
    bench_main(["bound", "--scenario", str(flevoland), "--relaxation", "separate",
                "--time-limit", "30", "--out", str(out)])  # fmt: skip
    rows = {r["relaxation"]: r for r in json.loads(out.read_text())["rows"]}
    apart = rows["separate"]
    assert (
        apart["bound"] >= row["bound"] - 1e-6 and "separate days" in apart["relaxation_description"]
    )
    assert all(len(set(k.split(": ")[1].split("+"))) == 1 for k in apart["lp_day_kinds"])


def test_bound_runner_bounds_a_region_below_its_own_plan_in_its_own_file(flevoland, tmp_path):
    from benchmarks.bound import regional_problem
    from optimizer.data.problem import build_problem
    from optimizer.domain import Role, base_id

    whole = build_problem(national.variant_scenario(flevoland, "example"))
    members = sorted(p for p, x in whole.people.items() if x.role is Role.TEAM)
    regions = {p: regional_problem(whole, p, trainers=1) for p in members}
    assert sum(len(r.visits) for r in regions.values()) == len(whole.visits)  # a partition
    team = sorted(members, key=lambda p: -len(regions[p].visits))
    region = regions[team[0]]
    assert [x.role for x in region.people.values()] == [Role.TEAM, Role.TRAINER]
    assert 0 < len(region.visits) < len(whole.visits)
    for org in {v.org for v in region.visits.values()}:  # each is nearest to team[0]
        trip = {p: whole.travel.min(base_id(p), org) + whole.travel.min(org, base_id(p))
                for p in members}  # fmt: skip
        assert trip[team[0]] == min(trip.values())
    out = tmp_path / "region.json"
    bench_main(["bound", "--scenario", str(flevoland), "--region", team[0], "--trainers", "1",
                "--time-limit", "30", "--plan-limit", "10", "--out", str(out)])  # fmt: skip
    row = json.loads(out.read_text())["rows"][0]
    assert row["region"] == team[0] and row["visits"] == len(region.visits)
    (plan,) = row["planner"]
    assert plan["violations"] == 0 and row["lp_optimal"]
    assert row["attachment_bound"] < row["bound"] <= plan["objective"]
    assert plan["gap"] == pytest.approx((plan["objective"] - row["bound"]) / plan["objective"])


def test_plan_measurement_of_the_example_variant_in_process(flevoland):
    row = national.measure_plan(flevoland, variant="example", method="exact", time_limit=2, seed=0)
    assert row["violations"] == 0 and row["unplanned"] == 0
    assert row["horizon"][0] == "2022-07-01" and len(row["team"]) == 5
    assert row["last_visit"] <= row["deadline"]
    assert row["intake_bound"] <= row["intake_travel_min"] + 0.01  # + earliness tie-breaker


# ------------------------------------------------------------------------------ other runners


def _tiny_vrplib(folder: Path) -> Path:
    vrplib = pytest.importorskip("vrplib")
    rng = np.random.default_rng(3)
    n = 5
    coords = np.vstack([[25.0, 25.0], rng.uniform(0, 50, size=(n, 2)).round(1)])
    path = folder / "TINY.vrp"
    vrplib.write_instance(
        path,
        {
            "NAME": "TINY",
            "TYPE": "VRPTW",
            "DIMENSION": n + 1,
            "VEHICLES": n,
            "CAPACITY": 10,
            "EDGE_WEIGHT_TYPE": "EUC_2D",
            "NODE_COORD_SECTION": coords,
            "DEMAND_SECTION": np.array([0, 3, 3, 3, 3, 3]),
            "SERVICE_TIME_SECTION": np.array([0, 5, 5, 5, 5, 5]),
            "TIME_WINDOW_SECTION": np.array([[0, 400]] * (n + 1)),
            "DEPOT_SECTION": np.array([1, -1]),
        },
    )
    return folder


def test_vrptw_runner_records_the_run(tmp_path):
    folder = _tiny_vrplib(tmp_path)
    out = tmp_path / "vrptw.json"
    report = vrptw_main([str(folder), "--time-limit", "0.5", "--out", str(out)])
    (row,) = report["rows"]
    assert row["feasible"] and row["instance"] == "TINY"
    assert json.loads(out.read_text())["run"]["command"].startswith("python -m benchmarks vrptw")


def test_runner_without_a_known_benchmark_prints_usage_and_fails(capsys):
    with pytest.raises(SystemExit) as exc:
        bench_main(["nonsense"])
    assert exc.value.code == 2
    assert "national" in capsys.readouterr().out


# ------------------------------------------------------------------------------ renderer


def _fake_results() -> dict:
    run = finish_run(start_run("python -m benchmarks national --fake", seeds={"solver": 0}))
    visits = {s: {"total": 2, "planned": 2, "unplanned": 0} for s in ("intake", "session")}
    visits["training"] = {"total": 1, "planned": 1, "unplanned": 0}
    base = {
        "variant": "example",
        "seed": 0,
        "travel_km": 1.0,
        "visits": visits,
        "planned": 5,
        "unplanned": 0,
        "deadline": "2024-12-31",
        "last_visit": "2024-06-01",
        "attachment_bound": 300.0,
        "combined_bound": 500.0,
        "build_s": 10.0,
        "violations": 0,
        "peak_rss_mib": 300.0,
        "load_average_before": [1.0, 1.0, 1.0],
    }
    plans = [
        dict(base, method="greedy", time_limit_s=None, travel_min=1000, solve_s=1.0,
             intake_travel_min=500, later_travel_min=500, gap_to_attachment=0.7),
        dict(base, method="exact", time_limit_s=60.0, travel_min=600, solve_s=55.0,
             intake_travel_min=400, intake_bound=398.0, intake_gap=0.005, later_travel_min=200,
             later_bound=190.0, gap=0.02, gap_to_combined=0.1667, gap_to_attachment=0.5),
    ]  # fmt: skip
    intake = [
        {"instance_label": "k8", "solver": "project", "time_limit_s": 60.0, "travel_min": 90,
         "feasible": True, "bound": 89.5, "gap_to_bound": 0.0056, "best_known": 90,
         "wall_s": 3.0, "peak_rss_mib": 100.0},
        {"instance_label": "k8", "solver": "pyvrp", "time_limit_s": 60.0, "travel_min": 100,
         "feasible": True, "reference_best": 90, "wall_s": 70.0, "peak_rss_mib": 50.0},
    ]  # fmt: skip
    vrptw = {
        "time_limit_s": 30.0,
        "seed": 0,
        "mean_gap_pct": {"ours": 1.0, "pyvrp": 0.0},
        "rows": [
            {"instance": "X1", "solver": "ours", "cost": 101, "feasible": True,
             "gap_pct": 1.0, "best_known": 100},
            {"instance": "X1", "solver": "pyvrp", "cost": 100, "feasible": True,
             "gap_pct": 0.0, "best_known": 100},
        ],
    }  # fmt: skip
    national_result = {"run": run, "plans": plans, "intake": intake}
    return {"national": national_result, "vrptw": vrptw, "travel": None, "nightly": None}


def test_goal_table_says_met_and_not_met_from_the_numbers():
    rows = {(g, m): s for g, m, s in goal_rows(_fake_results())}
    assert rows[("travel >= 30 % below greedy", "example, 60 s: 40.0 %")] == "**met**"
    assert rows[(">= 20 % below PyVRP on the intake stage, equal time", "k8, 60 s: 10.0 %")] == (
        "**not met**"
    )
    assert rows[("proven gap <= 1 % on the intake stage", "k8, 60 s: 0.56 %")] == "**met**"
    full = [s for (g, _), s in rows.items() if g == "proven gap <= 5 % on the full problem"]
    assert full == ["**not met**"]
    assert [s for (g, _), s in rows.items() if g == "full plan under 60 s"] == ["**not met**"]
    assert [s for (g, m), s in rows.items() if g.startswith("routing engine")] == ["**not met**"]


def test_greedy_goal_with_a_seed_spread_is_met_only_when_every_seed_meets_it():
    results = _fake_results()
    plan = results["national"]["plans"][1]
    results["national"]["spread"] = [
        dict(plan, seed=1, travel_min=650),
        dict(plan, seed=2, travel_min=720),  # 28 % below greedy's 1,000
    ]
    rows = {g: (m, s) for g, m, s in goal_rows(results)}
    measured, status = rows["travel >= 30 % below greedy (on every seed)"]
    spread = "seeds 0, 1, 2: 40.0 % / 35.0 % / 28.0 %, mean 34.3 %"
    assert measured == f"example, 60 s: 40.0 % ({spread})"
    assert status == "**not met**"
    page = render_markdown(results)
    assert "**Run-to-run spread.**" in page
    assert "| example | 60 s | spread | 600-720 | 40.0 % / 35.0 % / 28.0 %, mean 34.3 % |" in page
    assert "vary from run to run: 600-720 minutes over seeds 0, 1, 2" in " ".join(page.split())
    results["national"]["spread"][1]["travel_min"] = 690
    assert ("**met**") in {s for g, _, s in goal_rows(results) if g.startswith("travel >= 30")}


def test_page_renders_every_section_and_picks_up_nightly_results_later(tmp_path):
    results = _fake_results()
    page = render_markdown(results)
    for heading in (
        "## How to run",
        "## Machine and versions",
        "## National instance",
        "## Intake stage against PyVRP",
        "## Lower bounds on total travel",
        "## Routing engine on Solomon VRPTW instances",
        "## Travel matrix",
        "## Nightly re-planning",
        "## Where we are not there yet",
    ):
        assert heading in page
    assert "| example | planner 60 s | 600 |" in page and "40.0 %" in page
    assert "Not measured yet: `python -m benchmarks nightly`" in page

    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "national.json").write_text(json.dumps(results["national"]))
    nightly = {
        "command": "python -m benchmarks.nightly_sim --nights 1",
        "nights": [
            {"night": 0, "run_s": 80.0, "solve_s": 60.0, "moved_proposed": 0,
             "moved_confirmed": 0, "unplanned": 0},
            {"night": 1, "run_s": 40.0, "solve_s": 20.0, "moved_proposed": 3,
             "moved_confirmed": 0, "unplanned": 1},
        ],
    }  # fmt: skip
    (folder / "nightly.json").write_text(json.dumps(nightly))
    doc = render_page(folder, tmp_path / "benchmarks.md")
    text = doc.read_text()
    assert "later nights, median: run / solve | 40.0 s / 20.0 s" in text
    assert "Not measured yet: `python -m benchmarks nightly`" not in text


def test_pyvrp_intake_shifts_cover_windows_before_2023():
    pytest.importorskip("pyvrp")
    from benchmarks.pyvrp_intake import EPOCH, LAST_DAY, build_model, horizon, working_days

    window = {"date": "2022-08-24", "earliest_start": "09:00", "latest_start": "10:00"}
    inst = {
        "locations": [
            {"id": "base:T1", "kind": "base", "lon": 5.1, "lat": 52.1},
            {"id": "GM0344", "kind": "client", "lon": 5.12, "lat": 52.09},
        ],
        "persons": [{"id": "T1", "base": "base:T1"}],
        "clients": [{"id": "GM0344", "service_min": 90, "windows": [window]}],
        "duration_min": [[0, 12], [12, 0]],
        "day_start": "08:30",
        "day_end": "17:30",
    }
    first, last = horizon(inst)
    assert first == date(2022, 8, 22) and last == LAST_DAY  # the Monday before the window
    assert horizon({**inst, "clients": []}) == (EPOCH, LAST_DAY)
    model = build_model(inst)
    assert model.data.num_vehicle_types == len(working_days(first, last))
    (client,) = model.data.clients()
    assert client.tw_early == 2 * 24 * 60 + 9 * 60  # Wednesday 09:00 on the widened axis


def _vrptw_row(solver: str, cost: int, gap: float) -> dict:
    return {"solver": solver, "cost": cost, "gap_pct": gap, "feasible": True}


def test_vrptw_verdict_says_by_how_much_pyvrp_wins_and_what_the_product_should_use():
    within = {
        ("R101", "ours"): _vrptw_row("ours", 16385, 0.05),
        ("R101", "ours:pyvrp"): _vrptw_row("ours:pyvrp", 16377, 0.0),
    }
    (text,) = _vrptw_verdict(within, ["R101"])
    assert "0.05 % shorter" in text and "keeps it as the default" in text
    missed = dict(within)
    missed[("R101", "ours")] = _vrptw_row("ours", 16493, 0.71)
    (text,) = _vrptw_verdict(missed, ["R101"])
    assert "0.70 % shorter" in text and "should use" in text


def test_linked_round_text_says_whether_its_bound_leaves_room_for_the_goal():
    def measured(bound: float, travel: int) -> dict:
        plain = {"travel_min": 48396, "round_bound": 48228.0, "round_status": "Time limit"}
        linked = {"travel_min": travel, "round_bound": bound, "round_status": "Time limit"}
        return {"time_limit_s": 300.0, "rounds": {"default": plain, "linked": linked}}

    above = _linked_round_text(measured(47869.0, 48400), needed=47836.6)
    assert "47,869 minutes with the rows" in above and "cannot get there" in above
    assert "the rows stay off" in above
    below = _linked_round_text(measured(46443.0, 48255), needed=47836.6)
    assert "could in principle" in below and "planned 141 minutes less in this run" in below
    assert "not measured" in _linked_round_text(None, needed=47836.6)


def test_decomposition_checks_run_on_a_small_plan():
    """The four checks of ``python -m benchmarks decomposition`` on the default tiny problem
    (three sessions around Utrecht): dropping the lag never makes stage 2 dearer, the
    crossed-pairs MIP keeps every session covered at no more than the plan's travel, and the
    linked round plans everything with its LP bound under its plan, and the plan with the
    sessions first is valid and plans as much."""
    from benchmarks.decomposition import (
        crossed_pairs,
        linked_round,
        round_bounds,
        sessions_first,
        stage2_with_and_without_lag,
    )
    from optimizer.solve.solve import solve

    problem = tiny_problem()
    plan = solve(problem, time_limit=10, seed=0)
    assert any(a.stage is Stage.SESSION for a in plan.appointments)
    lag = stage2_with_and_without_lag(problem, plan, time_limit=10)
    assert lag["with_lag"]["status"] == lag["without_lag"]["status"] == "Optimal"
    assert lag["without_lag"]["unplanned"] <= lag["with_lag"]["unplanned"]
    if lag["without_lag"]["unplanned"] == lag["with_lag"]["unplanned"]:
        assert lag["saved_min"] >= 0
    crossed = crossed_pairs(problem, plan, time_limit=10)
    assert crossed["reassigned_min"] is not None
    assert crossed["reassigned_min"] <= crossed["current_min"]
    linked = linked_round(problem, time_limit=40, seed=0)
    assert linked["unplanned"] == 0 and linked["round_status"] is not None
    assert linked["round_bound"] <= linked["round_objective"] + 1e-6
    assert round_bounds(plan)["travel_min"] == sum(r.travel_min for r in plan.routes)
    (order,) = sessions_first(problem, plan, time_limit=10, short_limits=[10], seed=0)
    assert order["default"]["travel_min"] == round_bounds(plan)["travel_min"]
    assert order["sessions_first"]["violations"] == 0
    assert order["sessions_first"]["unplanned"] == len(plan.unplanned)
    assert order["lag_slack"]["violations"] == 0
    assert order["lag_slack"]["unplanned"] == len(plan.unplanned)


def test_sessions_first_text_compares_the_orders_and_says_which_pays():
    def summary(travel: int, later: int, team: int) -> dict:
        return {
            "travel_min": travel,
            "unplanned": 0,
            "later_travel_min": later,
            "team_travel_min": team,
            "trainer_travel_min": travel - team,
            "round_bound": travel - 100.0,
        }

    def measured(*rows) -> dict:
        return {
            "sessions_first": [
                {
                    "time_limit_s": limit,
                    "default": summary(*a),
                    "sessions_first": summary(*b),
                    "lag_slack": summary(*c),
                    "lag_slack_days": 60,
                }
                for limit, a, b, c in rows
            ]
        }

    even = _sessions_first_text(
        measured(
            (60.0, (48628, 33800, 30781), (48485, 32554, 31353), (48344, 32983, 30700)),
            (300.0, (48354, 33700, 30473), (48427, 32258, 31300), (48400, 33000, 30500)),
        ),
        needed=47836.6,
    )
    assert "at 300 s the default order 48,354 (0 unplanned), sessions first 48,427" in even
    assert "lag loosened by 60 days 48,400 (0 unplanned)" in even
    assert "their intakes' lag windows overlap less" in even
    assert "cheaper than the default order in 2 of 4 runs" in even
    assert "above the 47,837 minutes" in even and "nor slack is the lever" in even
    pays = _sessions_first_text(
        measured((300.0, (48354, 33700, 30473), (47700, 32258, 30000), (48400, 33000, 30500))),
        needed=47836.6,
    )
    assert "in 1 of 2 runs" in pays and "below the 47,837" in pays
    assert "more seeds decide" in pays
    assert "not measured" in _sessions_first_text(None, needed=47836.6)
