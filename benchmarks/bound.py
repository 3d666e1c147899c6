"""The full-problem lower bound (:func:`optimizer.solve.lowerbound.full_problem_bound`) on the
national example and its tight variant, against the attachment bound and the planner's plans.

``python -m benchmarks bound --variant example --relaxation day --time-limit 900`` (from the
repository root): writes the example scenario (as ``python -m benchmarks national``), builds the
variant's Problem, runs the column generation of the chosen relaxation (``free``: the day-free
route relaxation, ``day``: the day-indexed one, :mod:`optimizer.solve.lowerbound_day`; ``mip``:
the integer program over the routes of small reduced cost with day-linking rows,
:mod:`optimizer.solve.lowerbound_mip`; ``separate``: the day-free relaxation with every
person-day kept to one stage, what the decomposition's separate days cost at least, not a bound
on every plan) within the
time limit and records the bound, whether LP optimality was proven, iterations, columns, wall
seconds and peak memory, beside the attachment
bound and the gap to the planner's plans of ``benchmarks/results/national.json`` (the rows of the
same variant, when that file has them). Gaps are fractions: ``gap`` = (plan objective - bound) /
plan objective; ``travel_gap`` = (plan travel - travel bound) / plan travel, where the travel
bound holds for every plan with the same penalties for unplanned visits as the plan's
(bound - penalties). ``day-lags`` is ``day`` with the lags between an organisation's stages as
time-indexed rows (:mod:`optimizer.solve.lowerbound_lags`).

``--region T1`` bounds a *regional* sub-instance instead (:func:`regional_problem`: the
organisations whose nearest team member is ``T1``, that team member and the ``--trainers``
trainers nearest to them), plans it with the planner (``--plan-limit`` seconds) and writes to
``benchmarks/results/region.json``; there ``--relaxation mip --delta 1000`` enumerates every
route the integer program needs (docs/lower_bound.md, "The gap on a regional instance").

Writes (merges into) ``benchmarks/results/bound.json``: one row per variant, relaxation and time
limit (field ``relaxation``: ``free``, ``day``, ``day-lags``, ``mip`` or ``separate``;
``relaxation_description`` says what it keeps), each with its own ``run`` block
(:mod:`benchmarks.machine`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from benchmarks import national
from benchmarks.machine import command_line, finish_run, peak_rss_mib, start_run

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "bound.json"
REGION_RESULTS = REPO / "benchmarks" / "results" / "region.json"
RELAXATIONS = ("free", "day", "day-lags", "mip", "separate")
NATIONAL = REPO / "benchmarks" / "results" / "national.json"


def planner_rows(variant: str, national_json: Path = NATIONAL) -> list[dict]:
    """The plans of ``variant`` in the national results (travel, penalties, objective)."""
    if not national_json.exists():
        return []
    rows = json.loads(national_json.read_text(encoding="utf-8")).get("plans", [])
    out = []
    for row in rows:
        if row.get("variant") != variant or "error" in row:
            continue
        penalty = sum((row.get("penalties") or {}).values())
        out.append(
            {
                "method": row["method"],
                "time_limit_s": row.get("time_limit_s"),
                "travel_min": row["travel_min"],
                "unplanned": row["unplanned"],
                "penalty": penalty,
                "objective": row["travel_min"] + penalty,
            }
        )
    return out


def _gaps(bound: float, plans: list[dict]) -> list[dict]:
    for plan in plans:
        travel_bound = bound - plan["penalty"]
        plan["travel_bound"] = round(travel_bound, 1)
        plan["gap"] = round((plan["objective"] - bound) / plan["objective"], 5)
        plan["travel_gap"] = round((plan["travel_min"] - travel_bound) / plan["travel_min"], 5)
    return plans


def regional_problem(problem, team: str, trainers: int = 2):
    """``problem`` cut down to the organisations whose nearest team member is ``team`` (least
    travel home -> town hall -> home), with ``team`` and the ``trainers`` trainers of least
    such travel summed over those organisations as the only people."""
    from optimizer.domain import Role, base_id

    def round_trip(person: str, org: str) -> int:
        return problem.travel.min(base_id(person), org) + problem.travel.min(org, base_id(person))

    people = problem.people
    members = sorted(p for p, x in people.items() if x.role is Role.TEAM)
    if team not in members:
        raise ValueError(f"--region {team}: not a team member of this problem ({members})")
    orgs = {v.org for v in problem.visits.values()}
    mine = {o for o in orgs if min(members, key=lambda p: round_trip(p, o)) == team}
    nearest = sorted(
        (p for p, x in people.items() if x.role is Role.TRAINER),
        key=lambda p: sum(round_trip(p, o) for o in mine),
    )[:trainers]
    return dataclasses.replace(
        problem,
        visits={i: v for i, v in problem.visits.items() if v.org in mine},
        people={p: people[p] for p in [team, *nearest]},
    )


def measure_bound(
    scenario: Path,
    *,
    variant: str,
    time_limit: float,
    relaxation: str = "free",
    region: str | None = None,
    trainers: int = 2,
    delta: float = 20.0,
    plan_limit: float = 60.0,
    echo=print,
) -> dict:
    """Build the variant's Problem (or its ``region``) and bound it; one JSON-ready row
    (minutes, seconds, MiB). With ``region`` the row also holds the planner's plan of it."""
    from optimizer.data.problem import build_problem
    from optimizer.solve.bounds import attachment_bound
    from optimizer.solve.lowerbound import (
        SEPARATE,
        free_bound_state,
        full_problem_bound,
        lp_day_kinds,
    )
    from optimizer.solve.lowerbound_mip import mip_bound

    t0 = time.perf_counter()
    problem = build_problem(national.variant_scenario(scenario, variant))
    if region is not None:
        problem = regional_problem(problem, region, trainers)
    build_s = time.perf_counter() - t0

    def progress(event: dict) -> None:
        echo(
            f"  {event.get('relaxation', relaxation):4s} it {event['iteration']:3d}"
            f" {event['elapsed_s']:7.1f} s  lp {event['lp']:12.1f}"
            f"  bound {event['best_bound']:12.1f}  columns {event['columns']}"
        )

    day_kinds = None
    if relaxation in ("free", "separate"):
        result, state = free_bound_state(
            problem,
            time_limit=time_limit,
            progress=progress,
            mix_stages=relaxation == "free",
        )
        if relaxation == "separate":
            result = dataclasses.replace(result, relaxation=SEPARATE)
        day_kinds = {k: round(v, 2) for k, v in lp_day_kinds(problem, state).items()}
    elif relaxation == "mip":
        result = mip_bound(problem, time_limit=time_limit, progress=progress, delta=delta)
    else:
        result = full_problem_bound(
            problem, relaxation=relaxation, time_limit=time_limit, progress=progress
        )
    attachment = attachment_bound(problem)
    return {
        "variant": variant,
        **({"region": region, "people_ids": sorted(problem.people)} if region else {}),
        "relaxation": relaxation,
        "time_limit_s": time_limit,
        "visits": len(problem.visits),
        "people": len(problem.people),
        "horizon": [problem.horizon_start.isoformat(), problem.horizon_end.isoformat()],
        "bound": round(result.bound, 1),
        "lp_value": round(result.lp_value, 1),
        "travel_bound": None if result.travel_bound is None else round(result.travel_bound, 1),
        "unplanned_lp": round(result.unplanned_lp, 3),
        "penalty_lp": round(result.penalty_lp, 1),
        "lp_optimal": result.lp_optimal,
        "iterations": result.iterations,
        "columns": result.columns,
        "nodes": result.nodes,
        "relaxation_description": result.relaxation,
        "bound_s": result.seconds,
        "build_s": round(build_s, 2),
        "attachment_bound": round(attachment, 1),
        "lp_day_kinds": day_kinds,
        "peak_rss_mib": peak_rss_mib(),
        "history": [
            {k: round(v, 2) if isinstance(v, float) else v for k, v in e.items()}
            for e in result.history
        ],
        **({"planner": [_regional_plan(problem, plan_limit)]} if region else {}),
    }


def _regional_plan(problem, time_limit: float) -> dict:
    """The planner's plan of a regional problem as a ``planner`` entry (seed 0)."""
    from optimizer.plan.validate import validate
    from optimizer.solve.solve import solve

    t0 = time.perf_counter()
    plan = solve(problem, time_limit=time_limit, seed=0)
    travel = plan.travel_min
    return {
        "method": "planner",
        "time_limit_s": time_limit,
        "seconds": round(time.perf_counter() - t0, 1),
        "travel_min": travel,
        "unplanned": len(plan.unplanned),
        "penalty": plan.stats.objective - travel,
        "objective": plan.stats.objective,
        "violations": len(validate(problem, plan)),
    }


def _key(row: dict) -> tuple:
    return row["variant"], row.get("region", ""), row["relaxation"], row["time_limit_s"]


def _upgrade(row: dict) -> dict:
    """A row written before the day-indexed bound: its ``relaxation`` was the description."""
    if row.get("relaxation") in RELAXATIONS:
        return row
    return {**row, "relaxation": "free", "relaxation_description": row.get("relaxation")}


def merge(out: Path, row: dict) -> dict:
    """``out``'s rows with ``row`` replacing the one of the same variant, region, relaxation
    and time limit."""
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"rows": []}
    rows = [r for r in map(_upgrade, data.get("rows", [])) if _key(r) != _key(row)]
    data["rows"] = sorted([*rows, row], key=_key)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> dict:
    """Command line of ``python -m benchmarks bound``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks bound", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--variant", choices=national.VARIANTS, default="example")
    parser.add_argument("--relaxation", choices=RELAXATIONS, default="free")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds")
    parser.add_argument("--region", default=None, help="a team member: bound their region")
    parser.add_argument("--trainers", type=int, default=2, help="trainers of the region")
    parser.add_argument("--delta", type=float, default=20.0, help="mip: reduced-cost limit")
    parser.add_argument("--plan-limit", type=float, default=60.0, help="region: planner s")
    parser.add_argument("--scenario", type=Path, default=None, help="instead of the example")
    parser.add_argument("--national", type=Path, default=NATIONAL, help="the planner's results")
    parser.add_argument("--out", type=Path, default=None, help="bound.json (region.json)")
    args = parser.parse_args(argv)
    out = args.out or (REGION_RESULTS if args.region else RESULTS)
    run = start_run(
        command_line("benchmarks bound", argv), seeds={"example": national.EXAMPLE_SEED}
    )
    with tempfile.TemporaryDirectory(prefix="bound-") as tmp:
        scenario = args.scenario or national.write_example_scenario(Path(tmp) / "example")
        row = measure_bound(
            scenario,
            variant=args.variant,
            time_limit=args.time_limit,
            relaxation=args.relaxation,
            region=args.region,
            trainers=args.trainers,
            delta=args.delta,
            plan_limit=args.plan_limit,
        )
    plans = row.get("planner") or planner_rows(args.variant, args.national)
    row["planner"] = _gaps(row["bound"], plans)
    row["run"] = finish_run(run)
    print(
        f"{args.variant}{' region ' + args.region if args.region else ''} "
        f"({args.relaxation}): bound {row['bound']} "
        f"(LP optimal {row['lp_optimal']}, {row['iterations']} iterations, "
        f"{row['bound_s']} s), attachment "
        f"{row['attachment_bound']}"
    )
    for plan in row["planner"]:
        print(
            f"  vs {plan['method']} {plan['time_limit_s']}: travel {plan['travel_min']} "
            f"+ penalty {plan['penalty']:g}: gap {plan['gap']}, travel gap {plan['travel_gap']}"
        )
    merge(out, row)
    return row
