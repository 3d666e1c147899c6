"""What the planner's decomposition costs: ``python -m benchmarks decomposition``.

The planner places intakes first, then sessions and trainings for those intake dates (stage 2),
then re-plans intakes and trainings around the sessions; a session's team member and trainer
are chosen together (one or two sessions a day for both). Two checks on one plan of the
national example measure what that costs:

1. **Lag.** Stage 2 is solved again for the plan's intake dates, once with the lag rule
   (session 28-182 days after its intake) and once without it (a session on any day its
   calendar allows). The difference is what better intake dates could at most save stage 2
   (exactly so when both MIPs end optimal; each gets ``--stage-time-limit`` seconds).
2. **Crossed pairs.** With the plan's session days and starts fixed, one MIP re-assigns team
   members and trainers: each person any one or two sessions of a day in which they have no
   other visit (in time order, travel between them, the day's limits and their calendar), each
   session exactly one team member and one trainer, where the plan has them on a sessions-only
   day. A trainer may then pair other sessions than the team member. The weekly limits are
   not applied, so the gain is over-stated rather than under-stated.
3. **Linked round.** The plan is made again with the re-planning round's lag rows on
   (``SessionDaySettings.lag_rows``: a session may move to a day its intake is too late for,
   the intake moving with it). Both plans' round masters report their LP bound: no plan that
   round can reach (sessions on their stage-2 day or one of the few days offered near it)
   travels less, so the linked bound says how far intake and session dates decided together
   *within the round* could go.
4. **Sessions first.** The plan is made again with the stages' order turned round
   (``SolveSettings.sessions_first``: sessions and trainings placed first on days some intake
   day allows, every intake planned in the round inside its session's lag window), and with
   the lag loosened (``SolveSettings.lag_slack_days`` = ``LAG_SLACK_DAYS``: stage 2 may place
   a session that many days outside the lag to its stage-1 intake, the round moves the
   intake), at the plan's limit and at each ``--short-time-limits``, against the default
   order at those limits: travel, unplanned visits, the team members' and trainers' shares,
   the stage-2 travel, the round's LP bound and the days that combine stages.

Writes ``benchmarks/results/decomposition.json``; minutes of travel throughout.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks import national
from benchmarks.machine import command_line, finish_run, start_run
from optimizer.domain import Appointment, Plan, Problem, Role, Skill, Stage, base_id
from optimizer.plan.validate import validate
from optimizer.solve.later import solve_later
from optimizer.solve.mip import SparseMip
from optimizer.solve.session_days import SessionDaySettings
from optimizer.solve.slots import Calendar, person_free, start_ranges
from optimizer.solve.solve import SolveSettings, _later_context, _pinned_days, solve
from optimizer.timeaxis import MINUTES_PER_DAY

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "decomposition.json"
LAG_SLACK_DAYS = 60
"""Check 4's loosened lag (days either side)."""
NO_LAG_DAYS = 100_000
"""A session lag maximum longer than any horizon (days)."""


def stage2_with_and_without_lag(problem: Problem, plan: Plan, time_limit: float) -> dict:
    """Stage 2 for the plan's intake dates, with the lag rule and without it."""
    cal = Calendar.of(problem)
    pinned = {a.visit_id for a in problem.pins}
    later = [v for v in problem.visits.values() if v.stage is not Stage.INTAKE]
    later = [v for v in later if v.id not in pinned]
    sessions = [v for v in later if v.stage is Stage.SESSION]
    trainings = [v for v in later if v.stage is Stage.TRAINING]
    ranges = {v.id: start_ranges(problem, v, cal) for v in later}
    intakes = [a for a in plan.appointments if a.stage is Stage.INTAKE]
    blocked = _pinned_days(problem)
    for a in intakes:
        for person in a.people:
            blocked[person].add(a.start // MINUTES_PER_DAY)
    ctx = _later_context(problem, [*problem.pins, *intakes], blocked)
    free_rules = dataclasses.replace(
        problem.rules, session_lag_min_days=0, session_lag_max_days=NO_LAG_DAYS
    )
    no_lag = dataclasses.replace(problem, rules=free_rules)
    no_lag_ctx = dataclasses.replace(ctx, intake_day=dict.fromkeys(ctx.intake_day, 0))
    out = {}
    for name, prob, context in (("with_lag", problem, ctx), ("without_lag", no_lag, no_lag_ctx)):
        began = time.perf_counter()
        result = solve_later(
            prob,
            cal,
            sessions,
            trainings,
            ranges,
            context,
            previous={},
            time_limit=time_limit,
            seed=0,
        )
        out[name] = {
            "travel_min": sum(c.travel_min for c in result.chosen),
            "unplanned": len(result.unplanned),
            "status": result.result.status if result.result else None,
            "seconds": round(time.perf_counter() - began, 2),
        }
    out["saved_min"] = out["with_lag"]["travel_min"] - out["without_lag"]["travel_min"]
    return out


def _day_travel(problem: Problem, person: str, seq: tuple[Appointment, ...]) -> int | None:
    """Travel of ``person``'s day home -> ``seq`` (fixed starts, time order) -> home, or None
    when it breaks the day's limits or the person's calendar."""
    rules, t, home = problem.rules, problem.travel.min, base_id(person)
    day = seq[0].start // MINUTES_PER_DAY
    base = day * MINUTES_PER_DAY
    first = problem.visits[seq[0].visit_id]
    leave, here = seq[0].start - t(home, first.org), first.org
    travel, free_at = t(home, first.org), seq[0].start + first.duration_min
    for appt in seq[1:]:
        visit = problem.visits[appt.visit_id]
        if free_at + t(here, visit.org) > appt.start:
            return None
        travel += t(here, visit.org)
        here, free_at = visit.org, appt.start + visit.duration_min
    back = free_at + t(here, home)
    travel += t(here, home)
    if leave < base + rules.work_start or back > base + rules.evening_end:
        return None
    if back - leave > rules.max_work_min_per_day or not person_free(
        problem.people[person], (leave, back)
    ):
        return None
    return travel


def crossed_pairs(problem: Problem, plan: Plan, time_limit: float) -> dict:
    """The plan's sessions-only days re-assigned with crossed pairs allowed (module doc)."""
    stage_of = {v.id: v.stage for v in problem.visits.values()}
    busy: dict[str, set[int]] = defaultdict(set)
    fixed: set[tuple[str, Role]] = set()
    current = 0
    for route in plan.routes:
        day = (route.day - problem.horizon_start).days
        if {stage_of[v] for v in route.visits} == {Stage.SESSION}:
            current += route.travel_min
            continue
        busy[route.person].add(day)
        fixed |= {(v, problem.people[route.person].role) for v in route.visits}
    by_day: dict[int, list[Appointment]] = defaultdict(list)
    for appt in plan.appointments:
        if appt.stage is Stage.SESSION:
            by_day[appt.start // MINUTES_PER_DAY].append(appt)
    people = [
        p
        for p in problem.people.values()
        if p.role is Role.TEAM or (p.role is Role.TRAINER and Skill.SESSION in p.skills)
    ]
    mip = SparseMip()
    cover: dict[tuple[str, Role], list[int]] = defaultdict(list)
    person_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    for day, appts in by_day.items():
        appts.sort(key=lambda a: a.start)
        for person in (p for p in people if day not in busy[p.id]):
            for k in (1, 2):
                for seq in itertools.combinations(appts, k):
                    travel = _day_travel(problem, person.id, seq)
                    if travel is None:
                        continue
                    var = mip.add_var(travel)
                    for appt in seq:
                        cover[(appt.visit_id, person.role)].append(var)
                    person_day[(person.id, day)].append(var)
    for appts in by_day.values():
        for appt in appts:
            for role in (Role.TEAM, Role.TRAINER):
                need = 0.0 if (appt.visit_id, role) in fixed else 1.0
                mip.add_row([(v, 1.0) for v in cover[(appt.visit_id, role)]], lb=need, ub=need)
    for variables in person_day.values():
        mip.add_row([(v, 1.0) for v in variables], ub=1)
    result = mip.solve(time_limit=time_limit)
    return {
        "current_min": current,
        "reassigned_min": round(result.objective) if result.feasible else None,
        "status": result.status,
        "routes": mip.n_vars,
    }


def round_bounds(plan: Plan) -> dict:
    """The plan's travel and its re-planning round's master: objective and LP bound (travel
    plus penalties, minutes), status and columns."""
    details = plan.stats.details
    return {
        "travel_min": sum(r.travel_min for r in plan.routes),
        "unplanned": len(plan.unplanned),
        "round_objective": details.get("replan_objective"),
        "round_bound": details.get("replan_bound"),
        "round_status": details.get("replan_status"),
        "round_columns": details.get("replan_columns"),
    }


def linked_round(problem: Problem, time_limit: float, seed: int) -> dict:
    """The plan again with the re-planning round's lag rows on (module doc, check 3)."""
    settings = SolveSettings(session_days=SessionDaySettings(lag_rows=True))
    return round_bounds(solve(problem, time_limit=time_limit, seed=seed, settings=settings))


def plan_summary(problem: Problem, plan: Plan) -> dict:
    """What check 4 compares of a plan (travel in minutes)."""
    details = plan.stats.details
    return {
        "travel_min": sum(r.travel_min for r in plan.routes),
        "unplanned": len(plan.unplanned),
        "violations": len(validate(problem, plan)),
        "team_travel_min": details.get("team_travel_min"),
        "trainer_travel_min": details.get("trainer_travel_min"),
        "later_travel_min": details.get("later_travel_min"),
        "round_bound": details.get("replan_bound"),
        "round_status": details.get("replan_status"),
        "mixed_days": details.get("mixed_days"),
        "seconds": round(plan.stats.runtime_s, 1),
    }


def sessions_first(
    problem: Problem, plan: Plan, time_limit: float, short_limits: list[float], seed: int
) -> list[dict]:
    """Check 4: the default order (``plan`` at ``time_limit``, solved again at each of
    ``short_limits``) against sessions first and the loosened lag, at each limit."""
    first = SolveSettings(sessions_first=True)
    loose = SolveSettings(lag_slack_days=LAG_SLACK_DAYS)
    out = []
    for limit in sorted({*short_limits, time_limit}):
        default = plan if limit == time_limit else solve(problem, time_limit=limit, seed=seed)
        turned = solve(problem, time_limit=limit, seed=seed, settings=first)
        loosened = solve(problem, time_limit=limit, seed=seed, settings=loose)
        out.append(
            {
                "time_limit_s": limit,
                "default": plan_summary(problem, default),
                "sessions_first": plan_summary(problem, turned),
                "lag_slack": plan_summary(problem, loosened),
                "lag_slack_days": LAG_SLACK_DAYS,
            }
        )
        print(f"sessions first at {limit:g} s: {out[-1]}")
    return out


def main(argv: list[str] | None = None) -> dict:
    """Command line of ``python -m benchmarks decomposition``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks decomposition", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--variant", choices=national.VARIANTS, default="example")
    parser.add_argument("--time-limit", type=float, default=300.0, help="the plan's, seconds")
    parser.add_argument("--stage-time-limit", type=float, default=120.0, help="each stage 2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--short-time-limits", type=float, nargs="*", default=[60.0], help="check 4, s"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from optimizer.data.problem import build_problem

    run = start_run(
        command_line("benchmarks decomposition", argv),
        seeds={"solver": args.seed, "example": national.EXAMPLE_SEED},
    )
    with tempfile.TemporaryDirectory(prefix="decomposition-") as tmp:
        path = national.write_example_scenario(Path(tmp) / "example")
        problem = build_problem(national.variant_scenario(path, args.variant))
    plan = solve(problem, time_limit=args.time_limit, seed=args.seed)
    travel = sum(r.travel_min for r in plan.routes)
    print(f"plan ({args.time_limit:g} s): {travel} min, {len(plan.unplanned)} unplanned")
    lag = stage2_with_and_without_lag(problem, plan, args.stage_time_limit)
    print(f"stage 2 with lag {lag['with_lag']}, without {lag['without_lag']}")
    crossed = crossed_pairs(problem, plan, args.stage_time_limit)
    print(f"crossed pairs: {crossed}")
    rounds = {
        "default": round_bounds(plan),
        "linked": linked_round(problem, args.time_limit, args.seed),
    }
    print(f"round bounds: {rounds}")
    order = sessions_first(problem, plan, args.time_limit, args.short_time_limits, args.seed)
    result = {
        "run": finish_run(run),
        "variant": args.variant,
        "time_limit_s": args.time_limit,
        "stage_time_limit_s": args.stage_time_limit,
        "plan_travel_min": travel,
        "lag": lag,
        "crossed_pairs": crossed,
        "rounds": rounds,
        "sessions_first": order,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
