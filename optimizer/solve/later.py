"""Sessions and trainings: a MIP over candidate (people, day, start) choices.

Once the intake dates are known, every session's day is bounded by the lag rule (intake + 28
.. intake + 182 days, and the deadline); every training's by its requested window and its
session (+14 days). A *candidate* places a visit on one day at one start with its people:
for a session a team member and a trainer with the session skill (same place, same time),
for a training one trainer with the visit's skill. Travel of a one-visit day is the round
trip from each person's base, so a candidate's cost does not depend on the day; days are
chosen by capacity:

- one appointment per person-day (team members' intake-route days are already taken);
- at most ``max_evenings_per_week`` evenings (days back home after ``work_end``) per team
  member per ISO week;
- at most ``max_sessions_per_week`` sessions per trainer per ISO week;
- a training only if its organisation's session is planned, at least 14 days after it.

Candidates are limited to each visit's cheapest team members and trainers and to a spread of
days (``LaterSettings``); the MIP (HiGHS) then chooses exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.domain import Appointment, Problem, Role, Skill, Stage, Visit, base_id
from optimizer.solve import objective
from optimizer.solve.mip import MipResult, SparseMip
from optimizer.solve.slots import Calendar, StartRange, person_free, spread_order
from optimizer.timeaxis import MINUTES_PER_DAY

EVENING_FROM = 18 * 60
"""Session starts from 18:00 local time are offered as the evening slot."""


@dataclass(frozen=True)
class LaterSettings:
    team_per_visit: int = 2
    trainers_per_visit: int = 3
    days_per_visit: int = 12
    """Days offered per visit and pair of people (spread over the allowed period)."""
    max_days_tried: int = 80
    """Allowed days timed at most per visit and pair of people (evenly sampled)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    visit: str
    people: tuple[str, ...]
    day: int
    start: int
    travel_min: int
    evening: bool


@dataclass
class LaterContext:
    """What the stage needs from the intake stage and the pins."""

    intake_day: dict[str, int]
    """Organisation code -> day index of its planned (or pinned) intake."""
    session_day: dict[str, int]
    """Organisation code -> day index of a pinned session (fixed)."""
    training_day: dict[str, int]
    """Organisation code -> day index of a pinned training (fixed)."""
    blocked: dict[str, set[int]]
    """Person -> day indices already taken (intake routes, pins)."""
    evenings_used: dict[tuple[str, tuple[int, int]], int]
    sessions_used: dict[tuple[str, tuple[int, int]], int]


@dataclass(frozen=True)
class LaterSolution:
    chosen: list[Candidate]
    unplanned: list[str]
    result: MipResult | None
    n_candidates: int
    candidates_of: dict[str, int]


def round_trip(problem: Problem, person: str, org: str) -> int:
    return problem.travel.min(base_id(person), org) + problem.travel.min(org, base_id(person))


def _person_window(problem: Problem, person: str, org: str, day: int, start: int, dur: int) -> bool:
    """Can ``person`` leave home, do [start, start+dur) at ``org`` and be home in time?

    Leave at or after ``work_start``, home by ``evening_end``, at most
    ``max_work_min_per_day`` away; the person is free for the whole trip."""
    rules = problem.rules
    base = day * MINUTES_PER_DAY
    leave = start - problem.travel.min(base_id(person), org)
    back = start + dur + problem.travel.min(org, base_id(person))
    if leave < base + rules.work_start or back > base + rules.evening_end:
        return False
    if back - leave > rules.max_work_min_per_day:
        return False
    return person_free(problem.people[person], (leave, back))


def is_evening(problem: Problem, person: str, org: str, start: int, dur: int) -> bool:
    """Whether this one-visit day brings ``person`` home after ``work_end`` (an evening)."""
    back = start + dur + problem.travel.min(org, base_id(person))
    return (
        back % MINUTES_PER_DAY > problem.rules.work_end
        or back // MINUTES_PER_DAY > start // MINUTES_PER_DAY
    )


def _first_start(
    problem: Problem,
    people: Sequence[str],
    org: str,
    day: int,
    ranges: Sequence[StartRange],
    dur: int,
) -> int | None:
    """The earliest start in ``ranges`` that every one of ``people`` can make, or None."""
    base = day * MINUTES_PER_DAY
    ready = max(
        base + problem.rules.work_start + problem.travel.min(base_id(p), org) for p in people
    )
    for lo, hi in ranges:
        start = max(lo, ready)
        if start > hi:
            continue
        if all(_person_window(problem, p, org, day, start, dur) for p in people):
            return start
    return None


def _nearest(problem: Problem, org: str, people: Sequence[str], k: int) -> list[str]:
    return sorted(people, key=lambda p: (round_trip(problem, p, org), p))[:k]


def session_candidates(
    problem: Problem,
    visit: Visit,
    ranges: dict[int, list[StartRange]],
    ctx: LaterContext,
    settings: LaterSettings,
) -> list[Candidate]:
    """Where and with whom ``visit`` (a session) could take place."""
    rules = problem.rules
    intake = ctx.intake_day.get(visit.org)
    if intake is None:
        return []
    first, last = intake + rules.session_lag_min_days, intake + rules.session_lag_max_days
    if visit.org in ctx.training_day:
        last = min(last, ctx.training_day[visit.org] - rules.training_lag_min_days)
    days = [d for d in sorted(ranges) if first <= d <= last]
    team = [p.id for p in problem.people.values() if p.role is Role.TEAM]
    trainers = [
        p.id
        for p in problem.people.values()
        if p.role is Role.TRAINER and Skill.SESSION in p.skills
    ]
    teams = _nearest(problem, visit.org, team, settings.team_per_visit)
    trains = _nearest(problem, visit.org, trainers, settings.trainers_per_visit)
    out = []
    for p in teams:
        for t in trains:
            cost = round_trip(problem, p, visit.org) + round_trip(problem, t, visit.org)
            taken = ctx.blocked.get(p, set()) | ctx.blocked.get(t, set())
            free = [d for d in days if d not in taken]
            found = 0
            for day in spread_order(free, settings.days_per_visit, settings.max_days_tried, 0):
                base = day * MINUTES_PER_DAY
                parts = (
                    [r for r in ranges[day] if r[0] - base < EVENING_FROM],
                    [r for r in ranges[day] if r[0] - base >= EVENING_FROM],
                )
                for part in parts:
                    start = _first_start(problem, (p, t), visit.org, day, part, visit.duration_min)
                    if start is not None:
                        evening = is_evening(problem, p, visit.org, start, visit.duration_min)
                        out.append(Candidate(visit.id, (p, t), day, start, cost, evening))
                found += any(c.day == day and c.people == (p, t) for c in out[-2:])
                if found >= settings.days_per_visit:
                    break
    return out


def training_candidates(
    problem: Problem,
    visit: Visit,
    ranges: dict[int, list[StartRange]],
    ctx: LaterContext,
    earliest_session_day: int | None,
    settings: LaterSettings,
) -> list[Candidate]:
    """Where and with which trainer ``visit`` (a training) could take place."""
    skill = visit.skill or Skill.GROUP_TRAINING
    trainers = [
        p.id for p in problem.people.values() if p.role is Role.TRAINER and skill in p.skills
    ]
    lag = problem.rules.training_lag_min_days
    days = sorted(ranges)
    if earliest_session_day is not None:
        days = [d for d in days if d >= earliest_session_day + lag]
    out = []
    for t in _nearest(problem, visit.org, trainers, settings.trainers_per_visit):
        cost = round_trip(problem, t, visit.org)
        free = [d for d in days if d not in ctx.blocked.get(t, ())]
        for day in spread_order(free, settings.days_per_visit, settings.max_days_tried, 0):
            start = _first_start(problem, (t,), visit.org, day, ranges[day], visit.duration_min)
            if start is not None:
                out.append(Candidate(visit.id, (t,), day, start, cost, False))
                if sum(c.people == (t,) for c in out) >= settings.days_per_visit:
                    break
    return out


def _cost(c: Candidate, previous: dict[str, Appointment]) -> float:
    cost = float(c.travel_min) + objective.EARLINESS_PER_DAY * c.day
    before = previous.get(c.visit)
    if before is not None and before.status.communicated and before.start != c.start:
        cost += objective.MOVED_PROPOSED
    return cost


def solve_later(
    problem: Problem,
    calendar: Calendar,
    sessions: Sequence[Visit],
    trainings: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    *,
    previous: dict[str, Appointment],
    time_limit: float,
    seed: int,
    settings: LaterSettings = LaterSettings(),
) -> LaterSolution:
    """Place sessions and trainings (see the module docstring)."""
    cands: dict[str, list[Candidate]] = {}
    for visit in sessions:
        cands[visit.id] = session_candidates(problem, visit, ranges[visit.id], ctx, settings)
    session_of_org = {v.org: v for v in sessions}
    for visit in trainings:
        session = session_of_org.get(visit.org)
        floor = None
        if visit.org in ctx.session_day:
            floor = ctx.session_day[visit.org]
        elif session is not None:
            days = [c.day for c in cands[session.id]]
            floor = min(days) if days else calendar.n_days
        cands[visit.id] = training_candidates(
            problem, visit, ranges[visit.id], ctx, floor, settings
        )
    mip = SparseMip()
    var_of: list[tuple[int, Candidate]] = []
    slack: dict[str, int] = {}
    by_visit: dict[str, list[int]] = defaultdict(list)
    person_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    evenings: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    weekly_sessions: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    for visit in [*sessions, *trainings]:
        penalty = objective.UNPLANNED_REQUIRED if visit.required else objective.UNPLANNED_OPTIONAL
        slack[visit.id] = mip.add_var(penalty)
        for c in cands[visit.id]:
            var = mip.add_var(_cost(c, previous))
            var_of.append((var, c))
            by_visit[visit.id].append(var)
            week = calendar.iso_week(c.day)
            for person in c.people:
                person_day[(person, c.day)].append(var)
            if visit.stage is Stage.SESSION:
                team, trainer = c.people
                weekly_sessions[(trainer, week)].append(var)
                if c.evening:
                    evenings[(team, week)].append(var)
        mip.add_row([(v, 1.0) for v in by_visit[visit.id]] + [(slack[visit.id], 1.0)], lb=1, ub=1)
    for vars_ in person_day.values():
        if len(vars_) > 1:
            mip.add_row([(v, 1.0) for v in vars_], ub=1)
    rules = problem.rules
    for key, vars_ in evenings.items():
        room = rules.max_evenings_per_week - ctx.evenings_used.get(key, 0)
        mip.add_row([(v, 1.0) for v in vars_], ub=max(room, 0))
    for key, vars_ in weekly_sessions.items():
        room = rules.max_sessions_per_week - ctx.sessions_used.get(key, 0)
        mip.add_row([(v, 1.0) for v in vars_], ub=max(room, 0))
    day_of = {var: c.day for var, c in var_of}
    big_m = calendar.n_days + rules.training_lag_min_days
    for visit in trainings:
        session = session_of_org.get(visit.org)
        if session is None or visit.org in ctx.session_day:
            continue
        t_vars, s_vars = by_visit[visit.id], by_visit[session.id]
        # a training only if the session is planned ...
        mip.add_row([(v, 1.0) for v in t_vars] + [(v, -1.0) for v in s_vars], ub=0)
        # ... and at least the lag after it: sum d*z - sum d*y + M*u >= lag
        terms = [(v, float(day_of[v])) for v in t_vars] + [(v, -float(day_of[v])) for v in s_vars]
        mip.add_row(terms + [(slack[visit.id], float(big_m))], lb=rules.training_lag_min_days)
    n_cand = len(var_of)
    counts = {vid: len(v) for vid, v in by_visit.items()}
    if not slack:
        return LaterSolution([], [], None, 0, {})
    result = mip.solve(time_limit=time_limit, seed=seed)
    if not result.feasible:
        return LaterSolution([], list(slack), result, n_cand, counts)
    chosen = [c for var, c in var_of if result.values[var] > 0.5]
    unplanned = [vid for vid, var in slack.items() if result.values[var] > 0.5]
    return LaterSolution(chosen, unplanned, result, n_cand, counts)
