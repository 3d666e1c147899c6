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
days (``LaterSettings``); the MIP (HiGHS, with reduced-cost filtering as in the intake stage)
then chooses.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer.domain import Appointment, Problem, Role, Rules, Skill, Stage, Visit, base_id
from optimizer.solve import objective
from optimizer.solve.mip import MipResult, SparseMip
from optimizer.solve.slots import (
    Calendar,
    StartRange,
    earliest_start,
    latest_start,
    person_free,
    spread_order,
)
from optimizer.timeaxis import MINUTES_PER_DAY

EVENING_FROM = 18 * 60
"""Session starts from 18:00 local time are offered as the evening slot."""


@dataclass(frozen=True)
class LaterSettings:
    team_per_visit: int = 2
    trainers_per_visit: int = 3
    days_per_visit: int = 12
    """Days offered per visit and pair of people (spread over the allowed period)."""
    pair_sessions: bool = True
    """Also offer two nearby sessions on one day (afternoon + evening) for one team member and
    one trainer (:func:`session_pairs`)."""
    pair_neighbours: int = 12
    """Nearest other sessions a session is paired with (measured on the national example at
    60 s: 4 -> 12 saved about 1,300 minutes; 20 left the stage-2 MIP unsolved in its time)."""
    pair_max_leg_min: int = 75
    """Longest drive between the two sessions of a pair."""
    pair_days: int = 8
    """Days offered per session pair, people and order."""
    keep_candidates: int = 9000
    """Candidates of least LP reduced cost the MIP keeps (reduced-cost filtering). Was 6,000
    until the trainings before a session came (session 13): on captured stage-2 inputs of 60 s
    plans with 15 s, 6,000 ended at the first restriction's optimum (example 33,823, tight
    737,378), 9,000 went further (33,561 and 737,063), 12,000 reached 33,441 on the example
    but left the tight variant's first restriction unsolved (10 visits out)."""
    max_days_tried: int = 80
    """Allowed days timed at most per visit and pair of people (evenly sampled)."""
    training_before_session: bool = True
    """Also offer a trainer's day of a training and then a session of a nearby organisation
    (afternoon or evening) with one of the session's team members
    (:func:`training_session_days`)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One choice for the MIP: ``visits`` at ``starts`` on ``day`` by ``people`` together.

    Most candidates hold one visit; a *session pair* holds two sessions of nearby
    organisations on one day (afternoon, then evening) for the same team member and trainer.
    ``travel_min`` is the day's travel of all its people; ``evening`` whether the team member
    comes home after ``work_end``.
    """

    visits: tuple[str, ...]
    starts: tuple[int, ...]
    people: tuple[str, ...]
    day: int
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
    reserved: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Organisation code -> (team member, day index) kept free of intakes for its session
    (:mod:`~optimizer.solve.reserve`): offered with every session trainer who can make it."""
    session_window: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Organisation code -> (first, last) day index its session may take while its intake is
    still to be planned, or to be moved (``SolveSettings.sessions_first`` and
    ``lag_slack_days``; :func:`~optimizer.solve.solve.session_windows`); an organisation in
    ``intake_day`` takes the lag to that intake instead."""


def session_period(problem: Problem, ctx: LaterContext, org: str) -> tuple[int, int] | None:
    """The first and last day index ``org``'s session may take: the lag to its intake (or its
    window while the intake is still to be planned), before its pinned training less the
    training lag; None without either."""
    rules = problem.rules
    intake = ctx.intake_day.get(org)
    if intake is not None:
        first, last = intake + rules.session_lag_min_days, intake + rules.session_lag_max_days
    elif org in ctx.session_window:
        first, last = ctx.session_window[org]
    else:
        return None
    if org in ctx.training_day:
        last = min(last, ctx.training_day[org] - rules.training_lag_min_days)
    return first, last


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


def first_start(
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


def nearest_people(problem: Problem, org: str, people: Sequence[str], k: int) -> list[str]:
    """The ``k`` of ``people`` with the shortest round trip from their base to ``org``."""
    return sorted(people, key=lambda p: (round_trip(problem, p, org), p))[:k]


def session_candidates(
    problem: Problem,
    visit: Visit,
    ranges: dict[int, list[StartRange]],
    ctx: LaterContext,
    settings: LaterSettings,
) -> list[Candidate]:
    """Where and with whom ``visit`` (a session) could take place."""
    period = session_period(problem, ctx, visit.org)
    if period is None:
        return []
    first, last = period
    days = [d for d in sorted(ranges) if first <= d <= last]
    close = _training_room(problem, visit, ctx)
    team = [p.id for p in problem.people.values() if p.role is Role.TEAM]
    trainers = [
        p.id
        for p in problem.people.values()
        if p.role is Role.TRAINER and Skill.SESSION in p.skills
    ]
    teams = nearest_people(problem, visit.org, team, settings.team_per_visit)
    trains = nearest_people(problem, visit.org, trainers, settings.trainers_per_visit)
    out = []
    for p in teams:
        for t in trains:
            cost = round_trip(problem, p, visit.org) + round_trip(problem, t, visit.org)
            taken = ctx.blocked.get(p, set()) | ctx.blocked.get(t, set())
            free = [d for d in days if d not in taken]
            found = 0
            for day in _days_first_before(free, close, settings):
                base = day * MINUTES_PER_DAY
                parts = (
                    [r for r in ranges[day] if r[0] - base < EVENING_FROM],
                    [r for r in ranges[day] if r[0] - base >= EVENING_FROM],
                )
                for part in parts:
                    start = first_start(problem, (p, t), visit.org, day, part, visit.duration_min)
                    if start is not None:
                        evening = is_evening(problem, p, visit.org, start, visit.duration_min)
                        out.append(Candidate((visit.id,), (start,), (p, t), day, cost, evening))
                found += any(c.day == day and c.people == (p, t) for c in out[-2:])
                if found >= settings.days_per_visit:
                    break
    if visit.org in ctx.reserved:
        out += _reserved_candidates(problem, visit, ranges, ctx, trainers, out)
    return out


def _reserved_candidates(
    problem: Problem,
    visit: Visit,
    ranges: dict[int, list[StartRange]],
    ctx: LaterContext,
    trainers: Sequence[str],
    offered: Sequence[Candidate],
) -> list[Candidate]:
    """``visit``'s (a session's) candidates on its reserved day with its reserved team member
    and every session trainer who can make it, less those already ``offered``."""
    person, day = ctx.reserved[visit.org]
    period = session_period(problem, ctx, visit.org)
    if day not in ranges or period is None or not period[0] <= day <= period[1]:
        return []
    if day in ctx.blocked.get(person, set()):
        return []
    seen = {(c.people, c.day, c.starts) for c in offered}
    out = []
    for t in trainers:
        if day in ctx.blocked.get(t, set()):
            continue
        start = first_start(problem, (person, t), visit.org, day, ranges[day], visit.duration_min)
        if start is None or ((person, t), day, (start,)) in seen:
            continue
        cost = round_trip(problem, person, visit.org) + round_trip(problem, t, visit.org)
        evening = is_evening(problem, person, visit.org, start, visit.duration_min)
        out.append(Candidate((visit.id,), (start,), (person, t), day, cost, evening))
    return out


def _training_room(problem: Problem, visit: Visit, ctx: LaterContext) -> int | None:
    """The last day index of ``visit``'s (a session's) that leaves its organisation's training
    (not pinned) its lag before the training's requested window closes; None without one."""
    training = problem.visits.get(Visit.make_id(visit.org, Stage.TRAINING))
    if training is None or training.latest is None or visit.org in ctx.training_day:
        return None
    closes = (training.latest - problem.horizon_start).days
    return closes - problem.rules.training_lag_min_days


def _days_first_before(days: list[int], close: int | None, settings: LaterSettings) -> list[int]:
    """``days`` in the order candidates are tried (spread over them); with ``close``, the days
    on or before it first (a session after them leaves its training no day)."""
    k, limit = settings.days_per_visit, settings.max_days_tried
    if close is None:
        return spread_order(days, k, limit, 0)
    early = [d for d in days if d <= close]
    late = [d for d in days if d > close]
    return spread_order(early, k, limit, 0) + spread_order(late, k, limit, 0)


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
    for t in nearest_people(problem, visit.org, trainers, settings.trainers_per_visit):
        cost = round_trip(problem, t, visit.org)
        free = [d for d in days if d not in ctx.blocked.get(t, ())]
        for day in spread_order(free, settings.days_per_visit, settings.max_days_tried, 0):
            start = first_start(problem, (t,), visit.org, day, ranges[day], visit.duration_min)
            if start is not None:
                out.append(Candidate((visit.id,), (start,), (t,), day, cost, False))
                if sum(c.people == (t,) for c in out) >= settings.days_per_visit:
                    break
    return out


def _cost(c: Candidate, previous: dict[str, Appointment]) -> float:
    return objective.choice_cost(c.travel_min, c.day, c.visits, c.starts, previous)


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
    start: Sequence[Candidate] = (),
) -> LaterSolution:
    """Place sessions and trainings (see the module docstring).

    ``start`` (e.g. the greedy baseline's choices, which are candidates of the same
    generators) is handed to HiGHS as the starting solution. ``time_limit`` covers the
    candidate generation too."""
    began = time.perf_counter()
    cands: dict[str, list[Candidate]] = {}
    for visit in sessions:
        cands[visit.id] = session_candidates(problem, visit, ranges[visit.id], ctx, settings)
    pairs = (
        session_pairs(problem, sessions, ranges, ctx, settings) if settings.pair_sessions else []
    )
    session_of_org = {v.org: v for v in sessions}
    floors: dict[str, int | None] = {}
    for visit in trainings:
        session = session_of_org.get(visit.org)
        floor = None
        if visit.org in ctx.session_day:
            floor = ctx.session_day[visit.org]
        elif session is not None:
            days = [c.day for c in cands[session.id]]
            days += [c.day for c in pairs if session.id in c.visits]
            floor = min(days) if days else calendar.n_days
        floors[visit.id] = floor
        cands[visit.id] = training_candidates(
            problem, visit, ranges[visit.id], ctx, floor, settings
        )
    mixed = (
        training_session_days(problem, trainings, sessions, ranges, ctx, floors, settings)
        if settings.training_before_session
        else []
    )
    everything = [c for visit in [*sessions, *trainings] for c in cands[visit.id]] + pairs + mixed
    mip = SparseMip()
    var_of: list[tuple[int, Candidate]] = []
    slack: dict[str, int] = {}
    by_visit: dict[str, list[int]] = defaultdict(list)
    person_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    evenings: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    weekly_sessions: dict[tuple[str, tuple[int, int]], list[tuple[int, float]]] = defaultdict(list)
    for c in everything:
        var = mip.add_var(_cost(c, previous))
        var_of.append((var, c))
        week = calendar.iso_week(c.day)
        for visit_id in c.visits:
            by_visit[visit_id].append(var)
        for person in c.people:
            person_day[(person, c.day)].append(var)
        n_sessions = sum(problem.visits[v].stage is Stage.SESSION for v in c.visits)
        if n_sessions:
            team, trainer = c.people
            weekly_sessions[(trainer, week)].append((var, float(n_sessions)))
            if c.evening:
                evenings[(team, week)].append(var)
    for visit in [*sessions, *trainings]:
        slack[visit.id] = mip.add_var(objective.unplanned_penalty(visit))
        mip.add_row([(v, 1.0) for v in by_visit[visit.id]] + [(slack[visit.id], 1.0)], lb=1, ub=1)
    for vars_ in person_day.values():
        if len(vars_) > 1:
            mip.add_row([(v, 1.0) for v in vars_], ub=1)
    rules = problem.rules
    for key, vars_ in evenings.items():
        room = rules.max_evenings_per_week - ctx.evenings_used.get(key, 0)
        mip.add_row([(v, 1.0) for v in vars_], ub=max(room, 0))
    for key, terms in weekly_sessions.items():
        room = rules.max_sessions_per_week - ctx.sessions_used.get(key, 0)
        mip.add_row(terms, ub=max(room, 0))
    day_of = {var: c.day for var, c in var_of}
    chains: list[list[tuple[int, list[int]]]] = []
    for visit in trainings:
        session = session_of_org.get(visit.org)
        if session is None or visit.org in ctx.session_day:
            continue
        chains.append(add_lag_rows(mip, by_visit[visit.id], by_visit[session.id], day_of, rules))
    n_cand = len(var_of)
    counts = {vid: len(v) for vid, v in by_visit.items()}
    if not slack:
        return LaterSolution([], [], None, 0, {})
    values = _start_values(mip.n_vars, var_of, slack, start)
    if values is not None:
        for chain in chains:
            fill_lag_chain(values, chain)
    result = mip.solve(
        time_limit=max(1.0, time_limit - (time.perf_counter() - began)),
        seed=seed,
        start=values,
        keep=settings.keep_candidates,
        protect=[*slack.values(), *(var for chain in chains for var, _ in chain)],
        groups=by_visit.values(),
    )
    if not result.feasible:
        return LaterSolution([], list(slack), result, n_cand, counts)
    chosen = [c for var, c in var_of if result.values[var] > 0.5]
    unplanned = [vid for vid, var in slack.items() if result.values[var] > 0.5]
    return LaterSolution(chosen, unplanned, result, n_cand, counts)


def add_lag_rows(
    mip: SparseMip,
    training_vars: Sequence[int],
    session_vars: Sequence[int],
    day_of: dict[int, int],
    rules: Rules,
) -> list[tuple[int, list[int]]]:
    """The training lag as rows of ``mip``: for each day ``d`` a training candidate is on,
    the training's candidates on or before ``d`` sum to at most the session's candidates on
    or before ``d - training_lag_min_days``. A training is then planned only with its
    session, at least the lag after it (take ``d`` = its day), and every such pair keeps
    every row. The session's sums are continuous variables ``c_k`` chained day by day
    (``c_k <= c_(k-1) + `` the session's candidates between the two days), so each session
    candidate has one entry, not one per day. Returns the chain in order: each variable with
    the session candidates it adds to the one before (:func:`fill_lag_chain`).

    This time-indexed form of the precedence replaced one big-M row over the days' sums
    (``sum d*z - sum d*y + M*u >= lag``), whose LP lets a fraction of a late session pay
    for an early training. On stage 2 of a tight national 60 s plan (inputs replayed, one run
    each) the big-M model left one training more out after 10 and 20 s and planned it after
    45 s."""
    lag = rules.training_lag_min_days
    by_day = sorted(session_vars, key=lambda v: day_of[v])
    chain: list[tuple[int, list[int]]] = []
    previous, taken = None, 0
    for day in sorted({day_of[v] for v in training_vars}):
        upto = taken
        while upto < len(by_day) and day_of[by_day[upto]] <= day - lag:
            upto += 1
        var = mip.add_var(0.0, integer=False)
        terms = [(var, 1.0)] + [(v, -1.0) for v in by_day[taken:upto]]
        mip.add_row(terms + ([(previous, -1.0)] if previous is not None else []), ub=0)
        trainings = [(v, 1.0) for v in training_vars if day_of[v] <= day]
        mip.add_row([*trainings, (var, -1.0)], ub=0)
        chain.append((var, by_day[taken:upto]))
        previous, taken = var, upto
    return chain


def fill_lag_chain(values: np.ndarray, chain: Sequence[tuple[int, list[int]]]) -> None:
    """Set the chain variables of :func:`add_lag_rows` in ``values`` (a full assignment) to
    the session's running sum, at most 1: the largest values its rows allow, so a start that
    keeps the lag keeps every row."""
    total = 0.0
    for var, added in chain:
        total = min(1.0, total + float(values[np.asarray(added, dtype=np.int64)].sum()))
        values[var] = total


def _part(ranges: Sequence[StartRange], day: int, evening: bool) -> list[StartRange]:
    base = day * MINUTES_PER_DAY
    return [r for r in ranges if (r[0] - base >= EVENING_FROM) == evening]


def _pair_timing(
    problem: Problem,
    people: Sequence[str],
    first: Visit,
    second: Visit,
    day: int,
    ranges: dict[str, dict[int, list[StartRange]]],
) -> tuple[int, int] | None:
    """Starts of ``first`` (afternoon) then ``second`` (evening) on ``day`` for all ``people``:
    the second as early as it goes, the first as late as the second allows (the shortest day)."""
    rules = problem.rules
    base = day * MINUTES_PER_DAY
    out = {p: problem.travel.min(base_id(p), first.org) for p in people}
    ready = base + rules.work_start + max(out.values())
    afternoon = _part(ranges[first.id][day], day, evening=False)
    s1 = earliest_start(afternoon, ready)
    if s1 is None:
        return None
    between = first.duration_min + problem.travel.min(first.org, second.org)
    s2 = earliest_start(_part(ranges[second.id][day], day, evening=True), s1 + between)
    if s2 is None:
        return None
    s1 = latest_start(afternoon, s2 - between) or s1
    for p in people:
        leave = s1 - out[p]
        back = s2 + second.duration_min + problem.travel.min(second.org, base_id(p))
        if back > base + rules.evening_end or back - leave > rules.max_work_min_per_day:
            return None
        if not person_free(problem.people[p], (leave, back)):
            return None
    return s1, s2


def _pair_possible(problem: Problem, person: str, first: Visit, second: Visit) -> bool:
    """Whether ``person`` could do ``first`` in the afternoon and ``second`` in the evening on
    some day at all: the shortest such day (first as late in the afternoon as it goes, second
    as early in the evening as the drive allows) keeps the day's limits. A necessary
    condition, checked before any day is timed."""
    rules = problem.rules
    t = problem.travel
    home = base_id(person)
    first_start = rules.afternoon[1] - first.duration_min
    second_start = max(rules.evening[0], rules.afternoon[1] + t.min(first.org, second.org))
    leave = first_start - t.min(home, first.org)
    back = second_start + second.duration_min + t.min(second.org, home)
    return back <= rules.evening_end and back - leave <= rules.max_work_min_per_day


def _pair_cost(problem: Problem, person: str, first: str, second: str) -> int:
    home = base_id(person)
    t = problem.travel
    return t.min(home, first) + t.min(first, second) + t.min(second, home)


def _session_trainers(problem: Problem) -> list[str]:
    return [
        p.id
        for p in problem.people.values()
        if p.role is Role.TRAINER and Skill.SESSION in p.skills
    ]


def _pair_periods(
    problem: Problem,
    sessions: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
) -> dict[str, set[int]]:
    """Per session, the days its lag rule and calendar allow."""
    allowed: dict[str, set[int]] = {}
    for v in sessions:
        period = session_period(problem, ctx, v.org)
        if period is None:
            continue
        lo, hi = period
        days = {d for d in ranges[v.id] if lo <= d <= hi}
        if days:
            allowed[v.id] = days
    return allowed


def _pair_partners(
    problem: Problem, sessions: Sequence[Visit], settings: LaterSettings
) -> list[tuple[Visit, Visit]]:
    """Unordered pairs of sessions whose organisations are at most ``pair_max_leg_min`` apart,
    each session with its ``pair_neighbours`` nearest."""
    t = problem.travel
    pairs: set[tuple[str, str]] = set()
    for a in sessions:
        near = []
        for b in sessions:
            there, back = t.min(a.org, b.org), t.min(b.org, a.org)
            if b.id != a.id and max(there, back) <= settings.pair_max_leg_min:
                near.append((there + back, b.id))
        for _, b_id in sorted(near)[: settings.pair_neighbours]:
            pairs.add(tuple(sorted((a.id, b_id))))
    return [(problem.visits[a], problem.visits[b]) for a, b in sorted(pairs)]


def session_pairs(
    problem: Problem,
    sessions: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    settings: LaterSettings,
) -> list[Candidate]:
    """Two sessions of nearby organisations on one day: the first in the afternoon, the
    second in the evening, by one team member and one trainer who drive from one to the
    other. Offered where both sessions' lag periods share a day on which both are free."""
    if not settings.pair_sessions:
        return []
    allowed = _pair_periods(problem, sessions, ranges, ctx)
    team = [p.id for p in problem.people.values() if p.role is Role.TEAM]
    trainers = _session_trainers(problem)
    placed = [v for v in sessions if v.id in allowed]
    out: list[Candidate] = []
    for a, b in _pair_partners(problem, placed, settings):
        common = sorted(allowed[a.id] & allowed[b.id])
        if not common:
            continue
        teams = nearest_people(problem, a.org, team, settings.team_per_visit)
        trains = nearest_people(problem, a.org, trainers, settings.trainers_per_visit)
        for first, second in ((a, b), (b, a)):
            # days on which the first has an afternoon and the second an evening start
            days = [
                d
                for d in common
                if _part(ranges[first.id][d], d, evening=False)
                and _part(ranges[second.id][d], d, evening=True)
            ]
            if not days:
                continue
            for people in itertools.product(teams, trains):
                if all(_pair_possible(problem, p, first, second) for p in people):
                    out += _pair_days(problem, people, first, second, days, ranges, ctx, settings)
    return out


def _free_days(common: Sequence[int], people: Sequence[str], ctx: LaterContext) -> list[int]:
    """The days of ``common`` on which none of ``people`` is taken already."""
    taken = set().union(*(ctx.blocked.get(p, set()) for p in people))
    return [d for d in common if d not in taken]


def _pair_days(
    problem: Problem,
    people: tuple[str, str],
    first: Visit,
    second: Visit,
    common: Sequence[int],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    settings: LaterSettings,
) -> list[Candidate]:
    """Up to ``pair_days`` days on which ``people`` can do ``first`` then ``second``."""
    days = _free_days(common, people, ctx)
    cost = sum(_pair_cost(problem, p, first.org, second.org) for p in people)
    out: list[Candidate] = []
    for day in spread_order(days, settings.pair_days, settings.max_days_tried, 0):
        starts = _pair_timing(problem, people, first, second, day, ranges)
        if starts is not None:
            out.append(Candidate((first.id, second.id), starts, people, day, cost, True))
            if len(out) >= settings.pair_days:
                break
    return out


def visit_people(problem: Problem, cand: Candidate, visit_id: str) -> tuple[str, ...]:
    """The people of ``cand`` at ``visit_id``: a training's trainer alone (a candidate's
    trainer is its last person), a session's team member and trainer."""
    if problem.visits[visit_id].stage is Stage.TRAINING:
        return cand.people[-1:]
    return cand.people


def training_session_days(
    problem: Problem,
    trainings: Sequence[Visit],
    sessions: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    floors: dict[str, int | None],
    settings: LaterSettings,
) -> list[Candidate]:
    """A trainer's day of a training (office hours) and then a session of a nearby
    organisation, in the afternoon or the evening, where one of the session's
    ``team_per_visit`` nearest team members joins the trainer. Offered for each training's
    ``trainers_per_visit`` nearest trainers with its skill and the session skill, and its
    ``pair_neighbours`` nearest sessions at most ``pair_max_leg_min`` away, on up to
    ``pair_days`` days per people and slot that the training's window (on or after
    ``floors[training] + training lag``: its own session's earliest offered day) and the
    session's lag period share. The candidate's people are (team member, trainer); the
    training is the trainer's alone (:func:`visit_people`)."""
    allowed = _pair_periods(problem, sessions, ranges, ctx)
    placed = [v for v in sessions if v.id in allowed]
    team = [p.id for p in problem.people.values() if p.role is Role.TEAM]
    lag = problem.rules.training_lag_min_days
    t = problem.travel
    session_trainers = _session_trainers(problem)
    out: list[Candidate] = []
    for training in trainings:
        skill = training.skill or Skill.GROUP_TRAINING
        able = [r for r in session_trainers if skill in problem.people[r].skills]
        trains = nearest_people(problem, training.org, able, settings.trainers_per_visit)
        floor = floors.get(training.id)
        days = {d for d in ranges[training.id] if floor is None or d >= floor + lag}
        near = sorted(
            (t.min(training.org, s.org), s.id)
            for s in placed
            if s.org != training.org and t.min(training.org, s.org) <= settings.pair_max_leg_min
        )
        for _, session_id in near[: settings.pair_neighbours]:
            session = problem.visits[session_id]
            common = sorted(days & allowed[session_id])
            if not common:
                continue
            teams = nearest_people(problem, session.org, team, settings.team_per_visit)
            for people in itertools.product(teams, trains):
                out += _training_session_candidates(
                    problem, people, training, session, common, ranges, ctx, settings
                )
    return out


def _training_session_candidates(
    problem: Problem,
    people: tuple[str, str],
    training: Visit,
    session: Visit,
    common: Sequence[int],
    ranges: dict[str, dict[int, list[StartRange]]],
    ctx: LaterContext,
    settings: LaterSettings,
) -> list[Candidate]:
    """Up to ``pair_days`` days per slot on which ``people`` (team member, trainer) can do
    ``training`` (the trainer) and then ``session`` (both)."""
    member, trainer = people
    days = _free_days(common, people, ctx)
    cost = _pair_cost(problem, trainer, training.org, session.org) + round_trip(
        problem, member, session.org
    )
    out: list[Candidate] = []
    for evening in (False, True):
        found = 0
        for day in spread_order(days, settings.pair_days, settings.max_days_tried, 0):
            starts = _training_session_timing(
                problem, people, training, session, day, ranges, evening
            )
            if starts is None:
                continue
            late = is_evening(problem, member, session.org, starts[1], session.duration_min)
            out.append(Candidate((training.id, session.id), starts, people, day, cost, late))
            found += 1
            if found >= settings.pair_days:
                break
    return out


def _training_session_timing(
    problem: Problem,
    people: tuple[str, str],
    training: Visit,
    session: Visit,
    day: int,
    ranges: dict[str, dict[int, list[StartRange]]],
    evening: bool,
) -> tuple[int, int] | None:
    """Starts of ``training`` (the trainer) and then ``session`` (team member and trainer) in
    the afternoon or the ``evening`` of ``day``: the session as early as it goes, the training
    as late as the session allows (the trainer's shortest day); None if a limit breaks."""
    member, trainer = people
    rules = problem.rules
    t = problem.travel
    base = day * MINUTES_PER_DAY
    slot = _part(ranges[session.id][day], day, evening)
    own = ranges[training.id][day]
    home = base_id(trainer)
    s1 = earliest_start(own, base + rules.work_start + t.min(home, training.org))
    if s1 is None:
        return None
    between = training.duration_min + t.min(training.org, session.org)
    joined = base + rules.work_start + t.min(base_id(member), session.org)
    s2 = earliest_start(slot, max(s1 + between, joined))
    if s2 is None:
        return None
    s1 = latest_start(own, s2 - between) or s1
    leave = s1 - t.min(home, training.org)
    back = s2 + session.duration_min + t.min(session.org, home)
    if back > base + rules.evening_end or back - leave > rules.max_work_min_per_day:
        return None
    if not person_free(problem.people[trainer], (leave, back)):
        return None
    if not _person_window(problem, member, session.org, day, s2, session.duration_min):
        return None
    return s1, s2


def _start_values(
    n_vars: int,
    var_of: Sequence[tuple[int, Candidate]],
    slack: dict[str, int],
    start: Sequence[Candidate],
) -> np.ndarray | None:
    """The starting assignment: ``start``'s candidates where the model has them, the rest of
    the visits unplanned."""
    if not start:
        return None
    index = {c: var for var, c in var_of}
    values = np.zeros(n_vars)
    covered: set[str] = set()
    for c in start:
        var = index.get(c)
        if var is not None and not covered & set(c.visits):
            values[var] = 1.0
            covered.update(c.visits)
    for visit_id, var in slack.items():
        if visit_id not in covered:
            values[var] = 1.0
    return values
