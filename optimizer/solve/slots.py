"""Where each visit may start: the solver's reading of calendars and rules.

For every visit this module computes, per day index of the time axis, the ranges of start
minutes that respect the organisation's calendar and the stage's rules (docs/rules.md). The
lags between stages and the people's own limits are handled by the stage solvers. The
validator re-derives all of this independently; nothing here is shared with it.

Units: day indices and axis minutes (:mod:`optimizer.timeaxis`); a start range ``(lo, hi)``
means any start ``lo <= s <= hi`` is allowed.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from optimizer.domain import Interval, Person, Problem, Stage, Visit
from optimizer.timeaxis import MINUTES_PER_DAY

StartRange = tuple[int, int]


@dataclass(frozen=True)
class Calendar:
    """Day-level facts of the horizon, computed once per problem."""

    n_days: int
    working: tuple[bool, ...]
    """Monday-Friday and not a public holiday, per day index."""
    dates: tuple[date, ...]

    @classmethod
    def of(cls, problem: Problem) -> Calendar:
        start = problem.horizon_start
        n = (problem.horizon_end - start).days + 1
        dates = tuple(start + timedelta(days=i) for i in range(n))
        working = tuple(d.weekday() < 5 and d not in problem.public_holidays for d in dates)
        return cls(n_days=n, working=working, dates=dates)

    def iso_week(self, day: int) -> tuple[int, int]:
        iso = self.dates[day].isocalendar()
        return iso[0], iso[1]


def subtract(free: list[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """``free`` minus every ``busy`` interval (all half-open, sorted output)."""
    result = sorted(free)
    for b0, b1 in busy:
        nxt: list[Interval] = []
        for f0, f1 in result:
            if b1 <= f0 or b0 >= f1:
                nxt.append((f0, f1))
                continue
            if f0 < b0:
                nxt.append((f0, b0))
            if b1 < f1:
                nxt.append((b1, f1))
        result = nxt
    return result


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Pairwise intersection of two interval lists."""
    out: list[Interval] = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def by_day(intervals: Iterable[Interval]) -> dict[int, list[Interval]]:
    """Intervals cut at midnight and grouped by day index (each day's pieces in order)."""
    days: dict[int, list[Interval]] = {}
    for a, b in sorted(intervals):
        first, last = a // MINUTES_PER_DAY, (b - 1) // MINUTES_PER_DAY
        if first == last:  # most blocks lie within one day
            days.setdefault(first, []).append((a, b))
            continue
        for day in range(first, last + 1):
            lo, hi = day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY
            days.setdefault(day, []).append((max(a, lo), min(b, hi)))
    return days


def _day_parts(problem: Problem, visit: Visit) -> list[Interval]:
    """Minutes-of-day intervals in which the stage may take place."""
    rules = problem.rules
    if visit.stage is Stage.SESSION:
        return [rules.afternoon, rules.evening]
    return [(rules.office_start, rules.office_end)]


def start_ranges(problem: Problem, visit: Visit, cal: Calendar) -> dict[int, list[StartRange]]:
    """Per day index, the start ranges of ``visit`` allowed by its organisation and stage.

    Days outside the visit's own date bounds, after the deadline (required intakes and
    sessions), on non-working days, and (sessions) on council days or in the recess are left
    out. Busy blocks of the organisation (the mayor's calendar) are subtracted for intakes
    only: sessions are bound by the council's calendar (council days, recess) and trainings
    by the requested window (docs/rules.md); explicit availability windows are intersected
    for every stage.
    """
    org_cal = problem.calendar(visit.org)
    rules = problem.rules
    first = 0
    if problem.replan_from is not None:
        first = max(first, (problem.replan_from - problem.horizon_start).days)
    last = cal.n_days - 1
    if visit.earliest is not None:
        first = max(first, (visit.earliest - problem.horizon_start).days)
    if visit.latest is not None:
        last = min(last, (visit.latest - problem.horizon_start).days)
    if visit.required and visit.stage is not Stage.TRAINING:
        last = min(last, (rules.deadline - problem.horizon_start).days)
    parts = _day_parts(problem, visit)
    duration = visit.duration_min
    # the ranges of a day without busy blocks or availability windows, from its midnight
    plain = [(a, b - duration) for a, b in sorted(parts) if b - a >= duration]
    result: dict[int, list[StartRange]] = {}
    busy = by_day(org_cal.busy) if visit.stage is Stage.INTAKE else {}
    available = by_day(org_cal.available) if org_cal.available is not None else None
    closed = _session_closed_days(problem, visit) if visit.stage is Stage.SESSION else ()
    for day in range(max(first, 0), last + 1):
        if not cal.working[day] or day in closed:
            continue
        base = day * MINUTES_PER_DAY
        if available is None and day not in busy:
            if plain:
                result[day] = [(base + a, base + b) for a, b in plain]
            continue
        free = [(base + a, base + b) for a, b in parts]
        if available is not None:
            free = intersect(free, available.get(day, ()))
        free = subtract(free, busy.get(day, ()))
        ranges = [(a, b - duration) for a, b in free if b - a >= duration]
        if ranges:
            result[day] = ranges
    return result


def _session_closed_days(problem: Problem, visit: Visit) -> set[int]:
    """Day indices on which the organisation of session ``visit`` holds no session: its
    council days and its holiday region's recess."""
    start = problem.horizon_start
    closed = {(the_date - start).days for the_date in problem.calendar(visit.org).council_days}
    region = problem.organisations[visit.org].holiday_region
    for first, last in problem.recess.get(region, ()):
        closed.update(range((first - start).days, (last - start).days + 1))
    return closed


def person_free(person: Person, interval: Interval) -> bool:
    """True when ``interval`` lies inside the person's availability and clear of leave."""
    a, b = interval
    starts, reach = _sorted_intervals(person.unavailable)
    k = bisect.bisect_left(starts, b)  # intervals starting before b
    if k and reach[k - 1] > a:
        return False
    if person.available is None:
        return True
    starts, reach = _sorted_intervals(person.available)
    k = bisect.bisect_right(starts, a)  # intervals starting at or before a
    return bool(k) and reach[k - 1] >= b


_SORTED: dict[int, tuple[tuple[Interval, ...], list[int], list[int]]] = {}


def _sorted_intervals(intervals: tuple[Interval, ...]) -> tuple[list[int], list[int]]:
    """Starts of ``intervals`` in order and the running maximum of their ends (cached per
    tuple object: a person's intervals are looked up hundreds of thousands of times)."""
    cached = _SORTED.get(id(intervals))
    if cached is not None and cached[0] is intervals:
        return cached[1], cached[2]
    ordered = sorted(intervals)
    starts = [lo for lo, _ in ordered]
    reach = list(itertools.accumulate((hi for _, hi in ordered), max))
    if len(_SORTED) > 10_000:
        _SORTED.clear()
    _SORTED[id(intervals)] = (intervals, starts, reach)
    return starts, reach


def latest_start(ranges: Sequence[StartRange], latest: int) -> int | None:
    """The latest allowed start at or before ``latest``, or None."""
    best = None
    for lo, hi in ranges:
        if lo <= latest:
            candidate = min(hi, latest)
            best = candidate if best is None else max(best, candidate)
    return best


def earliest_start(ranges: Sequence[StartRange], ready: int) -> int | None:
    """The earliest allowed start at or after ``ready``, or None."""
    for lo, hi in ranges:
        if hi >= ready:
            return max(lo, ready)
    return None


def spread_order(days: Sequence[int] | np.ndarray, k: int, limit: int, offset: int) -> list[int]:
    """At most ``limit`` of ``days`` (evenly sampled), in an order whose first ``k`` are spread
    over the whole horizon; ``offset`` shifts the picks so that different sets get different
    days (the master needs room on the people's calendars)."""
    days = np.asarray(days)
    n = len(days)
    if n > limit:
        days = days[np.linspace(0, n - 1, num=limit).astype(int)]
        n = limit
    step = max(1, n // max(k, 1))
    first = offset % step
    order = list(range(first, n, step))
    order += [i for i in range(n) if i < first or (i - first) % step]
    listed = days.tolist()
    return [int(listed[i]) for i in order]
