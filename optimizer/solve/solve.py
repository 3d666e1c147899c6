"""The one entry point: ``solve(problem) -> Plan``.

Design (measured in docs/benchmarks.md): decomposition over person-days.

1. **Intakes** — every feasible team-member day route of at most three intakes near each other
   is enumerated (:mod:`~optimizer.solve.dayroutes`) and a set-partitioning MIP picks the
   cheapest cover (:mod:`~optimizer.solve.intakes`), proven optimal over those routes or with
   its gap at the time limit. Intakes of organisations that accepted a session are kept at
   least ``SESSION_ROOM_DAYS`` before the deadline so the session fits after them; a session
   that few team-member days can hold before its training's window closes gets one of them
   kept free of intakes (:mod:`~optimizer.solve.reserve`; the re-planning round opens it
   again).
2. **Sessions and trainings** — with the intake dates fixed, a second MIP places every
   session (team member + trainer together) and training on the people's free days, with the
   lags, the weekly limits and the one-appointment-a-day capacity (:mod:`~optimizer.solve.later`).
3. **Re-planning round** — with the sessions' days kept (or moved to a few nearby days that
   keep their lags, given the time), one more set-partitioning MIP plans the intakes and
   trainings again and chooses the sessions' people again, so that a person's day can combine
   stages (:mod:`~optimizer.solve.hosted`, :mod:`~optimizer.solve.session_days`).
4. Pinned appointments are kept exactly; their people's days are not used for anything else.
   Previous appointments that were proposed cost ``objective.MOVED_PROPOSED`` when moved.

Every visit ends up planned or unplanned with a reason (:mod:`~optimizer.solve.reasons`).
The plan's bound is the plan less the gaps the stage models left open against their dual bounds:
a bound over the routes and candidates the models contain, each given the stages before it.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from optimizer.domain import (
    Appointment,
    Plan,
    Problem,
    Role,
    Skill,
    SolveStats,
    Stage,
    Status,
    Unplanned,
    Visit,
    base_id,
)
from optimizer.solve import objective
from optimizer.solve.assemble import day_routes
from optimizer.solve.dayroutes import (
    EnumerationSettings,
    IntakeInstance,
    RouteColumn,
    build_instance,
    enumerate_routes,
    office_day_free,
    route_cost,
    time_route,
)
from optimizer.solve.greedy import greedy_intakes, greedy_later
from optimizer.solve.hosted import (
    HostingSettings,
    host_days,
    hosted_choices,
    hosted_columns,
    in_windows,
    routes_in_windows,
    single_columns,
    within_windows,
)
from optimizer.solve.intakes import SEARCH_FIRST_WITHIN_S, IntakeSolution, solve_intakes
from optimizer.solve.later import LaterContext, LaterSettings, solve_later, visit_people
from optimizer.solve.reasons import explain
from optimizer.solve.reserve import Reservation, session_reservations
from optimizer.solve.session_days import (
    LagLinks,
    SessionDaySettings,
    current_days,
    evening_rows,
    lag_links,
    option_windows,
    part_of,
    part_rows,
    part_visits,
    session_days,
    session_options,
    with_hosted,
)
from optimizer.solve.slots import Calendar, StartRange, spread_order, start_ranges
from optimizer.timeaxis import MINUTES_PER_DAY

SESSION_ROOM_DAYS = 56
"""An intake of an organisation that accepted a session is planned at least this many days
before the deadline (the session needs intake + 28 days and a free afternoon or evening)."""

TRAINING_ROOM_DAYS = 14
"""Days of slack kept between intake + 28 + 14 days and the end of a training's window."""

DETERMINISTIC_CAP_S = 3600.0
"""With ``deterministic=True`` the time limit is replaced by this safety cap."""

Progress = Callable[[dict], None]


@dataclass(frozen=True)
class SolveSettings:
    intake_share: float = 0.3
    """Share of the time left after the route enumeration given to the first intake master."""
    later_share: float = 0.4
    """Share of that time given to stage 2 (the rest: the re-planning round)."""
    host_intakes: bool = True
    """Plan the intakes again once the sessions are placed, also before a team member's
    session nearby (:mod:`~optimizer.solve.hosted`)."""
    neighbourhood_search: bool = True
    """Let the intake masters improve a dive's plan by neighbourhood search
    (:data:`~optimizer.solve.intakes.LNS_SHARE`); off in deterministic runs, whose neighbourhood
    MIPs would stop on a clock."""
    enumeration: EnumerationSettings = EnumerationSettings()
    later: LaterSettings = LaterSettings()
    hosting: HostingSettings = HostingSettings()
    free_session_people: bool = True
    """In the re-planning round, choose the sessions' people again (days and starts kept):
    a team member may host intakes, a trainer a training, on a session day, and the people of
    a session pair may go separate ways (:mod:`~optimizer.solve.session_days`)."""
    session_days: SessionDaySettings = SessionDaySettings()
    sessions_first: bool = False
    """Place the sessions and trainings first, each session on days some intake day allows
    (:func:`session_windows`), and plan every intake in the re-planning round, inside its
    session's lag window (hosted on session days too). The intakes' dates then follow the
    sessions', instead of the sessions' following intake dates chosen for the intakes' travel
    alone. Off: 60 s plans of the national example travel 48,485 / 48,504 / 48,490 minutes
    (seeds 0-2) against 48,628 / 48,447 / 48,989 in the default order, a 300 s plan 48,447
    against 48,354 (``python -m benchmarks decomposition``, check 4), and on the tight variant
    one visit more is left out (8 against 7; docs/planner.md, *Sessions first, or a looser
    lag*)."""
    lag_slack_days: int = 0
    """Let stage 2 place a session up to this many days outside the lag to its stage-1 intake
    (inside the days some intake day allows, :func:`session_windows`); the round then plans
    that intake again inside the session's lag window. 0 (the default): the lag to the
    stage-1 intake. With 60, 60 s plans of the national example travel 48,344 / 48,450 /
    48,584 minutes (seeds 0-2; default order above), a 300 s plan 48,553 against 48,354, the
    tight variant's 56,025 against 54,922 at 60 s (docs/planner.md, *Sessions first, or a
    looser lag*)."""
    sessions_first_share: float = 0.6
    """With ``sessions_first``, the share of the time given to stage 2 (the rest: the round,
    which enumerates the intake routes inside the sessions' windows)."""


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    previous: Plan | Sequence[Appointment] | None = None,
    progress: Progress | None = None,
    settings: SolveSettings = SolveSettings(),
    method: str = "exact",
    deterministic: bool = False,
) -> Plan:
    """Plan every visit of ``problem`` within ``time_limit`` seconds (see the module doc).

    ``method="greedy"`` runs the region-by-region baseline (:mod:`~optimizer.solve.greedy`)
    through the same pipeline instead of the two MIPs. ``deterministic=True`` lets no clock
    decide anything: the MIPs run to their optimality tolerance whatever ``time_limit`` says
    (up to ``DETERMINISTIC_CAP_S``), so the same inputs always give the same plan.

    Deterministic for a given problem, seed and settings as long as the MIPs finish inside
    the time limit (HiGHS runs single-threaded with the given seed).
    """
    began = time.perf_counter()
    if deterministic:
        time_limit = DETERMINISTIC_CAP_S
        settings = replace(settings, neighbourhood_search=False)
    report = _reporter(progress, began)
    cal = Calendar.of(problem)
    prev = _previous_map(problem, previous)
    pins = {a.visit_id: a for a in problem.pins}
    todo = [v for v in problem.visits.values() if v.id not in pins]
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    blocked = _pinned_days(problem)
    sessions_first = settings.sessions_first and method != "greedy" and settings.host_intakes
    reserved = []
    if not sessions_first:
        reserved = session_reservations(problem, ranges, todo, blocked, previous=prev)
    report(stage="windows")

    inst = intake_instance(problem, cal, todo, ranges, blocked, reserved)
    intakes = inst.visits
    columns: list = []
    if method == "greedy":
        stage1 = greedy_intakes(inst)
    elif sessions_first:  # the intakes are planned in the round, after the sessions
        stage1 = IntakeSolution([], [], None, 0, {})
        budget = _Budget(began, time_limit, settings)
    else:
        columns = enumerate_routes(inst, settings.enumeration) + late_columns(inst)
        baseline = greedy_intakes(inst).chosen
        report(stage="routes", routes=len(columns))
        budget = _Budget(began, time_limit, settings)
        stage1_limit = budget.seconds(settings.intake_share)
        stage1 = solve_intakes(
            intakes,
            columns,
            previous=prev,
            time_limit=stage1_limit,
            seed=seed,
            on_improvement=lambda obj, bound: report(stage="intakes", objective=obj, bound=bound),
            start_routes=baseline,
            search=settings.neighbourhood_search,
            limits=evening_rows(problem, cal, _pin_evenings(problem)),
            search_first_within=SEARCH_FIRST_WITHIN_S,
        )
    appointments = list(problem.pins)
    for col in stage1.chosen:
        blocked[col.person].add(col.day)
        for visit_id, start in zip(col.visits, col.starts, strict=True):
            visit = problem.visits[visit_id]
            appointments.append(_appointment(visit, (col.person,), start, prev))
    report(stage="intakes-done", planned=len(appointments))

    ctx = _later_context(problem, appointments, blocked)
    ctx.reserved.update({r.org: (r.person, r.day) for r in reserved})
    loose = settings.lag_slack_days > 0 and method != "greedy" and settings.host_intakes
    if sessions_first:
        ctx.session_window.update(session_windows(inst))
    elif loose:
        ctx.session_window.update(
            _loosened(problem, session_windows(inst), ctx, stage1, settings.lag_slack_days)
        )
    sessions = [v for v in todo if v.stage is Stage.SESSION]
    trainings = [v for v in todo if v.stage is Stage.TRAINING]
    baseline2 = greedy_later(problem, cal, sessions, trainings, ranges, ctx, settings.later)
    if method == "greedy":
        stage2 = baseline2
    else:
        stage2 = solve_later(
            problem,
            cal,
            sessions,
            trainings,
            ranges,
            ctx,
            previous=prev,
            time_limit=budget.seconds(
                settings.sessions_first_share if sessions_first else settings.later_share
            ),
            seed=seed,
            settings=_later_settings(settings),
            start=baseline2.chosen,
        )
    later_appts = [
        _appointment(problem.visits[visit_id], visit_people(problem, cand, visit_id), start, prev)
        for cand in stage2.chosen
        for visit_id, start in zip(cand.visits, cand.starts, strict=True)
    ]
    replan = None
    planned_first = method != "greedy" and settings.host_intakes and stage1.result is not None
    if sessions_first or planned_first:
        report(stage="hosting")
        replanned = _replan_around_sessions(
            problem,
            cal,
            _reopened(inst, reserved),
            [] if sessions_first else [*columns, *stage1.chosen],
            stage1,
            stage2,
            later_appts,
            trainings,
            ranges,
            prev,
            ctx,
            time_limit=budget.seconds(1.0),
            seed=seed,
            settings=settings,
            enumerate_again=sessions_first or loose,
            keep_intakes=not loose,
        )
        if replanned is not None:
            replan, intake_appts, later_appts = replanned
            appointments = [*problem.pins, *intake_appts]
            ctx.intake_day.update(
                {a.org: a.start // MINUTES_PER_DAY for a in appointments if a.stage is Stage.INTAKE}
            )
        report(stage="hosting-done")
    if sessions_first or loose:
        later_appts = _with_prerequisites(problem, appointments, later_appts)
    appointments += later_appts

    intake_stage = replan if sessions_first and replan is not None else stage1
    unplanned = _explain_all(problem, cal, ranges, todo, appointments, ctx, intake_stage, stage2)
    planned = {a.visit_id for a in appointments}
    routes = day_routes(problem, appointments)
    travel = sum(r.travel_min for r in routes)
    penalty = sum(objective.unplanned_penalty(problem.visits[u.visit_id]) for u in unplanned)
    stats = SolveStats(
        solver="greedy" if method == "greedy" else "set-partitioning+mip",
        runtime_s=time.perf_counter() - began,
        objective=float(travel + penalty),
        bound=_model_bound(float(travel + penalty), method, stage1, stage2, replan),
        seed=seed,
        details=_details(problem, routes, stage1, stage2, replan, time_limit, method),
    )
    plan = Plan(
        tuple(sorted(appointments, key=lambda a: (a.start, a.visit_id))), routes, unplanned, stats
    )
    report(stage="done", objective=stats.objective, planned=len(planned))
    return plan


def intake_instance(
    problem: Problem,
    cal: Calendar,
    todo: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    blocked: dict[str, set[int]],
    reserved: Sequence[Reservation] = (),
) -> IntakeInstance:
    """The intake stage's instance: the intakes among ``todo`` with their start ranges (less
    the room their session and trainings need before the deadline), the team members and
    their usable days (``blocked``: person -> day indices already taken; the ``reserved``
    session days too, and a reserved session's intake is cut to 28 days before its day).

    An intake whose cut leaves no day on which some team member can time it alone (back home
    by 23:00: :func:`late_columns` plans it with an evening) gets the next, looser cut
    (:func:`_room_for_later_stages`): an intake too late for its training's window still lets
    its session be planned, where no intake loses all three."""
    intakes = [v for v in todo if v.stage is Stage.INTAKE]
    by_org: dict[str, list[Visit]] = defaultdict(list)
    for v in todo:
        by_org[v.org].append(v)
    session_ranges = {v.org: ranges[v.id] for v in todo if v.stage is Stage.SESSION}
    taken = {p: set(days) for p, days in blocked.items()}
    for r in reserved:
        session_ranges[r.org] = {r.day: session_ranges[r.org][r.day]}
        taken.setdefault(r.person, set()).add(r.day)
    cuts = [
        _room_for_later_stages(problem, v, ranges[v.id], by_org[v.org], session_ranges.get(v.org))
        for v in intakes
    ]
    team = sorted(p.id for p in problem.people.values() if p.role is Role.TEAM)
    inst = build_instance(problem, intakes, [c[0] for c in cuts], team, taken, cal)
    level = [0] * len(intakes)
    while True:
        looser = [
            i
            for i, c in enumerate(cuts)
            if level[i] + 1 < len(c) and not _timeable(inst, i, problem.rules.evening_end)
        ]
        if not looser:
            return inst
        for i in looser:
            level[i] += 1
        inst = replace(inst, ranges=[c[k] for c, k in zip(cuts, level, strict=True)])


def _reopened(inst: IntakeInstance, reserved: Sequence[Reservation]) -> IntakeInstance:
    """``inst`` with the ``reserved`` session days usable again for intakes where the team
    member is free in office hours (for the re-planning round). Stage 1 keeps a reserved day
    free; in the round the session's own columns hold its person-day, so a reserved day whose
    session stage 2 put elsewhere can take intakes again."""
    if not reserved:
        return inst
    usable = {person: mask.copy() for person, mask in inst.usable.items()}
    for r in reserved:
        usable[r.person][r.day] = office_day_free(inst.problem, inst.calendar, r.person, r.day)
    return replace(inst, usable=usable)


def _timeable(inst: IntakeInstance, i: int, end: int | None = None) -> bool:
    """Whether some team member can do the instance's intake ``i`` alone on one of its days,
    back home by ``end`` (minute of the day; default ``work_end``)."""
    return any(_timeable_on(inst, i, day, end) for day in inst.ranges[i])


LATE_DAYS_PER_PERSON = 20
"""Days (spread over its window) on which :func:`late_columns` offers an intake per person."""


def late_columns(inst: IntakeInstance) -> list[RouteColumn]:
    """One-intake days back home after ``work_end`` (an evening, by 23:00) for the intakes that
    no team member can do alone by ``work_end`` on any of their days, e.g. a mayor free only at
    15:30 two hours from every team member's home. The day routes of
    :func:`~optimizer.solve.dayroutes.enumerate_routes` end by ``work_end``; these count
    against the weekly evenings (:func:`~optimizer.solve.session_days.evening_rows`)."""
    end = inst.problem.rules.evening_end
    out = []
    for i, visit in enumerate(inst.visits):
        if _timeable(inst, i):
            continue
        for person in inst.persons:
            days = [d for d in sorted(inst.ranges[i]) if inst.usable[person][d]]
            found = 0
            for day in spread_order(days, LATE_DAYS_PER_PERSON, len(days) or 1, i):
                starts = time_route(inst, person, day, (i,), end)
                if starts is None:
                    continue
                travel, metres = route_cost(inst, person, (i,))
                out.append(RouteColumn(person, day, (visit.id,), starts, travel, metres))
                found += 1
                if found >= LATE_DAYS_PER_PERSON:
                    break
    return out


class _Budget:
    """Splits the time left after the route enumeration between the stages: each stage gets its
    share of that time, and may use what earlier stages left unused; the last gets the rest
    less ``reserve`` seconds for assembling the plan."""

    def __init__(self, began: float, time_limit: float, settings: SolveSettings) -> None:
        self.began, self.time_limit = began, time_limit
        self.reserve = min(2.0, 0.03 * time_limit)
        self.left_at_start = max(0.0, time_limit - self.reserve - self.elapsed())
        self.given = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def seconds(self, share: float) -> float:
        """Seconds for the next stage: its share, up to the end of the time limit."""
        self.given = min(1.0, self.given + share)
        until = self.time_limit - self.reserve - self.left_at_start * (1.0 - self.given)
        return max(1.0, until - self.elapsed())


def _model_bound(objective_value: float, method: str, stage1, stage2, replan) -> float | None:
    """The plan's objective less the gaps the stage MIPs behind it left open (each against its
    own dual bound): a bound over the solver's models, each given the stages before it (the
    intake dates for stage 2, the sessions for the re-planning round). None without bounds."""
    if method == "greedy" or (stage2.result is None and stage2.n_candidates):
        return None
    last = replan if replan is not None else stage1
    open_gap = 0.0
    for stage in (last, stage2):
        if stage.result is None:
            continue
        if not math.isfinite(stage.result.bound):
            return None
        open_gap += max(0.0, stage.result.objective - stage.result.bound)
    return objective_value - open_gap


def _details(problem: Problem, routes, stage1, stage2, replan, time_limit: float, method: str):
    """What each stage did (for the benchmark and the planner's log)."""
    by_role: dict[Role, int] = defaultdict(int)
    for route in routes:
        by_role[problem.people[route.person].role] += route.travel_min
    details = {
        "route_columns": stage1.n_columns,
        "intake_travel_min": sum(c.travel_min for c in stage1.chosen),
        "later_travel_min": sum(c.travel_min for c in stage2.chosen),
        "intake_status": stage1.result.status if stage1.result else method,
        "intake_bound": _finite(stage1.result.bound) if stage1.result else None,
        "later_candidates": stage2.n_candidates,
        "later_status": stage2.result.status if stage2.result else method,
        "later_bound": _finite(stage2.result.bound) if stage2.result else None,
        "team_travel_min": by_role[Role.TEAM],
        "trainer_travel_min": by_role[Role.TRAINER],
        "time_limit_s": time_limit,
    }
    if replan is not None and replan.result is not None:
        details |= {
            "replan_columns": replan.n_columns,
            "replan_status": replan.result.status,
            "replan_objective": replan.result.objective,
            "replan_bound": _finite(replan.result.bound),
        }
    mixed = [r for r in routes if len({problem.visits[v].stage for v in r.visits}) > 1]
    details["mixed_days"] = len(mixed)
    return details


def _replan_around_sessions(
    problem: Problem,
    cal: Calendar,
    inst,
    pool: Sequence,
    stage1,
    stage2,
    later_appts: list[Appointment],
    trainings: Sequence[Visit],
    ranges: dict[str, dict[int, list[StartRange]]],
    prev: dict[str, Appointment],
    ctx: LaterContext,
    *,
    time_limit: float,
    seed: int,
    settings: SolveSettings,
    enumerate_again: bool = False,
    keep_intakes: bool = True,
) -> tuple | None:
    """Intakes and trainings planned again with the sessions' days and starts of stage 2 fixed
    (and, with ``settings.free_session_people``, their people chosen again).

    Intakes: the stage-1 routes that keep every placed session's lag, the routes enumerated
    again inside those lag windows, plus intakes hosted on the team members' session days
    (:mod:`~optimizer.solve.hosted`). Trainings: one-visit days of their nearest trainers
    after their session + 14 days, day routes of several, plus trainings hosted on a
    trainer's session day. Sessions: each session's two parts covered by session-day columns
    of any nearby person (:mod:`~optimizer.solve.session_days`), under the weekly limits.
    One set-partitioning MIP, warm-started from the current plan (its routes before the
    previous plan's), so the result is never worse. Returns the MIP's solution, the intake
    appointments and the later appointments (the sessions, the new trainings), or None without
    a plan or when the plan leaves out an intake that stage 1 planned (its session would stay
    without it; with ``keep_intakes`` off such a plan is returned, and the caller drops the
    later visits of the intakes left out, :func:`_with_prerequisites`). ``time_limit`` covers
    building the columns too. ``enumerate_again``: enumerate the intake routes inside the lag
    windows whatever the time (sessions first: ``pool`` holds no routes of a stage 1).
    """
    began = time.perf_counter()
    sessions = [a for a in later_appts if a.stage is Stage.SESSION]
    free = settings.free_session_people
    fixed = [] if free else sessions
    options = sessions
    intakes = inst.visits
    links = None
    if free and time_limit >= settings.session_days.other_days_from_s:
        known = _intake_and_training_days(ctx, later_appts)
        if settings.session_days.lag_rows:  # lags to re-planned visits become rows
            known = _unlinked(known, lag_links(sessions, intakes, trainings))
        options = session_options(problem, sessions, ranges, known, prev, settings.session_days)
        if settings.session_days.lag_rows:
            links = lag_links(options, intakes, trainings)
    linked = links.intake_orgs if links else frozenset()
    hosts = list(host_days(problem, fixed).values())
    windows = option_windows(problem, options, linked)
    taken = {(p, a.start // MINUTES_PER_DAY) for a in fixed for p in a.people}
    org_of = {v.id: v.org for v in intakes}
    seen: set = set()
    columns = []
    again = []
    if enumerate_again or time_limit >= settings.hosting.reenumerate_from_s:
        again = routes_in_windows(inst, windows, taken, settings.enumeration)
    if enumerate_again:  # evenings on days inside the windows
        again += late_columns(in_windows(inst, windows, taken))
    for col in [*within_windows(pool, org_of, windows, taken), *again]:
        key = (col.person, col.day, col.visits)
        if key not in seen:
            seen.add(key)
            columns.append(col)
    columns += hosted_columns(inst, hosts, windows, settings.hosting)
    training = _training_columns(
        problem,
        cal,
        stage2,
        options,
        hosts,
        trainings,
        ranges,
        taken,
        settings,
        links.training_orgs if links else frozenset(),
    )
    visits = [*intakes, *training.visits]
    columns += training.columns
    start = [*within_windows(stage1.chosen, org_of, windows, taken), *training.start]
    limits = None
    if free:
        proposed = frozenset(
            a.visit_id
            for a in sessions
            if (before := prev.get(a.visit_id)) is not None and before.status.communicated
        )
        days = session_days(
            problem, options, _pinned_days(problem), settings.session_days, proposed
        )
        day_hosts = [d.host for d in days]
        columns += [d.column for d in days]
        columns += with_hosted(days, hosted_choices(inst, day_hosts, windows, settings.hosting))
        columns += with_hosted(
            days,
            hosted_choices(training.inst, day_hosts, {}, settings.hosting, training.can_do),
        )
        visits += part_visits(problem, sessions)
        start += current_days(problem, [*sessions, *_trainings_on_session_days(later_appts)])
        limits = part_rows(problem, cal, _pin_evenings(problem), ctx.sessions_used, links)
    result = solve_intakes(
        visits,
        columns,
        previous=prev,
        time_limit=max(1.0, time_limit - (time.perf_counter() - began)),
        seed=seed,
        start_routes=start,
        search=settings.neighbourhood_search,
        limits=limits,
        start_first=True,
    )
    if result.result is None or not result.result.feasible:
        return None
    if keep_intakes and set(result.unplanned) & {v for col in stage1.chosen for v in col.visits}:
        return None  # an intake stage 1 planned left out: its session would be kept without it
    return _replanned_appointments(problem, result, later_appts, training.visits, free, prev)


INTAKE_DAYS_BEFORE_SESSION = 10
"""Sessions first: a session's window opens ``session_lag_min_days`` after the day on which
its intake has this many days some team member can make (:func:`session_windows`), so that
the intakes of the sessions placed earliest are not all squeezed into the horizon's first day
or two. Measured on the tight national variant (60 s, one run): opening at the first such day,
stage 2 placed five sessions 28-29 days into the horizon, their intakes all had to be on day
0, and the round left all five out."""


def session_windows(inst: IntakeInstance) -> dict[str, tuple[int, int]]:
    """Organisation -> (first, last) day index its session may take when its intake is planned
    after it (sessions first): from ``session_lag_min_days`` after the
    ``INTAKE_DAYS_BEFORE_SESSION``-th day on which some team member can do the intake alone
    (back home by ``evening_end``; the last such day if fewer) to ``session_lag_max_days`` after
    the last such day. An intake without such a day gives its session no window (no session
    without its intake)."""
    rules = inst.problem.rules
    end = rules.evening_end
    out = {}
    for i, visit in enumerate(inst.visits):
        days = sorted(inst.ranges[i])
        timeable = (d for d in days if _timeable_on(inst, i, d, end))
        earliest = list(itertools.islice(timeable, INTAKE_DAYS_BEFORE_SESSION))
        if not earliest:
            continue
        last = next(d for d in reversed(days) if _timeable_on(inst, i, d, end))
        out[visit.org] = (
            earliest[-1] + rules.session_lag_min_days,
            last + rules.session_lag_max_days,
        )
    return out


def _loosened(
    problem: Problem,
    windows: dict[str, tuple[int, int]],
    ctx: LaterContext,
    stage1: IntakeSolution,
    slack: int,
) -> dict[str, tuple[int, int]]:
    """The session windows of the organisations whose intake stage 1 planned: the lag to that
    intake widened by ``slack`` days on either side, inside ``windows``
    (:func:`session_windows`); their stage-1 intake days leave ``ctx.intake_day``."""
    rules = problem.rules
    out = {}
    planned = {problem.visits[v].org for col in stage1.chosen for v in col.visits}
    for org in planned & set(windows):
        day = ctx.intake_day.pop(org)
        first = max(windows[org][0], day + rules.session_lag_min_days - slack)
        last = min(windows[org][1], day + rules.session_lag_max_days + slack)
        out[org] = (first, last)
    return out


def _timeable_on(inst: IntakeInstance, i: int, day: int, end: int | None = None) -> bool:
    """Whether some team member can do the instance's intake ``i`` alone on ``day``, back home
    by ``end`` (minute of the day; default ``work_end``)."""
    return any(
        inst.usable[p][day] and time_route(inst, p, day, (i,), end) is not None
        for p in inst.persons
    )


def _with_prerequisites(
    problem: Problem, appointments: Sequence[Appointment], later_appts: Sequence[Appointment]
) -> list[Appointment]:
    """``later_appts`` less the sessions whose intake is not among ``appointments`` (the pins
    and the planned intakes) at the lag before them, and less the trainings of an
    organisation with a session that is then neither planned nor pinned (sessions first, or a
    loosened lag: the round may leave an intake out, or have no plan)."""
    rules = problem.rules
    intake_day = {
        a.org: a.start // MINUTES_PER_DAY for a in appointments if a.stage is Stage.INTAKE
    }
    sessions = {
        a.org
        for a in later_appts
        if a.stage is Stage.SESSION
        and a.org in intake_day
        and rules.session_lag_min_days
        <= a.start // MINUTES_PER_DAY - intake_day[a.org]
        <= rules.session_lag_max_days
    }
    session_orgs = {v.org for v in problem.visits.values() if v.stage is Stage.SESSION}
    pinned = {a.org for a in problem.pins if a.stage is Stage.SESSION}
    held = sessions | pinned
    return [
        a
        for a in later_appts
        if not (a.stage is Stage.SESSION and a.org not in sessions)
        and not (a.stage is Stage.TRAINING and a.org in session_orgs and a.org not in held)
    ]


def _later_settings(settings: SolveSettings) -> LaterSettings:
    """Stage 2's settings: no training before a session when the re-planning round keeps the
    sessions' people (it re-plans the trainings around their days, and has no column for a
    trainer's day of both)."""
    if settings.host_intakes and not settings.free_session_people:
        return replace(settings.later, training_before_session=False)
    return settings.later


def _trainings_on_session_days(appointments: Sequence[Appointment]) -> list[Appointment]:
    """The trainings among ``appointments`` on a day on which their trainer also has a session
    among them (stage 2's trainings before a session)."""
    session_days = {
        (p, a.start // MINUTES_PER_DAY)
        for a in appointments
        if a.stage is Stage.SESSION
        for p in a.people
    }
    return [
        a
        for a in appointments
        if a.stage is Stage.TRAINING and (a.people[0], a.start // MINUTES_PER_DAY) in session_days
    ]


def _intake_and_training_days(
    ctx: LaterContext, later_appts: Sequence[Appointment]
) -> dict[str, dict[Stage, int]]:
    """Organisation -> stage -> day index of its intake and training as they stand (planned
    or pinned)."""
    known: dict[str, dict[Stage, int]] = defaultdict(dict)
    for org, day in ctx.intake_day.items():
        known[org][Stage.INTAKE] = day
    for org, day in ctx.training_day.items():
        known[org][Stage.TRAINING] = day
    for appt in later_appts:
        if appt.stage is Stage.TRAINING:
            known[appt.org][Stage.TRAINING] = appt.start // MINUTES_PER_DAY
    return known


def _unlinked(known: dict[str, dict[Stage, int]], links: LagLinks) -> dict[str, dict[Stage, int]]:
    """``known`` without the intake and training days that the lag rows of ``links`` decide
    (those visits are planned again in the round, together with their session's day)."""
    drop = {Stage.INTAKE: links.intake_orgs, Stage.TRAINING: links.training_orgs}
    return {
        org: {stage: day for stage, day in days.items() if org not in drop.get(stage, ())}
        for org, days in known.items()
    }


def _replanned_appointments(problem, result, later_appts, train_visits, free: bool, prev):
    """(result, intake appointments, later appointments) of the re-planning round's
    solution, or None when it leaves a session part uncovered (it never should: that costs a
    session's penalty, more than the plan it started from)."""
    replanned = {v.id for v in train_visits}
    later = [
        a
        for a in later_appts
        if a.visit_id not in replanned and not (free and a.stage is Stage.SESSION)
    ]
    intake_appts = []
    people_of: dict[str, dict[Role, tuple[str, int]]] = defaultdict(dict)
    for col in result.chosen:
        for visit_id, start in zip(col.visits, col.starts, strict=True):
            part = part_of(visit_id)
            if part is not None:
                people_of[part[0]][part[1]] = (col.person, start)
                continue
            visit = problem.visits[visit_id]
            appt = _appointment(visit, (col.person,), start, prev)
            (intake_appts if visit.stage is Stage.INTAKE else later).append(appt)
    if free:
        for appt in later_appts:
            if appt.stage is not Stage.SESSION:
                continue
            roles = people_of.get(appt.visit_id, {})
            if set(roles) != {Role.TEAM, Role.TRAINER}:
                return None
            (team, start), (trainer, other) = roles[Role.TEAM], roles[Role.TRAINER]
            if start != other:
                return None
            visit = problem.visits[appt.visit_id]
            later.append(_appointment(visit, (team, trainer), start, prev))
    return result, intake_appts, later


class _TrainingRound(NamedTuple):
    """The trainings the re-planning round plans again, their columns and warm start, and
    their instance (for trainings hosted on session days)."""

    visits: list[Visit]
    columns: list[RouteColumn]
    start: list[RouteColumn]
    inst: IntakeInstance
    can_do: Callable[[str, Visit], bool]


def _training_columns(
    problem, cal, stage2, sessions, hosts, trainings, ranges, taken, settings, linked=frozenset()
) -> _TrainingRound:
    """The trainings to plan again (those whose session is placed, or that have none), their
    columns (one-visit days, day routes and days hosted by ``hosts``, the trainers' fixed
    session days) and the stage-2 choices as the warm start. A training starts on or after
    the latest offered day of its session + the lag, or after the earliest one for the
    organisations in ``linked`` (whose lag is a row of the master, :class:`LagLinks`)."""
    rules = problem.rules
    session_day: dict[str, int] = {}
    for a in sessions:
        day = a.start // MINUTES_PER_DAY
        pick = min if a.org in linked else max
        session_day[a.org] = pick(session_day.get(a.org, day), day)
    session_day |= {
        a.org: a.start // MINUTES_PER_DAY for a in problem.pins if a.stage is Stage.SESSION
    }
    has_session = {v.org for v in problem.visits.values() if v.stage is Stage.SESSION}
    visits, cut = [], []
    for v in trainings:
        if v.org in has_session and v.org not in session_day:
            continue
        first = session_day.get(v.org, -rules.training_lag_min_days) + rules.training_lag_min_days
        visits.append(v)
        cut.append({d: r for d, r in ranges[v.id].items() if d >= first})
    trainers = sorted(p.id for p in problem.people.values() if p.role is Role.TRAINER)
    blocked: dict[str, set[int]] = defaultdict(set, _pinned_days(problem))
    for person, day in taken:
        blocked[person].add(day)
    inst = build_instance(problem, visits, cut, trainers, blocked, cal)

    def can_do(person: str, visit: Visit) -> bool:
        return (visit.skill or Skill.GROUP_TRAINING) in problem.people[person].skills

    later = settings.later
    columns = single_columns(
        inst,
        can_do,
        persons_per_visit=later.trainers_per_visit,
        days_per_visit=later.days_per_visit,
        max_days_tried=later.max_days_tried,
    )
    columns += enumerate_routes(inst, settings.enumeration, can_do)
    trainer_hosts = [h for h in hosts if h.person in trainers]
    columns += hosted_columns(inst, trainer_hosts, {}, settings.hosting, can_do)
    ids = {v.id for v in visits}
    start = [  # a training before a session is in its session's day column (current_days)
        RouteColumn(c.people[0], c.day, c.visits, c.starts, c.travel_min, _metres(problem, c))
        for c in stage2.chosen
        if c.visits[0] in ids and len(c.people) == 1
    ]
    return _TrainingRound(visits, columns, start, inst, can_do)


def _metres(problem: Problem, cand) -> int:
    """Metres of a one-person candidate's day (home -> visits -> home)."""
    home = base_id(cand.people[0])
    stops = [home, *(problem.visits[v].org for v in cand.visits), home]
    return sum(problem.travel.m(a, b) for a, b in zip(stops, stops[1:], strict=False))


def _reporter(progress: Progress | None, began: float) -> Callable[..., None]:
    def report(**fields) -> None:
        if progress is not None:
            progress({"elapsed_s": time.perf_counter() - began, **fields})

    return report


def _previous_map(
    problem: Problem, previous: Plan | Sequence[Appointment] | None
) -> dict[str, Appointment]:
    if previous is None:
        appts: Sequence[Appointment] = problem.previous
    elif isinstance(previous, Plan):
        appts = previous.appointments
    else:
        appts = previous
    return {a.visit_id: a for a in appts}


def _appointment(
    visit: Visit, people: tuple[str, ...], start: int, prev: dict[str, Appointment]
) -> Appointment:
    """A new appointment; it keeps the previous status when it did not move."""
    before = prev.get(visit.id)
    status = Status.PLANNED
    if before is not None and before.start == start and before.people == people:
        status = before.status
    return Appointment(
        visit.id, visit.org, visit.stage, people, start, start + visit.duration_min, status
    )


def _pinned_days(problem: Problem) -> dict[str, set[int]]:
    blocked: dict[str, set[int]] = defaultdict(set)
    for appt in problem.pins:
        for person in appt.people:
            blocked[person].add(appt.start // MINUTES_PER_DAY)
    return blocked


def _room_for_later_stages(
    problem: Problem,
    visit: Visit,
    ranges: dict[int, list[StartRange]],
    todo: Sequence[Visit],
    session_ranges: dict[int, list[StartRange]] | None = None,
) -> list[dict[int, list[StartRange]]]:
    """The intake's days, cut so that its session (and training) still fit after it: the cuts
    from the tightest to none, each with days left.

    A pinned session fixes the intake's period by the lag rule (the only cut). With a
    required session the intake is at least ``SESSION_ROOM_DAYS`` before the deadline; with a
    training whose requested window closes, first early enough that intake + 28 days
    (session) + 14 days (training) + ``TRAINING_ROOM_DAYS`` falls inside the window, then
    without that room (the session and the training each exactly at their lag). With
    ``session_ranges`` (the session's start ranges by day) the session's day is the latest
    one it can have before that point, not any: a council recess just before the training's
    window closes moves the intake earlier. Without days left no cut applies (the later stage
    then says why it cannot follow).
    """
    rules = problem.rules
    pinned = {a.stage: a.start // MINUTES_PER_DAY for a in problem.pins if a.org == visit.org}
    if Stage.SESSION in pinned:
        day = pinned[Stage.SESSION]
        lo, hi = day - rules.session_lag_max_days, day - rules.session_lag_min_days
        return [{d: r for d, r in ranges.items() if lo <= d <= hi}]
    later = {v.stage: v for v in todo if v.org == visit.org and v.stage is not Stage.INTAKE}
    if Stage.SESSION not in later:
        return [ranges]
    lasts = [(rules.deadline - problem.horizon_start).days - SESSION_ROOM_DAYS]
    training = later.get(Stage.TRAINING)
    if training is not None and training.latest is not None:
        closes = (training.latest - problem.horizon_start).days
        for room in (0, TRAINING_ROOM_DAYS):  # each inserted in front: the slack's cut first
            session = closes - rules.training_lag_min_days - room
            if session_ranges is not None:
                session = max((d for d in session_ranges if d <= session), default=-1)
            lasts.insert(0, min(lasts[-1], session - rules.session_lag_min_days))
    cuts = [kept for last in lasts if (kept := {d: r for d, r in ranges.items() if d <= last})]
    return [*cuts, ranges]


def _pin_evenings(
    problem: Problem, appointments: Sequence[Appointment] | None = None
) -> dict[tuple[str, tuple[int, int]], int]:
    """(team member, ISO week) -> evenings (days back home after ``work_end``) that the
    ``appointments`` (default: the pins) already use."""
    evenings: dict = defaultdict(int)
    for route in day_routes(problem, problem.pins if appointments is None else appointments):
        week = route.day.isocalendar()[:2]
        late = route.back_home - problem.axis.at(route.day, 0) > problem.rules.work_end
        if late and problem.people[route.person].role is Role.TEAM:
            evenings[(route.person, week)] += 1
    return dict(evenings)


def _later_context(
    problem: Problem, appointments: Sequence[Appointment], blocked: dict[str, set[int]]
) -> LaterContext:
    """Intake and pinned-session days, taken person-days, and the evenings and sessions
    already used per person and ISO week (by pins and the intakes' days: those of
    :func:`late_columns` end after ``work_end``)."""
    intake_day, session_day, training_day = {}, {}, {}
    evenings = _pin_evenings(problem, appointments)
    sessions: dict = defaultdict(int)
    for appt in appointments:
        day = appt.start // MINUTES_PER_DAY
        if appt.stage is Stage.INTAKE:
            intake_day[appt.org] = day
        elif appt.stage is Stage.TRAINING:
            training_day[appt.org] = day
        elif appt.stage is Stage.SESSION:
            session_day[appt.org] = day
            week = problem.axis.date_of_day(day).isocalendar()[:2]
            for p in appt.people:
                if problem.people[p].role is Role.TRAINER:
                    sessions[(p, week)] += 1
    return LaterContext(intake_day, session_day, training_day, blocked, evenings, dict(sessions))


def _explain_all(
    problem, cal, ranges, todo, appointments, ctx, stage1, stage2
) -> tuple[Unplanned, ...]:
    """A reason for every visit that is neither pinned nor planned (``appointments``: the
    plan's, pins included)."""
    rules = problem.rules
    out = []
    planned = {a.visit_id for a in appointments}
    session_day = {
        a.org: a.start // MINUTES_PER_DAY for a in appointments if a.stage is Stage.SESSION
    }
    intake_planned = {a.org for a in appointments if a.stage is Stage.INTAKE}
    session_orgs = {v.org for v in problem.visits.values() if v.stage is Stage.SESSION}
    for visit in todo:
        if visit.id in planned:
            continue
        window = None
        prerequisite = True
        if visit.stage is Stage.INTAKE:
            n = stage1.columns_per_visit.get(visit.id, 0)
        elif visit.stage is Stage.SESSION:
            prerequisite = visit.org in intake_planned
            day = ctx.intake_day.get(visit.org)
            if day is not None:
                window = (day + rules.session_lag_min_days, day + rules.session_lag_max_days)
            n = stage2.candidates_of.get(visit.id, 0)
        else:
            prerequisite = visit.org not in session_orgs or visit.org in session_day
            if visit.org in session_day:
                window = (session_day[visit.org] + rules.training_lag_min_days, cal.n_days - 1)
            n = stage2.candidates_of.get(visit.id, 0)
        reason = explain(
            problem,
            visit,
            cal,
            ranges[visit.id],
            n_candidates=n,
            prerequisite_planned=prerequisite,
            window=window,
        )
        out.append(Unplanned(visit.id, reason))
    return tuple(out)


def _finite(value: float) -> float | None:
    """``value``, or None when HiGHS had no bound (infinite): JSON has no infinity."""
    return value if math.isfinite(value) else None
