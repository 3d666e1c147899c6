"""The national instance against the greedy baseline, PyVRP and lower bounds.

``python -m benchmarks national --time-limits 60 300`` (from the repository root):

1. **Variants.** ``example``: the seeded example scenario (``optimizer example --seed 7``: 342
   municipalities and 12 provinces, 5 team members, 8 trainers, 2022-07-01..2024-12-31),
   written into a work folder. ``tight``: the same files with only 3 team members (T1
   Groningen, T3 Utrecht, T5 Eindhoven) and the horizon starting 2023-06-01 (the scenario is
   changed with ``model_copy``; calendars and requests are the same files).
2. **Plans.** Per variant: the greedy baseline (``solve(method="greedy")``) and the planner at
   each time limit. Every solve runs in a fresh subprocess (so the peak memory, ``ru_maxrss``,
   is that solve's own): scenario -> Problem -> plan -> the independent validator. Recorded:
   travel minutes and km, visits planned and unplanned per stage, the last visit's date
   against the deadline, build and solve wall time, peak memory, the solver's gap and bounds,
   the attachment bound (:func:`optimizer.solve.bounds.attachment_bound`) and the violations.
3. **Intake stage against PyVRP.** The national calendars give each intake hundreds of
   windows, too many for PyVRP's client groups, so a reference instance in the
   ``intake_k8.json`` format is derived from the example's Problem
   (:func:`optimizer.data.intake_bench.write_intake_instance`: 8 feasible windows per
   organisation, seed 0). The planner (``optimizer bench intake``'s
   :func:`~optimizer.cli.bench_intake.run_intake_benchmark`) and PyVRP
   (:func:`benchmarks.pyvrp_intake.run_pyvrp_intake`) solve that file and the shared
   ``bench/intake_k8.json``, each at the same time limit, each in its own subprocess.
4. **Spread** (``--spread-seeds 1 2``): the planner again at the ``--spread-time-limits``
   (default 60 s) with each of those solver seeds, per variant, so that the page can say how
   much a plan at that limit varies from run to run (the stage MIPs stop on their clocks, on
   a shared machine). Kept apart from the plans (``spread`` in the JSON).

Writes ``benchmarks/results/national.json`` and ``national.csv`` and re-renders
``docs/benchmarks.md`` (:mod:`benchmarks.render`).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks.machine import command_line, finish_run, load_average, peak_rss_mib, start_run

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIMIZER_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "national.json"
INTAKE_K8 = SHARED / "bench" / "intake_k8.json"

VARIANTS = ("example", "tight")
TIGHT_TEAM = ("T1", "T3", "T5")
TIGHT_START = date(2023, 6, 1)
EXAMPLE_SEED = 7
WINDOWS_PER_ORG = 8


# ------------------------------------------------------------------------------ scenarios


def write_example_scenario(folder: Path, *, seed: int = EXAMPLE_SEED) -> Path:
    """Write the national example scenario (as ``optimizer example``) into ``folder``."""
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations

    write_example(generate_example(load_organisations(), seed=seed), folder)
    return folder / "scenario.toml"


def write_province_scenario(folder: Path, province: str, *, seed: int = EXAMPLE_SEED) -> Path:
    """The example restricted to one province's organisations (a small instance for smoke
    tests and quick runs): boundaries cut to them into ``folder/boundaries``, the national
    team and trainers kept at their home towns (as coordinates)."""
    import re

    import geopandas as gpd

    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations
    from optimizer.data.paths import boundaries_dir

    orgs = load_organisations()
    subset = {code: o for code, o in orgs.items() if o.province_code == province}
    if not subset:
        raise ValueError(f"no organisations in province {province!r}")
    write_example(generate_example(subset, seed=seed), folder)
    (folder / "boundaries").mkdir(exist_ok=True)
    for name in ("gemeenten_2023.geojson", "provincies_2023.geojson"):
        frame = gpd.read_file(boundaries_dir() / name)
        frame[frame["statcode"].isin(list(subset))].to_file(folder / "boundaries" / name)

    def base(match: re.Match) -> str:
        point = orgs[match.group(1)].location
        return f"base_lon = {point.lon}\nbase_lat = {point.lat}"

    path = folder / "scenario.toml"
    text = re.sub(r'^base = "(GM\d{4})"$', base, path.read_text("utf-8"), flags=re.MULTILINE)
    path.write_text(text.replace("[data]\n", '[data]\nboundaries_dir = "boundaries"\n'), "utf-8")
    return path


def variant_scenario(path: Path, variant: str):
    """The scenario of ``variant``: ``example`` as written; ``tight`` with 3 team members
    (:data:`TIGHT_TEAM`) and the horizon starting :data:`TIGHT_START`."""
    from optimizer.scenario import load_scenario

    scenario = load_scenario(path)
    if variant == "example":
        return scenario
    if variant != "tight":
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
    horizon = scenario.scenario.model_copy(
        update={"start": TIGHT_START, "name": f"{scenario.scenario.name}-tight"}
    )
    team = [p for p in scenario.team if p.id in TIGHT_TEAM]
    calendars = _calendars_without(scenario, {p.id for p in scenario.team} - set(TIGHT_TEAM))
    data = scenario.data.model_copy(update={"calendars_dir": str(calendars)})
    return scenario.model_copy(update={"scenario": horizon, "team": team, "data": data})


def _calendars_without(scenario, dropped: set[str]) -> Path:
    """A calendars folder beside the scenario's own (``calendars_tight``) without the dropped
    people's calendars (the loader refuses a calendar of an unknown person): the
    organisations' folder is linked, the kept people's files are linked one by one."""
    source = scenario.path(scenario.data.calendars_dir)
    target = scenario.folder / "calendars_tight"
    people = target / "people"
    people.mkdir(parents=True, exist_ok=True)
    if not (target / "orgs").exists():
        (target / "orgs").symlink_to((source / "orgs").resolve(), target_is_directory=True)
    for ics in sorted((source / "people").iterdir()):
        link = people / ics.name
        if ics.stem not in dropped and not link.exists():
            link.symlink_to(ics.resolve())
    return target.resolve()


# ------------------------------------------------------------------------------ measuring


def _stage_counts(problem, plan) -> dict:
    """Visits per stage: total, planned (new or pinned) and unplanned."""
    total = Counter(v.stage.value for v in problem.visits.values())
    planned = Counter(a.stage.value for a in plan.appointments)
    unplanned = Counter(problem.visits[u.visit_id].stage.value for u in plan.unplanned)
    return {
        stage: {"total": total[stage], "planned": planned[stage], "unplanned": unplanned[stage]}
        for stage in ("intake", "session", "training")
    }


def trainer_attachment(problem, visit_ids: set[str]) -> float:
    """The trainers' share of the attachment bound over ``visit_ids`` (minutes).

    As :func:`optimizer.solve.bounds.attachment_bound`, but only the trainer's stop of each
    session and training: a trainer is at a visit location in every plan, and trainers never
    do intakes, so their days never share travel with the intake routes. (The team member's
    stop of a session may sit on an intake day and then costs only its detour.)
    """
    from optimizer.domain import Role, Stage, base_id

    visits = [problem.visits[v] for v in visit_ids]
    visits = [v for v in visits if v.stage in (Stage.SESSION, Stage.TRAINING)]
    if not visits:
        return 0.0
    t = problem.travel
    orgs = sorted({v.org for v in problem.visits.values()})
    places = [t.index[o] for o in orgs]
    places += [t.index[base_id(p.id)] for p in problem.people.values() if p.role is Role.TRAINER]
    total = 0.0
    for visit in visits:
        v = t.index[visit.org]
        others = [i for i in places if i != v]
        total += (float(t.minutes[others, v].min()) + float(t.minutes[v, others].min())) / 2
    return total


def _penalties(problem, plan) -> dict[str, float]:
    """The objective's penalties for the plan's unplanned visits, per stage group
    (``intake``, ``later``), in travel-minute equivalents (:mod:`optimizer.solve.objective`)."""
    from optimizer.solve import objective

    out = {"intake": 0.0, "later": 0.0}
    for u in plan.unplanned:
        visit = problem.visits[u.visit_id]
        cost = objective.unplanned_penalty(visit)
        out["intake" if visit.stage.value == "intake" else "later"] += cost
    return out


def _finite(value: float | None) -> float | None:
    """``value``, or None when it is missing or not finite (a MIP stopped before its LP
    relaxation finished reports a bound of -inf and a gap of inf)."""
    return value if value is not None and math.isfinite(value) else None


def _ratio(value: float | None, reference: float | None) -> float | None:
    """``(value - reference) / value``: how far ``reference`` lies below ``value``."""
    value, reference = _finite(value), _finite(reference)
    if value is None or reference is None or not value:
        return None
    return round((value - reference) / value, 5)


def measure_plan(scenario_path: Path, *, variant: str, method: str, time_limit: float, seed: int):
    """Build the variant's Problem, solve, validate; one JSON-ready result row.

    Minutes and km of travel; wall seconds; peak memory in MiB (this process); gaps as
    fractions of the plan's travel (``gap_to_*``) or of the solver's objective (``gap``).
    """
    from optimizer.data.problem import build_problem
    from optimizer.domain import Stage
    from optimizer.plan.validate import validate
    from optimizer.solve.bounds import attachment_bound
    from optimizer.solve.solve import solve

    scenario = variant_scenario(scenario_path, variant)
    t_cold = time.perf_counter()
    build_problem(scenario)  # fills the calendar cache, as the night before would
    t0 = time.perf_counter()
    problem = build_problem(scenario)
    t1 = time.perf_counter()
    timeline: list[dict] = []
    # the time limit covers the whole run: reading the scenario and solving
    solve_limit = max(1.0, time_limit - (t1 - t0))
    plan = solve(
        problem, time_limit=solve_limit, seed=seed, method=method, progress=timeline.append
    )
    t2 = time.perf_counter()
    violations = validate(problem, plan)
    details = dict(plan.stats.details)
    later = {v.id for v in problem.visits.values() if v.stage is not Stage.INTAKE}
    planned = {a.visit_id for a in plan.appointments}
    attachment = attachment_bound(problem)
    attachment_planned = attachment_bound(problem, only_planned=planned)
    attachment_later = attachment_bound(problem, only_planned=later & planned)
    penalty = _penalties(problem, plan)
    intake_bound = _finite(details.get("intake_bound"))
    later_bound = _finite(details.get("later_bound"))
    # the stage bounds are in objective units (travel + penalties); in travel minutes they
    # hold among plans that leave the same visits unplanned (see docs/benchmarks.md)
    intake_travel_bound = intake_bound - penalty["intake"] if intake_bound is not None else None
    later_travel_bound = later_bound - penalty["later"] if later_bound is not None else None
    trainer_later = trainer_attachment(problem, later & planned)
    combined = intake_travel_bound + trainer_later if intake_bound is not None else None
    last = max((a.end for a in plan.appointments), default=None)
    last_date = problem.axis.date_of(last - 1) if last is not None else None
    travel = plan.travel_min
    intake_travel = details.get("intake_travel_min")
    return {
        "variant": variant,
        "method": method,
        "time_limit_s": time_limit if method != "greedy" else None,
        "seed": seed,
        "team": sorted(p.id for p in problem.people.values() if p.role.value == "team"),
        "horizon": [problem.horizon_start.isoformat(), problem.horizon_end.isoformat()],
        "travel_min": travel,
        "travel_km": round(plan.travel_m / 1000, 1),
        "intake_travel_min": intake_travel,
        "later_travel_min": details.get("later_travel_min"),
        "person_days": len(plan.routes),
        "visits": _stage_counts(problem, plan),
        "planned": len(plan.appointments),
        "unplanned": len(plan.unplanned),
        "deadline": problem.rules.deadline.isoformat(),
        "last_visit": last_date.isoformat() if last_date else None,
        "days_to_spare": (problem.rules.deadline - last_date).days if last_date else None,
        "objective": plan.stats.objective,
        "solver_bound": _finite(plan.stats.bound),
        "gap": _finite(plan.stats.gap),
        "intake_status": details.get("intake_status"),
        "intake_bound": intake_bound,
        "intake_travel_bound": intake_travel_bound,
        "intake_gap": _ratio(intake_travel, intake_travel_bound),
        "later_status": details.get("later_status"),
        "later_bound": later_bound,
        "later_travel_bound": later_travel_bound,
        "later_gap": _ratio(details.get("later_travel_min"), later_travel_bound),
        "penalties": penalty,
        "route_columns": details.get("route_columns"),
        "attachment_bound": round(attachment, 1),
        "attachment_bound_planned": round(attachment_planned, 1),
        "attachment_bound_later": round(attachment_later, 1),
        "attachment_trainers_later": round(trainer_later, 1),
        "combined_bound": round(combined, 1) if combined is not None else None,
        "gap_to_attachment": _ratio(travel, attachment_planned),
        "gap_to_combined": _ratio(travel, combined),
        "cold_build_s": round(t0 - t_cold, 2),
        "build_s": round(t1 - t0, 2),
        "solve_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "team_travel_min": details.get("team_travel_min"),
        "trainer_travel_min": details.get("trainer_travel_min"),
        "mixed_days": details.get("mixed_days"),
        "replan_status": details.get("replan_status"),
        "replan_objective": _finite(details.get("replan_objective")),
        "replan_bound": _finite(details.get("replan_bound")),
        "violations": len(violations),
        "violation_examples": [str(v) for v in violations[:5]],
        "peak_rss_mib": peak_rss_mib(),
        "timeline": _timeline(timeline),
    }


def _timeline(events: list[dict], keep: int = 12) -> list[dict]:
    """The solver's progress events (seconds since the solve began, stage, objective, bound):
    every stage change, and of the intake master's improvements the first and last few."""
    out: list[dict] = []
    improvements = [e for e in events if e.get("stage") == "intakes"]
    shown = improvements[:2] + improvements[-(keep - 2) :] if len(improvements) > keep else None
    for event in events:
        if shown is not None and event.get("stage") == "intakes" and event not in shown:
            continue
        out.append({k: _finite(v) if isinstance(v, float) else v for k, v in event.items()})
    for event in out:
        event["elapsed_s"] = round(event["elapsed_s"], 2)
    return out


def measure_intake(path: Path, *, solver: str, time_limit: float, seed: int) -> dict:
    """One solver on an intake instance file: ``project`` (the planner), ``greedy`` (the
    baseline through the planner's path) or ``pyvrp``; travel minutes, wall s, memory MiB."""
    if solver == "pyvrp":
        from benchmarks.pyvrp_intake import run_pyvrp_intake

        row = run_pyvrp_intake(path, time_limit, seed)
        row.pop("routes", None)
        row["solver_version"] = row.pop("solver")
        row.update(violations=len(row["problems"]), planned=row["clients_visited"])
    else:
        from optimizer.cli.bench_intake import run_intake_benchmark

        method = "greedy" if solver == "greedy" else "exact"
        row = run_intake_benchmark(path, time_limit=time_limit, seed=seed, method=method)
        details = row.pop("details")
        row["intake_status"] = details.get("intake_status")
        row["bound"], row["gap_to_bound"] = _finite(row["bound"]), _finite(row["gap_to_bound"])
        row["feasible"] = row["violations"] == 0 and row["unplanned"] == 0
        row["gap_pct"] = (
            round(100 * row["gap_to_best_known"], 2) if row["gap_to_best_known"] else None
        )
    row.update(solver=solver, file=str(path), peak_rss_mib=peak_rss_mib())
    row["time_limit_s"] = time_limit if solver != "greedy" else None
    return row


# ------------------------------------------------------------------------------ subprocesses


def _in_subprocess(task: dict, log: Path | None = None) -> dict:
    """Run ``task`` (see :func:`_worker`) in a fresh Python process; its result row.

    A failed run gives a row with ``error`` (the tail of its stderr) instead of raising.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "row.json"
        cmd = [sys.executable, "-m", "benchmarks.national", "_worker", json.dumps(task), str(out)]
        load0 = load_average()
        began = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        wall = round(time.perf_counter() - began, 2)
        if log is not None:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"=== {json.dumps(task)}\n{proc.stdout}\n{proc.stderr}\n")
        if proc.returncode != 0 or not out.exists():
            row = dict(task, error=proc.stderr.strip()[-2000:] or f"exit {proc.returncode}")
        else:
            row = json.loads(out.read_text())
    row.update(process_wall_s=wall, load_average_before=load0, load_average_after=load_average())
    return row


def _worker(task: dict, out: Path) -> None:
    """The subprocess side: one measurement, written as JSON to ``out``."""
    kind = task["kind"]
    if kind == "plan":
        row = measure_plan(
            Path(task["scenario"]),
            variant=task["variant"],
            method=task["method"],
            time_limit=task["time_limit"],
            seed=task["seed"],
        )
    elif kind == "intake":
        row = measure_intake(
            Path(task["file"]),
            solver=task["solver"],
            time_limit=task["time_limit"],
            seed=task["seed"],
        )
        row["instance_label"] = task.get("label")
    elif kind == "write-intake":
        from optimizer.data.intake_bench import write_intake_instance
        from optimizer.data.problem import build_problem

        problem = build_problem(variant_scenario(Path(task["scenario"]), task["variant"]))
        inst = write_intake_instance(
            problem, Path(task["file"]), windows_per_org=task["windows"], seed=task["seed"]
        )
        row = {"clients": len(inst["clients"]), "omitted": inst["omitted"]}
    else:
        raise ValueError(f"unknown task kind {kind!r}")
    out.write_text(json.dumps(row, default=str))


# ------------------------------------------------------------------------------ the benchmark


def _plan_task(scenario: Path, variant: str, seed: int, method: str, time_limit: float) -> dict:
    """One plan measurement for :func:`_worker`."""
    return {
        "kind": "plan",
        "scenario": str(scenario),
        "variant": variant,
        "seed": int(seed),
        "method": method,
        "time_limit": float(time_limit),
    }


def plan_tasks(scenario: Path, variants, time_limits, seed: int) -> list[dict]:
    """Greedy, then the planner at each time limit, per variant."""
    tasks = []
    for variant in variants:
        tasks.append(_plan_task(scenario, variant, seed, "greedy", min(time_limits)))
        tasks += [_plan_task(scenario, variant, seed, "exact", t) for t in time_limits]
    return tasks


def spread_tasks(scenario: Path, variants, time_limits, seeds) -> list[dict]:
    """The planner at each of ``time_limits`` with each of ``seeds``, per variant."""
    return [
        _plan_task(scenario, variant, seed, "exact", t)
        for variant in variants
        for t in time_limits
        for seed in seeds
    ]


def pyvrp_installed() -> bool:
    """True when the peer PyVRP (the ``bench`` extra) can be imported."""
    return importlib.util.find_spec("pyvrp") is not None


def intake_tasks(files: dict[str, Path], time_limits, seed: int, *, peer: bool = True):
    """Greedy once, then the planner and (``peer``) PyVRP at each time limit, per file."""
    solvers = ("project", "pyvrp") if peer else ("project",)
    tasks = []
    for label, path in files.items():
        base = {"kind": "intake", "file": str(path), "label": label, "seed": seed}
        tasks.append(dict(base, solver="greedy", time_limit=min(time_limits)))
        for t in time_limits:
            tasks += [dict(base, solver=s, time_limit=float(t)) for s in solvers]
    return tasks


def run_national(
    *,
    time_limits=(60.0,),
    intake_time_limits=(60.0,),
    variants=VARIANTS,
    seed: int = 0,
    workdir: Path | None = None,
    scenario: Path | None = None,
    intake_k8: Path | None = INTAKE_K8,
    out: Path = RESULTS,
    command: str | None = None,
    skip_intake: bool = False,
    spread_seeds=(),
    spread_time_limits=(60.0,),
    echo=print,
) -> dict:
    """The whole benchmark (see the module doc); writes ``out`` (JSON) and its CSV.

    ``scenario`` replaces the example (a smaller scenario for the smoke test); ``workdir``
    keeps the written scenario and the derived intake instance (else a temporary folder);
    ``spread_seeds``: the planner's further seeds at ``spread_time_limits`` (rows in
    ``spread``).
    """
    command = command or command_line("benchmarks national")
    seeds = {"solver": seed, "example": EXAMPLE_SEED, "intake_windows": 0}
    if spread_seeds:
        seeds["spread"] = [int(s) for s in spread_seeds]
    run = start_run(command, seeds=seeds)
    run["planner_settings"] = planner_settings()
    with tempfile.TemporaryDirectory(prefix="national-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        log = work / "national.log"
        if scenario is None:
            scenario = write_example_scenario(work / "example", seed=EXAMPLE_SEED)
        echo(f"scenario {scenario}; log {log}")
        result = {"run": run, "scenario": str(scenario), "plans": [], "intake": [], "spread": []}

        def save() -> None:
            write_results(result, out)

        def measure(task: dict, table: str, title: str, line) -> None:
            """Run ``task`` in its subprocess, add its row to ``table`` and save."""
            echo(f"{title} ...")
            row = _in_subprocess(task, log)
            row["command"] = _row_command(command, task)
            result[table].append(row)
            echo(line(row))
            save()

        for task in plan_tasks(scenario, variants, time_limits, seed):
            title = f"plan {task['variant']} {task['method']} {task['time_limit']} s"
            measure(task, "plans", title, _plan_line)
        for task in spread_tasks(scenario, variants, spread_time_limits, spread_seeds):
            title = f"spread {task['variant']} {task['time_limit']} s seed {task['seed']}"
            measure(task, "spread", title, _plan_line)
        if not skip_intake:
            derived = work / "national_intake_k8.json"
            echo(f"intake instance from the example -> {derived}")
            made = _in_subprocess(
                {
                    "kind": "write-intake",
                    "scenario": str(scenario),
                    "variant": "example",
                    "file": str(derived),
                    "windows": WINDOWS_PER_ORG,
                    "seed": 0,
                },
                log,
            )
            result["derived_instance"] = dict(made, file=str(derived))
            files = {"national example, 8 windows": derived}
            if intake_k8 is not None and Path(intake_k8).exists():
                files["intake_k8.json (shared)"] = Path(intake_k8)
            if not pyvrp_installed():
                result["notes"] = ["PyVRP is not installed (pip install -e '.[bench]'): no peer"]
                echo(result["notes"][0])
            for task in intake_tasks(files, intake_time_limits, seed, peer=pyvrp_installed()):
                title = f"intake {task['label']} {task['solver']} {task['time_limit']} s"
                measure(task, "intake", title, _intake_line)
        finish_run(run)
        save()
    return result


def planner_settings() -> dict:
    """The planner's default settings (route enumeration, time split) the run measures."""
    from dataclasses import asdict

    from optimizer.solve.solve import SolveSettings

    settings = SolveSettings()
    return {"intake_share": settings.intake_share, "enumeration": asdict(settings.enumeration)}


def _row_command(command: str, task: dict) -> str:
    """The command of the whole run plus which of its rows this is (for the table)."""
    if task["kind"] == "plan":
        limit = "" if task["method"] == "greedy" else f" {task['time_limit']:g} s"
        return f"{command}  # {task['variant']}, {task['method']}{limit}, seed {task['seed']}"
    return (
        f"{command}  # intake {task['label']}, {task['solver']} "
        f"{task['time_limit']:g} s, seed {task['seed']}"
    )


def _plan_line(row: dict) -> str:
    if "error" in row:
        return f"  FAILED: {row['error'][-300:]}"
    return (
        f"  travel {row['travel_min']} min {row['travel_km']} km, unplanned {row['unplanned']}, "
        f"gap {row['gap']}, solve {row['solve_s']} s, rss {row['peak_rss_mib']} MiB, "
        f"violations {row['violations']}"
    )


def _intake_line(row: dict) -> str:
    if "error" in row:
        return f"  FAILED: {row['error'][-300:]}"
    return (
        f"  travel {row['travel_min']} min, feasible {row.get('feasible')}, "
        f"wall {row.get('wall_s')} s, rss {row['peak_rss_mib']} MiB"
    )


CSV_COLUMNS = (
    "table",
    "variant",
    "instance_label",
    "method",
    "solver",
    "time_limit_s",
    "seed",
    "travel_min",
    "travel_km",
    "planned",
    "unplanned",
    "last_visit",
    "deadline",
    "objective",
    "solver_bound",
    "gap",
    "intake_bound",
    "intake_gap",
    "attachment_bound",
    "combined_bound",
    "build_s",
    "solve_s",
    "wall_s",
    "process_wall_s",
    "peak_rss_mib",
    "violations",
    "feasible",
    "command",
    "nproc",
    "cpu_model",
    "python",
    "ortools",
    "highspy",
    "pyvrp",
    "numpy",
)


def write_results(result: dict, out: Path) -> None:
    """``out`` (JSON, everything) and ``out`` with ``.csv`` (one line per row, each with the
    machine and the versions of the run)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    run = result.get("run", {})
    context = {**run.get("machine", {}), **run.get("versions", {})}
    with out.with_suffix(".csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for table in ("plans", "spread", "intake"):
            for row in result.get(table, []):
                writer.writerow({**context, **row, "table": table})


def main(argv: list[str] | None = None) -> dict:
    """Command line of ``python -m benchmarks national``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks national", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--time-limits", type=float, nargs="+", default=[60.0])
    parser.add_argument(
        "--intake-time-limits", type=float, nargs="+", default=[60.0], help="s, intake vs PyVRP"
    )
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--seed", type=int, default=0, help="solver seed (planner and PyVRP)")
    parser.add_argument(
        "--spread-seeds", type=int, nargs="*", default=[], help="further planner seeds"
    )
    parser.add_argument(
        "--spread-time-limits", type=float, nargs="+", default=[60.0], help="s, for those seeds"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep scenario files here")
    parser.add_argument("--scenario", type=Path, default=None, help="instead of the example")
    parser.add_argument("--intake-k8", type=Path, default=INTAKE_K8)
    parser.add_argument("--skip-intake", action="store_true", help="no intake/PyVRP part")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-render", action="store_true", help="do not rewrite the docs page")
    args = parser.parse_args(argv)
    result = run_national(
        time_limits=args.time_limits,
        intake_time_limits=args.intake_time_limits,
        variants=args.variants,
        seed=args.seed,
        workdir=args.workdir,
        scenario=args.scenario,
        intake_k8=args.intake_k8,
        out=args.out,
        command=command_line("benchmarks national", argv),
        skip_intake=args.skip_intake,
        spread_seeds=args.spread_seeds,
        spread_time_limits=args.spread_time_limits,
    )
    if not args.no_render:
        from benchmarks.render import render_page

        render_page()
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_worker":
        _worker(json.loads(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
