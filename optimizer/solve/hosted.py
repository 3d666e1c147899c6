"""Intakes on a team member's session days: the second intake round.

Stage 1 places the intakes before anything else is known, so a team member's session days
(stage 2) are mostly one long round trip for one or two sessions. Once the sessions are placed,
the intakes are planned again (:func:`hosted_columns` + the stage-1 routes, one more
set-partitioning MIP): an intake may now also go *before the session* on a team member's
session day nearby (a *hosted* intake), paying only the detour. Each intake must still fall in
its organisation's lag period, read backwards from the session placed in stage 2 (session - 182
.. session - 28 days), so the sessions stay valid as they are.

A hosted column is a :class:`~optimizer.solve.dayroutes.RouteColumn` on the host's person-day
whose ``travel_min`` / ``travel_m`` are the detour (home -> intakes -> first session, instead of
home -> first session); the master's rows are unchanged: each intake once, each person-day at
most one column.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from optimizer.domain import Appointment, Problem, Visit, base_id
from optimizer.solve.dayroutes import (
    EnumerationSettings,
    IntakeInstance,
    RouteColumn,
    enumerate_routes,
    time_route,
)
from optimizer.solve.slots import latest_start, person_free, spread_order
from optimizer.timeaxis import MINUTES_PER_DAY


@dataclass(frozen=True)
class HostingSettings:
    """How hosted intakes are searched."""

    max_leg_min: int = 60
    """Longest drive from a hosted intake to the day's first session (minutes)."""
    max_candidates: int = 12
    """Nearest intakes (by that drive) tried per host day, alone and in pairs."""
    reenumerate_from_s: float = 30.0
    """The round enumerates the intake routes again inside the lag windows
    (:func:`routes_in_windows`, 6-7 s on the national example) only when it has at least this
    many seconds: in a 60 s plan it has about 12, and the enumeration left its MIP too little."""


@dataclass(frozen=True)
class HostDay:
    """A person's day that already holds fixed appointments (sessions)."""

    person: str
    day: int
    first_org: str
    first_start: int
    n_visits: int
    back: int
    """Minute the person is home again (axis minutes)."""


def host_days(
    problem: Problem, appointments: Iterable[Appointment]
) -> dict[tuple[str, int], HostDay]:
    """Every person-day holding ``appointments`` (the fixed ones: sessions), as hosts."""
    by_day: dict[tuple[str, int], list[Appointment]] = defaultdict(list)
    for appt in appointments:
        for person in appt.people:
            by_day[(person, appt.start // MINUTES_PER_DAY)].append(appt)
    out = {}
    for (person, day), appts in by_day.items():
        appts.sort(key=lambda a: a.start)
        last = appts[-1]
        back = last.end + problem.travel.min(last.org, base_id(person))
        out[(person, day)] = HostDay(person, day, appts[0].org, appts[0].start, len(appts), back)
    return out


def _time_before(
    inst: IntakeInstance,
    person: str,
    day: int,
    first_org: str,
    first_start: int,
    order: Sequence[int],
) -> tuple[tuple[int, ...], int] | None:
    """Latest starts of the visits ``order`` (indices into ``inst.visits``) so that ``person``
    reaches the day's first session (at ``first_org``, ``first_start``) in time, and the
    minute they leave home; None if the day does not allow it (the person's working time up
    to the evening is checked by the caller, per host)."""
    problem = inst.problem
    mins = inst.minutes
    deadline = first_start
    here = problem.travel.index[first_org]
    starts: list[int] = []
    for i in reversed(order):
        visit = inst.visits[i]
        there = inst.loc[visit.id]
        day_ranges = inst.ranges[i].get(day)
        if not day_ranges:
            return None
        start = latest_start(day_ranges, deadline - int(mins[there, here]) - visit.duration_min)
        if start is None:
            return None
        starts.append(start)
        deadline, here = start, there
    starts.reverse()
    leave = starts[0] - int(mins[inst.loc[person], inst.loc[inst.visits[order[0]].id]])
    if leave < day * MINUTES_PER_DAY + problem.rules.work_start:
        return None
    if not person_free(problem.people[person], (leave, first_start)):
        return None
    return tuple(starts), leave


def _detour(
    inst: IntakeInstance, person: str, first_org: str, order: Sequence[int]
) -> tuple[int, int]:
    """Extra minutes and metres of home -> visits -> first session over home -> first session."""
    index = inst.problem.travel.index
    home, first = inst.loc[person], index[first_org]
    stops = [home, *(inst.loc[inst.visits[i].id] for i in order), first]
    minutes = sum(int(inst.minutes[a, b]) for a, b in itertools.pairwise(stops))
    metres = sum(int(inst.metres[a, b]) for a, b in itertools.pairwise(stops))
    return (
        minutes - int(inst.minutes[home, first]),
        metres - int(inst.metres[home, first]),
    )


def hosted_columns(
    inst: IntakeInstance,
    hosts: Iterable[HostDay],
    windows: dict[str, tuple[int, int]],
    settings: HostingSettings = HostingSettings(),
    can_do: Callable[[str, Visit], bool] | None = None,
) -> list[RouteColumn]:
    """Every hosted column: one or two of ``inst``'s visits before a host day's first session.

    Hosts whose person is not among ``inst.persons`` are skipped. A visit is tried on a host
    day when the day lies in its window (``windows``, by organisation; no window: any day it has
    start ranges on), the host's person ``can_do`` it (default: everybody), it is at most
    ``max_leg_min`` from the first session, and the day keeps at most ``max_visits_per_day``
    visits. Among those, the ``max_candidates`` nearest are tried alone, and in pairs in both
    orders.
    """
    return [col for _, col in hosted_choices(inst, list(hosts), windows, settings, can_do)]


def hosted_choices(
    inst: IntakeInstance,
    hosts: Sequence[HostDay],
    windows: dict[str, tuple[int, int]],
    settings: HostingSettings = HostingSettings(),
    can_do: Callable[[str, Visit], bool] | None = None,
) -> list[tuple[int, RouteColumn]]:
    """:func:`hosted_columns`, each column with the index of its host in ``hosts``."""
    rules = inst.problem.rules
    mins = inst.minutes
    index = inst.problem.travel.index
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, visit in enumerate(inst.visits):
        lo, hi = windows.get(visit.org, (0, 1 << 30))
        for day in inst.ranges[i]:
            if lo <= day <= hi:
                by_day[day].append(i)
    persons = set(inst.persons)
    # hosts that share the person, day and first session share their hosted visits' timing
    groups: dict[tuple[str, int, str, int], list[int]] = defaultdict(list)
    for k, host in enumerate(hosts):
        if host.person in persons and host.n_visits < rules.max_visits_per_day:
            groups[(host.person, host.day, host.first_org, host.first_start)].append(k)
    out: list[tuple[int, RouteColumn]] = []
    for (person, day, first_org, first_start), members in groups.items():
        first = index[first_org]
        near = sorted(
            (int(mins[inst.loc[inst.visits[i].id], first]), i)
            for i in by_day.get(day, ())
            if mins[inst.loc[inst.visits[i].id], first] <= settings.max_leg_min
            and (can_do is None or can_do(person, inst.visits[i]))
        )[: settings.max_candidates]
        timed = {}
        when = (person, day, first_org, first_start)
        for _, i in near:
            if (t := _time_before(inst, *when, (i,))) is not None:
                timed[(i,)] = t
        room = rules.max_visits_per_day - min(hosts[k].n_visits for k in members)
        if room >= 2:  # a pair is timed only where both visits fit alone (earlier is harder)
            singles = [order[0] for order in timed]
            for order in itertools.permutations(singles, 2):
                if (
                    t := _time_before(inst, person, day, first_org, first_start, order)
                ) is not None:
                    timed[order] = t
        for order, (starts, leave) in timed.items():
            minutes, metres = _detour(inst, person, first_org, order)
            visits = tuple(inst.visits[i].id for i in order)
            column = RouteColumn(person, day, visits, starts, minutes, metres)
            for k in members:
                host = hosts[k]
                fits = len(order) <= rules.max_visits_per_day - host.n_visits
                if fits and host.back - leave <= rules.max_work_min_per_day:
                    out.append((k, column))
    return out


def within_windows(
    columns: Iterable[RouteColumn],
    org_of: dict[str, str],
    windows: dict[str, tuple[int, int]],
    taken: set[tuple[str, int]],
) -> list[RouteColumn]:
    """The stage-1 route columns still allowed: not on a taken person-day and every intake
    inside its organisation's window."""
    out = []
    for col in columns:
        if (col.person, col.day) in taken:
            continue
        ok = True
        for visit_id in col.visits:
            lo, hi = windows.get(org_of[visit_id], (0, 1 << 30))
            if not lo <= col.day <= hi:
                ok = False
                break
        if ok:
            out.append(col)
    return out


def routes_in_windows(
    inst: IntakeInstance,
    windows: dict[str, tuple[int, int]],
    taken: set[tuple[str, int]],
    settings: EnumerationSettings,
) -> list[RouteColumn]:
    """The intake day routes enumerated again for the second round: each intake's days cut to
    its organisation's window (:func:`~optimizer.solve.session_days.option_windows`), the
    ``taken`` person-days (the sessions') not usable.

    Stage 1 offers each visit set on at most ``days_per_set`` days spread over the horizon;
    once the sessions are placed most of those days miss the lag, and ``within_windows`` keeps
    only the rest. Measured on the national example (one run each): the re-enumeration found
    ~48,000 routes in 6-7 s and lowered the plan from 48,523 to 48,400 minutes at 60 s and
    from 48,474 to 48,437 at 300 s."""
    return enumerate_routes(in_windows(inst, windows, taken), settings)


def in_windows(
    inst: IntakeInstance, windows: dict[str, tuple[int, int]], taken: set[tuple[str, int]]
) -> IntakeInstance:
    """``inst`` with each intake's days cut to its organisation's window and the ``taken``
    person-days not usable."""
    ranges = []
    for visit, by_day in zip(inst.visits, inst.ranges, strict=True):
        first, last = windows.get(visit.org, (0, 1 << 30))
        ranges.append({day: r for day, r in by_day.items() if first <= day <= last})
    usable = {person: mask.copy() for person, mask in inst.usable.items()}
    for person, day in taken:
        if person in usable:
            usable[person][day] = False
    return replace(inst, ranges=ranges, usable=usable)


def single_columns(
    inst: IntakeInstance,
    can_do: Callable[[str, Visit], bool],
    *,
    persons_per_visit: int = 3,
    days_per_visit: int = 12,
    max_days_tried: int = 80,
) -> list[RouteColumn]:
    """One-visit day routes (home -> visit -> home, back by ``work_end``) of each visit by its
    ``persons_per_visit`` nearest persons who ``can_do`` it, on up to ``days_per_visit`` days
    spread over the visit's usable days."""
    mins, metres = inst.minutes, inst.metres
    out: list[RouteColumn] = []
    for i, visit in enumerate(inst.visits):
        v = inst.loc[visit.id]
        able = [p for p in inst.persons if can_do(p, visit)]
        trips = {p: int(mins[inst.loc[p], v] + mins[v, inst.loc[p]]) for p in able}
        for person in sorted(able, key=lambda p: (trips[p], p))[:persons_per_visit]:
            days = [d for d in sorted(inst.ranges[i]) if inst.usable[person][d]]
            found = 0
            for day in spread_order(days, days_per_visit, max_days_tried, i):
                starts = time_route(inst, person, day, (i,))
                if starts is None:
                    continue
                home = inst.loc[person]
                dist = int(metres[home, v] + metres[v, home])
                out.append(RouteColumn(person, day, (visit.id,), starts, trips[person], dist))
                found += 1
                if found >= days_per_visit:
                    break
    return out
