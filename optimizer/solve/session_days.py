"""The sessions' people (and, given the time, days nearby) chosen again in the re-planning round.

Stage 2 (:mod:`~optimizer.solve.later`) chooses each session's day, start, team member and
trainer together: one pair of people for one or two sessions a day. Most of its days are such
pairs (afternoon and evening) for one team member and one trainer, which leaves no room on those
days for anything else. Once the sessions are placed, the re-planning round keeps their days and
starts (or offers a few other days nearby, :func:`session_options`) and chooses the people
again: each session becomes two *parts* (its team member's and its trainer's), each covered by
exactly one person-day column, so

- a team member may do a session with intakes before it (two intakes and an afternoon session
  is a common day of the full problem's LP bound, docs/lower_bound.md), and a trainer a session
  with a training before it;
- the two people of a session pair may go separate ways (the team member keeps both sessions,
  the trainers differ, or the other way round).

A part column is a :class:`~optimizer.solve.dayroutes.RouteColumn` whose visits are part ids
(``<session visit id>#team`` / ``#trainer``) at the sessions' fixed starts, possibly after
hosted intakes or trainings (:func:`~optimizer.solve.hosted.hosted_choices`). The weekly limits
become capacity rows of the round's master (:class:`~optimizer.solve.intakes.Limits`): a team
member's evenings, a trainer's sessions per ISO week; and equality rows put a session's two
parts at the same start (:func:`part_rows`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace

from optimizer.domain import Appointment, Problem, Role, Skill, Stage, Visit, base_id
from optimizer.solve.assemble import day_routes
from optimizer.solve.dayroutes import RouteColumn
from optimizer.solve.hosted import HostDay
from optimizer.solve.intakes import Limits
from optimizer.solve.later import EVENING_FROM, nearest_people
from optimizer.solve.slots import Calendar, StartRange, person_free, spread_order
from optimizer.timeaxis import MINUTES_PER_DAY

PART_SEP = "#"


@dataclass(frozen=True)
class SessionDaySettings:
    """How widely the sessions' people and days are searched again."""

    people_per_part: int = 3
    """Nearest people of the part's role (by round trip) offered for each session part, besides
    the one stage 2 chose."""
    other_days: int = 4
    """Other days offered per session besides the one stage 2 chose (spread over the days
    within ``day_reach`` of it that keep the lags to its intake and training: with
    ``lag_rows`` only to a pinned intake or training), each
    with its latest afternoon start and its earliest evening start; 0 keeps
    every session on its day and start."""
    day_reach: int = 28
    """Days before and after the session's day within which other days are offered."""
    lag_rows: bool = False
    """Link the intake and training days to the session's chosen day by rows of the master
    (:class:`LagLinks`) instead of keeping the lags to the intake and training as planned
    (other days then need to keep only the lags to pinned ones), so that a session may move
    to a day its current intake is too late for, its intake moving with it. Off: on the
    national instance the linked master's LP is lower (example 47,738 against 48,124 minutes
    on the round's inputs of a 60 s plan) but HiGHS finds less in the round's time (85 s:
    example 48,246 against 48,256, tight 54,189 against 53,300; full 300 s plans of the
    example 48,332 against 48,231; one run each, docs/planner.md)."""
    other_days_from_s: float = 30.0
    """Other days are offered only when the round has at least this many seconds: they
    bring ~50,000 more columns (~12 s to build and solve the first LP on the national
    example), more than the ~14 s a 60 s plan leaves the round."""


@dataclass(frozen=True, slots=True)
class SessionDay:
    """One person's day of fixed sessions: the column (part ids, the sessions' starts) and the
    same day as a host for intakes or trainings before its first session."""

    column: RouteColumn
    host: HostDay


def part_id(visit_id: str, role: Role) -> str:
    """The id of ``role``'s part of the session ``visit_id``."""
    return f"{visit_id}{PART_SEP}{role.value}"


def part_of(visit_id: str) -> tuple[str, Role] | None:
    """(session visit id, role) of a part id; None for an ordinary visit id."""
    session, sep, role = visit_id.rpartition(PART_SEP)
    return (session, Role(role)) if sep else None


def part_visits(problem: Problem, sessions: Iterable[Appointment]) -> list[Visit]:
    """Two pseudo-visits per session (its team member's and trainer's part), with the
    session's penalty: the round's master covers each exactly once."""
    out = []
    for appt in sessions:
        visit = problem.visits[appt.visit_id]
        out += [replace(visit, id=part_id(visit.id, role)) for role in (Role.TEAM, Role.TRAINER)]
    return out


def _eligible(problem: Problem, role: Role) -> list[str]:
    return sorted(
        p.id
        for p in problem.people.values()
        if p.role is role and (role is Role.TEAM or Skill.SESSION in p.skills)
    )


def _time_day(
    problem: Problem, person: str, stops: Sequence[Appointment], blocked: dict[str, set[int]]
) -> tuple[int, int, int] | None:
    """(travel minutes, metres, minute back home) of ``person`` doing the fixed ``stops`` in
    order from home and back, or None when the day's rules do not allow it (leave at or after
    ``work_start``, back by ``evening_end``, at most ``max_work_min_per_day``, free, the day not
    blocked by a pinned appointment, each drive between the stops in time)."""
    rules = problem.rules
    t = problem.travel
    day = stops[0].start // MINUTES_PER_DAY
    if day in blocked.get(person, ()):
        return None
    for a, b in itertools.pairwise(stops):
        if a.end + t.min(a.org, b.org) > b.start:
            return None
    home = base_id(person)
    leave = stops[0].start - t.min(home, stops[0].org)
    back = stops[-1].end + t.min(stops[-1].org, home)
    base = day * MINUTES_PER_DAY
    if leave < base + rules.work_start or back > base + rules.evening_end:
        return None
    if back - leave > rules.max_work_min_per_day:
        return None
    if not person_free(problem.people[person], (leave, back)):
        return None
    legs = list(itertools.pairwise([home, *(a.org for a in stops), home]))
    return sum(t.min(a, b) for a, b in legs), sum(t.m(a, b) for a, b in legs), back


def session_options(
    problem: Problem,
    sessions: Sequence[Appointment],
    ranges: dict[str, dict[int, list[StartRange]]],
    fixed_days: dict[str, dict[Stage, int]],
    previous: dict[str, Appointment],
    settings: SessionDaySettings = SessionDaySettings(),
) -> list[Appointment]:
    """Each session as placed, plus the same session on up to ``other_days`` other days
    (``settings``) at their latest afternoon and earliest evening starts
    (``ranges``: the session's start ranges by day). Other days keep the lags to the
    organisation's intake and training days in ``fixed_days`` (organisation -> stage -> day
    index), so those stay valid whichever is chosen (the round passes the days it does not
    plan again: the others' lags are rows, :class:`LagLinks`); a session already proposed to
    its organisation keeps its start."""
    rules = problem.rules
    out: list[Appointment] = []
    for appt in sessions:
        out.append(appt)
        before = previous.get(appt.visit_id)
        if settings.other_days <= 0 or (before is not None and before.status.communicated):
            continue
        day0 = appt.start // MINUTES_PER_DAY
        lo, hi = day0 - settings.day_reach, day0 + settings.day_reach
        known = fixed_days.get(appt.org, {})
        if Stage.INTAKE in known:
            lo = max(lo, known[Stage.INTAKE] + rules.session_lag_min_days)
            hi = min(hi, known[Stage.INTAKE] + rules.session_lag_max_days)
        if Stage.TRAINING in known:
            hi = min(hi, known[Stage.TRAINING] - rules.training_lag_min_days)
        by_day = ranges.get(appt.visit_id, {})
        days = [d for d in sorted(by_day) if lo <= d <= hi and d != day0]
        for day in spread_order(days, settings.other_days, max(1, len(days)), day0)[
            : settings.other_days
        ]:
            for start in _starts(by_day[day], day):
                out.append(replace(appt, start=start, end=start + appt.end - appt.start))
    return out


def _starts(ranges: Sequence[StartRange], day: int) -> list[int]:
    """The latest afternoon start (room for visits before it; the afternoon of a pair as
    late as the evening allows) and the earliest evening start of a day's session start
    ranges."""
    base = day * MINUTES_PER_DAY
    afternoon = [r for r in ranges if r[0] - base < EVENING_FROM]
    evening = [r for r in ranges if r[0] - base >= EVENING_FROM]
    return ([afternoon[-1][1]] if afternoon else []) + ([evening[0][0]] if evening else [])


def option_windows(
    problem: Problem, options: Iterable[Appointment], linked: Collection[str] = ()
) -> dict[str, tuple[int, int]]:
    """Organisation -> (first, last) day index its intake may take: session -
    ``session_lag_max_days`` .. session - ``session_lag_min_days``, intersected over the
    offered days of its session (every offered day keeps the lag rule), or, for the
    organisations in ``linked`` (whose lag is a row of the master, :class:`LagLinks`), their
    union (some offered day keeps it)."""
    rules = problem.rules
    days: dict[str, list[int]] = defaultdict(list)
    for appt in options:
        days[appt.org].append(appt.start // MINUTES_PER_DAY)
    out = {}
    for org, d in days.items():
        first, last = (min(d), max(d)) if org in linked else (max(d), min(d))
        out[org] = (first - rules.session_lag_max_days, last - rules.session_lag_min_days)
    return out


def session_days(
    problem: Problem,
    options: Sequence[Appointment],
    blocked: dict[str, set[int]],
    settings: SessionDaySettings = SessionDaySettings(),
    keep_people: frozenset[str] = frozenset(),
) -> list[SessionDay]:
    """Every person-day of sessions on offer (``options``: sessions at fixed starts, several
    per session where :func:`session_options` offers other days): for each session part its
    nearest ``people_per_part`` people of the role and the person stage 2 chose, alone or
    with another session of the same day after it (a pair of one person's parts). Sessions
    in ``keep_people`` (visit ids; those already proposed, whose status a change of people
    would reset) are offered to their own people only."""
    by_day: dict[int, list[Appointment]] = defaultdict(list)
    for appt in options:
        by_day[appt.start // MINUTES_PER_DAY].append(appt)
    out: list[SessionDay] = []
    for role in (Role.TEAM, Role.TRAINER):
        eligible = _eligible(problem, role)
        near: dict[str, set[str]] = defaultdict(set)
        k = settings.people_per_part
        for a in options:
            if a.visit_id not in near and a.visit_id not in keep_people:
                near[a.visit_id] = set(nearest_people(problem, a.org, eligible, k))
            near[a.visit_id] |= {p for p in a.people if p in eligible}
        for day in sorted(by_day):
            appts = sorted(by_day[day], key=lambda a: a.start)
            pairs = [
                (a, b)
                for a, b in itertools.combinations(appts, 2)
                if a.visit_id != b.visit_id and a.end <= b.start
            ]
            sets = [(a,) for a in appts] + pairs
            for stops in sets:
                people = set().union(*(near[a.visit_id] for a in stops))
                for person in sorted(people):
                    timed = _time_day(problem, person, stops, blocked)
                    if timed is None:
                        continue
                    travel, metres, back = timed
                    parts = tuple(part_id(a.visit_id, role) for a in stops)
                    starts = tuple(a.start for a in stops)
                    column = RouteColumn(person, day, parts, starts, travel, metres)
                    first = stops[0]
                    host = HostDay(person, day, first.org, first.start, len(stops), back)
                    out.append(SessionDay(column, host))
    return out


def with_hosted(
    days: Sequence[SessionDay], hosted: Iterable[tuple[int, RouteColumn]]
) -> list[RouteColumn]:
    """Session-day columns with the hosted visits of ``hosted`` ((index into ``days``, hosted
    column of :func:`~optimizer.solve.hosted.hosted_choices`)) before their first session: the
    hosted visits, then the parts; travel the session day's plus the detour."""
    out = []
    for k, extra in hosted:
        col = days[k].column
        out.append(
            RouteColumn(
                col.person,
                col.day,
                extra.visits + col.visits,
                extra.starts + col.starts,
                col.travel_min + extra.travel_min,
                col.travel_m + extra.travel_m,
            )
        )
    return out


def current_days(problem: Problem, appointments: Sequence[Appointment]) -> list[RouteColumn]:
    """The sessions' person-days as stage 2 placed them, as part columns (the warm start).
    ``appointments``: the sessions, and the trainings a trainer gives on a day of a session
    (they stay in that day's column)."""
    by_id = {a.visit_id: a for a in appointments}
    out = []
    for route in day_routes(problem, appointments):
        appts = [by_id[v] for v in route.visits]
        role = problem.people[route.person].role
        out.append(
            RouteColumn(
                route.person,
                appts[0].start // MINUTES_PER_DAY,
                tuple(
                    part_id(a.visit_id, role) if a.stage is Stage.SESSION else a.visit_id
                    for a in appts
                ),
                tuple(a.start for a in appts),
                route.travel_min,
                route.travel_m,
            )
        )
    return out


def evening_rows(
    problem: Problem,
    calendar: Calendar,
    evenings_used: dict[tuple[str, tuple[int, int]], int],
) -> Limits:
    """The weekly evenings as rows over day columns: a team member's column back home after
    ``work_end`` (its last visit's end plus the drive home) uses one of the ISO week's
    ``max_evenings_per_week``, less ``evenings_used`` (by (person, ISO week)). Columns whose
    visits are session parts are timed by their sessions (:func:`part_of`)."""
    rules = problem.rules
    t = problem.travel

    def usage(col: RouteColumn) -> list[tuple[Hashable, float]]:
        if problem.people[col.person].role is not Role.TEAM:
            return []
        part = part_of(col.visits[-1])
        last = problem.visits[part[0] if part else col.visits[-1]]
        back = col.starts[-1] + last.duration_min + t.min(last.org, base_id(col.person))
        if back - col.day * MINUTES_PER_DAY <= rules.work_end:
            return []
        return [(("evenings", col.person, calendar.iso_week(col.day)), 1.0)]

    def room(key: Hashable) -> float:
        _, person, week = key
        return max(0, rules.max_evenings_per_week - evenings_used.get((person, week), 0))

    return Limits(usage, room)


@dataclass(frozen=True)
class LagLinks:
    """The lag rule as rows of the round's master, for the organisations whose session may
    move to another day and whose intake (``intake_orgs``) or training (``training_orgs``) the
    round plans again (``days``: organisation -> the offered days of its session). Per
    organisation and offered day ``s`` (the team part's column stands for the session's day),
    each row "at most one of":

    - ``after``: the session on ``s`` or before, the intake after ``s - session_lag_min_days``;
    - ``before``: the session on ``s`` or after, the intake before ``s - session_lag_max_days``;
    - ``training``: the session on ``s`` or after, the training before
      ``s + training_lag_min_days``.

    A plan keeps every lag exactly when it keeps these rows (take ``s`` = the session's day),
    so an intake may move to any day that keeps the lag to the day its session gets, not only
    to the days that keep it to every offered day. The rows are the time-indexed form of the
    precedence: their LP is as tight as such rows get, unlike one row over the days' sums."""

    days: dict[str, tuple[int, ...]]
    intake_orgs: frozenset[str]
    training_orgs: frozenset[str]


def lag_links(
    options: Iterable[Appointment], intakes: Iterable[Visit], trainings: Iterable[Visit]
) -> LagLinks:
    """The links of the sessions on offer (``options``) whose organisation's intake (in
    ``intakes``) or training (in ``trainings``) the round plans again."""
    days: dict[str, set[int]] = defaultdict(set)
    for appt in options:
        days[appt.org].add(appt.start // MINUTES_PER_DAY)
    return LagLinks(
        {org: tuple(sorted(d)) for org, d in days.items()},
        frozenset(v.org for v in intakes if v.org in days),
        frozenset(v.org for v in trainings if v.org in days),
    )


def _lag_keys(
    problem: Problem, links: LagLinks, visit: Visit, day: int, session: bool
) -> list[tuple[Hashable, float]]:
    """The :class:`LagLinks` rows a column on ``day`` is in through ``visit`` (``session``:
    as the session's team part)."""
    rules = problem.rules
    org = visit.org
    offered = links.days.get(org, ())
    out: list[tuple[Hashable, float]] = []
    if session:
        if org in links.intake_orgs:
            out += [(("after", org, s), 1.0) for s in offered if s >= day]
            out += [(("before", org, s), 1.0) for s in offered if s <= day]
        if org in links.training_orgs:
            out += [(("training", org, s), 1.0) for s in offered if s <= day]
    elif visit.stage is Stage.INTAKE and org in links.intake_orgs:
        out += [(("after", org, s), 1.0) for s in offered if day > s - rules.session_lag_min_days]
        out += [(("before", org, s), 1.0) for s in offered if day < s - rules.session_lag_max_days]
    elif visit.stage is Stage.TRAINING and org in links.training_orgs:
        out += [
            (("training", org, s), 1.0) for s in offered if day < s + rules.training_lag_min_days
        ]
    return out


def part_rows(
    problem: Problem,
    calendar: Calendar,
    evenings_used: dict[tuple[str, tuple[int, int]], int],
    sessions_used: dict[tuple[str, tuple[int, int]], int],
    links: LagLinks | None = None,
) -> Limits:
    """The rows the parts need besides their cover rows, over part columns:

    - the weekly limits: a team member's column whose day ends after ``work_end`` uses one of
      the week's ``max_evenings_per_week``; a trainer's column uses one of the week's
      ``max_sessions_per_week`` per session part (``*_used``: what pinned appointments already
      use, by (person, ISO week));
    - *same time*: for every session and start, the team parts chosen at that start equal the
      trainer parts chosen at it (both people at one place at one time, whichever of the
      session's starts is chosen);
    - with ``links``, the lag rows of :class:`LagLinks` (over part, intake and training
      columns)."""
    rules = problem.rules
    evenings = evening_rows(problem, calendar, evenings_used)
    evening = evenings.usage

    def usage(col: RouteColumn) -> list[tuple[Hashable, float]]:
        out: list[tuple[Hashable, float]] = []
        parts = []
        for v, s in zip(col.visits, col.starts, strict=True):
            part = part_of(v)
            if part is not None:
                parts.append((part, s))
            elif links is not None:
                out += _lag_keys(problem, links, problem.visits[v], col.day, session=False)
        if not parts:
            return out + evening(col)
        role = parts[0][0][1]
        sign = 1.0 if role is Role.TEAM else -1.0
        out += [(("same", v, s), sign) for (v, _), s in parts]
        week = calendar.iso_week(col.day)
        if role is Role.TRAINER:
            return [*out, (("sessions", col.person, week), float(len(parts)))]
        if links is not None:
            for (v, _), _s in parts:
                out += _lag_keys(problem, links, problem.visits[v], col.day, session=True)
        return out + evening(col)

    def room(key: Hashable) -> float | None:
        kind = key[0]
        if kind == "same":
            return 0.0
        if kind in ("after", "before", "training"):
            return 1.0
        _, person, week = key
        if kind == "sessions":
            return max(0, rules.max_sessions_per_week - sessions_used.get((person, week), 0))
        return evenings.room(key)

    def floor(key: Hashable) -> float | None:
        return 0.0 if key[0] == "same" else None

    return Limits(usage, room, floor)
