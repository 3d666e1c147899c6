"""Person-day routes of the intake stage: enumeration and timing.

A *day route* is one team member's day: from the home base through at most
``max_visits_per_day`` intakes and back, every intake starting inside one of its start ranges
of that day, leaving home at or after ``work_start`` and back by ``work_end``. The set
partitioning master (:mod:`optimizer.solve.master`) picks one route per covered visit.

Enumeration is by *visit sets*: singles, then pairs and triples of visits that share a usable
day and are near each other (each visit's ``neighbours`` nearest co-available visits). For
each set every order is timed on the set's common days; a set is kept on at most
``days_per_set`` days (spread over the horizon), cheapest orders first. A set whose cheapest
order costs at least as much as serving it in two smaller routes is dropped (*dominance*:
exact while person-days are not scarce, which the master's capacity rows then confirm).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from optimizer.domain import Problem, Rules, Visit, base_id
from optimizer.solve.slots import (
    Calendar,
    StartRange,
    earliest_start,
    person_free,
    spread_order,
)
from optimizer.timeaxis import MINUTES_PER_DAY


@dataclass(frozen=True, slots=True)
class RouteColumn:
    """One candidate day route: person, day index, visit order, start minutes, travel."""

    person: str
    day: int
    visits: tuple[str, ...]
    starts: tuple[int, ...]
    travel_min: int
    travel_m: int


@dataclass(frozen=True)
class EnumerationSettings:
    """How wide the route enumeration looks (see the module docstring)."""

    neighbours: int = 10
    """Nearest co-available visits tried as partners of a visit; 0 means all of them."""
    days_per_set: int = 2
    """Days on which one visit set is offered to the master (measured: 2 reaches the reference
    optimum and keeps the national model at ~63,000 columns; 6 gives ~250,000, too many for a
    60 s plan)."""
    max_days_tried: int = 60
    """Common days of a set that are timed at most (evenly sampled), per order."""
    person_ratio: float = 1.6
    """A person is eligible for a visit when their base is at most this many times (plus
    ``person_slack_min``) as far as the nearest base; 0 means every person."""
    person_slack_min: int = 20
    max_persons_per_visit: int = 3
    workers: int = 1
    """Processes enumerating persons in parallel; 0: one per core (at most 4). Default 1:
    on the shared 2-core machine the national enumeration took 13.7 s in one process and
    17.1 s in two (load average 4); set it where cores are free."""


@dataclass
class IntakeInstance:
    """The solver's view of the intake stage: visits, their start ranges, usable days."""

    problem: Problem
    calendar: Calendar
    visits: list[Visit]
    ranges: list[dict[int, list[StartRange]]]
    persons: list[str]
    usable: dict[str, np.ndarray]
    """Per person, a boolean per day index: may work a normal day then."""
    loc: dict[str, int] = field(default_factory=dict)

    @property
    def minutes(self) -> np.ndarray:
        return self.problem.travel.minutes

    @property
    def metres(self) -> np.ndarray:
        return self.problem.travel.metres


def office_day_free(problem: Problem, calendar: Calendar, person: str, day: int) -> bool:
    """Whether ``day`` (index) is a working day and ``person`` is free for all of its office
    hours (``work_start`` to ``work_end``): a day they may work a normal day of intakes."""
    if not calendar.working[day]:
        return False
    base, rules = day * MINUTES_PER_DAY, problem.rules
    return person_free(problem.people[person], (base + rules.work_start, base + rules.work_end))


def build_instance(
    problem: Problem,
    visits: Sequence[Visit],
    ranges: Sequence[dict[int, list[StartRange]]],
    persons: Sequence[str],
    blocked: dict[str, set[int]],
    calendar: Calendar,
) -> IntakeInstance:
    """Collect what enumeration needs; ``blocked`` holds person-days already taken."""
    usable: dict[str, np.ndarray] = {}
    for pid in persons:
        mask = np.zeros(calendar.n_days, dtype=bool)
        for day in range(calendar.n_days):
            if day not in blocked.get(pid, ()):
                mask[day] = office_day_free(problem, calendar, pid, day)
        usable[pid] = mask
    index = problem.travel.index
    loc = {v.id: index[v.org] for v in visits} | {p: index[base_id(p)] for p in persons}
    return IntakeInstance(problem, calendar, list(visits), list(ranges), list(persons), usable, loc)


def time_route(
    inst: IntakeInstance, person: str, day: int, order: Sequence[int], end: int | None = None
) -> tuple[int, ...] | None:
    """Earliest feasible start minutes of the visits ``order`` (indices) on ``day``, or None;
    back home by ``end`` (minute of the day; default ``work_end``: no evening used)."""
    day_ranges = []
    for i in order:
        ranges = inst.ranges[i].get(day)
        if ranges is None:
            return None
        day_ranges.append(ranges)
    stops = [inst.loc[person]] + [inst.loc[inst.visits[i].id] for i in order] + [inst.loc[person]]
    legs = [int(inst.minutes[a, b]) for a, b in itertools.pairwise(stops)]
    durations = [inst.visits[i].duration_min for i in order]
    rules = inst.problem.rules
    limit = rules.work_end if end is None else end
    return timed_starts(day_ranges, durations, legs, day * MINUTES_PER_DAY, rules, limit)


def timed_starts(
    day_ranges: Sequence[Sequence[StartRange]],
    durations: Sequence[int],
    legs: Sequence[int],
    base: int,
    rules: Rules,
    limit: int,
) -> tuple[int, ...] | None:
    """Earliest start minutes of visits taken in order on the day that begins at minute
    ``base``: each inside one of its ``day_ranges``, ``legs`` the drive minutes home -> first,
    between the visits and last -> home; leaving home at or after ``work_start``, back by
    ``limit`` (minute of the day) and within ``max_work_min_per_day``. None if impossible."""
    ready = base + rules.work_start
    starts = []
    for ranges, leg, duration in zip(day_ranges, legs[:-1], durations, strict=True):
        start = earliest_start(ranges, ready + leg)
        if start is None:
            return None
        starts.append(start)
        ready = start + duration
    back = ready + legs[-1]
    if back > base + limit or back - (starts[0] - legs[0]) > rules.max_work_min_per_day:
        return None
    return tuple(starts)


def route_cost(inst: IntakeInstance, person: str, order: Sequence[int]) -> tuple[int, int]:
    """Travel minutes and metres of home -> visits in ``order`` -> home."""
    stops = [inst.loc[person]] + [inst.loc[inst.visits[i].id] for i in order] + [inst.loc[person]]
    minutes = sum(int(inst.minutes[a, b]) for a, b in itertools.pairwise(stops))
    metres = sum(int(inst.metres[a, b]) for a, b in itertools.pairwise(stops))
    return minutes, metres


def _eligible_persons(
    inst: IntakeInstance,
    settings: EnumerationSettings,
    can_do: Callable[[str, Visit], bool] | None = None,
) -> list[list[str]]:
    """Per visit, the persons allowed to be offered it (nearest bases among those who
    ``can_do`` it; default everybody)."""
    result = []
    for visit in inst.visits:
        v = inst.loc[visit.id]
        able = [p for p in inst.persons if can_do is None or can_do(p, visit)]
        if not able:
            result.append([])
            continue
        out = {p: int(inst.minutes[inst.loc[p], v]) for p in able}
        if settings.person_ratio <= 0:
            result.append(able)
            continue
        best = min(out.values())
        limit = best * settings.person_ratio + settings.person_slack_min
        near = sorted((m, p) for p, m in out.items() if m <= limit)
        result.append([p for _, p in near[: settings.max_persons_per_visit]])
    return result


def _day_matrix(inst: IntakeInstance, members: Sequence[int], person: str) -> np.ndarray:
    """Boolean (len(members) x days): visit has a start range that day and person may work."""
    out = np.zeros((len(members), inst.calendar.n_days), dtype=bool)
    for row, i in enumerate(members):
        days = list(inst.ranges[i])
        if days:
            out[row, days] = True
    return out & inst.usable[person][None, :]


class _Enumerator:
    """Enumerates route columns for one person.

    Travel between the person's home (position 0) and their candidate visits (position
    ``row + 1``) is copied once into Python lists: the enumeration times hundreds of
    thousands of orders, and reading numpy scalars one at a time dominated it."""

    def __init__(
        self, inst: IntakeInstance, person: str, members: list[int], s: EnumerationSettings
    ):
        self.inst, self.person, self.members, self.s = inst, person, members, s
        self.bits = _day_matrix(inst, members, person)
        self.row_of = {i: r for r, i in enumerate(members)}
        self.best_cost: dict[frozenset[int], int] = {}
        self.columns: list[RouteColumn] = []
        locs = [inst.loc[person]] + [inst.loc[inst.visits[i].id] for i in members]
        grid = np.ix_(locs, locs)
        self.minutes = inst.minutes[grid].astype(np.int64).tolist()
        self.metres = inst.metres[grid].astype(np.int64).tolist()

    def neighbours(self) -> dict[int, list[int]]:
        bits = self.bits.astype(np.float32)
        co = (bits @ bits.T) > 0
        locs = np.array([self.inst.loc[self.inst.visits[i].id] for i in self.members])
        mins = self.inst.minutes
        dist = mins[np.ix_(locs, locs)] + mins[np.ix_(locs, locs)].T
        result: dict[int, list[int]] = {}
        k = self.s.neighbours
        for r, i in enumerate(self.members):
            cand = np.nonzero(co[r])[0]
            cand = cand[cand != r]
            cand = cand[np.argsort(dist[r, cand], kind="stable")]
            if k > 0:
                cand = cand[:k]
            result[i] = [self.members[c] for c in cand]
        return result

    def _legs(self, order: Sequence[int], table: list[list[int]]) -> list[int]:
        """Drives of home -> visits in ``order`` -> home, from ``table`` (minutes or metres)."""
        stops = [0] + [self.row_of[i] + 1 for i in order] + [0]
        return [table[a][b] for a, b in itertools.pairwise(stops)]

    def offer(self, members: tuple[int, ...]) -> None:
        """Time every order of ``members`` on their common days and keep the good ones."""
        key = frozenset(members)
        if key in self.best_cost:
            return
        rows = [self.row_of[i] for i in members]
        common = np.nonzero(np.logical_and.reduce(self.bits[rows], axis=0))[0]
        if len(common) == 0:
            self.best_cost[key] = 1 << 30
            return
        orders = []
        for order in itertools.permutations(members):
            legs = self._legs(order, self.minutes)
            orders.append((sum(legs), legs, order))
        orders.sort(key=lambda x: x[0])
        cheapest = orders[0][0]
        visits = self.inst.visits
        service = sum(visits[i].duration_min for i in members)
        orders = [o for o in orders if self._may_fit(o[0], o[1], service)]
        if not orders:
            self.best_cost[key] = 1 << 30
            return
        if len(members) > 1 and cheapest >= self._split_cost(members):
            self.best_cost[key] = cheapest
            return
        kept: dict[int, RouteColumn] = {}
        found_cost = None
        days = spread_order(common, self.s.days_per_set, self.s.max_days_tried, sum(members))
        rules = self.inst.problem.rules
        for minutes, legs, order in orders:
            durations = [visits[i].duration_min for i in order]
            by_day = [self.inst.ranges[i] for i in order]
            ids = tuple(visits[i].id for i in order)
            metres = sum(self._legs(order, self.metres))
            for day in days:
                if day in kept:
                    continue
                day_ranges = [ranges[day] for ranges in by_day]
                base = day * MINUTES_PER_DAY
                starts = timed_starts(day_ranges, durations, legs, base, rules, rules.work_end)
                if starts is None:
                    continue
                kept[day] = RouteColumn(self.person, day, ids, starts, minutes, metres)
                found_cost = minutes if found_cost is None else found_cost
                if len(kept) >= self.s.days_per_set:
                    break
            if len(kept) >= self.s.days_per_set:
                break
        self.best_cost[key] = found_cost if found_cost is not None else 1 << 30
        self.columns.extend(kept.values())

    def _may_fit(self, minutes: int, legs: Sequence[int], service: int) -> bool:
        """Whether an order with these drives (``minutes`` in all, ``legs`` one by one) and
        ``service`` minutes of visits could fit some day at all: travel and visits inside the
        working day, the visits and the drives between them inside office hours (a necessary
        condition, checked before any day is timed)."""
        rules = self.inst.problem.rules
        if minutes + service > rules.work_end - rules.work_start:
            return False
        inner = minutes - legs[0] - legs[-1]
        return inner + service <= rules.office_end - rules.office_start

    def _split_cost(self, members: tuple[int, ...]) -> int:
        """Cheapest way to serve ``members`` in two or more smaller routes (known so far)."""
        items = list(members)
        singles = [self.best_cost.get(frozenset((i,))) for i in items]
        best = sum(singles) if None not in singles else 1 << 30
        for size in range(1, len(items)):
            for part in itertools.combinations(items, size):
                rest = frozenset(items) - frozenset(part)
                a = self.best_cost.get(frozenset(part))
                b = self.best_cost.get(rest)
                if a is not None and b is not None:
                    best = min(best, a + b)
        return best


def enumerate_routes(
    inst: IntakeInstance,
    settings: EnumerationSettings = EnumerationSettings(),
    can_do: Callable[[str, Visit], bool] | None = None,
) -> list[RouteColumn]:
    """All route columns of the instance (see the module docstring); ``can_do(person, visit)``
    restricts who may be offered a visit (a trainer's skills), default everybody.

    The persons are enumerated independently, in ``settings.workers`` forked processes where
    the machine has the cores; the columns come back in person order, the same as from one
    process."""
    eligible = _eligible_persons(inst, settings, can_do)
    persons = list(inst.persons)
    workers = min(settings.workers or os.cpu_count() or 1, len(persons), MAX_WORKERS)
    parallel = workers > 1 and len(inst.visits) >= PARALLEL_MIN_VISITS
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        _JOB["job"] = (inst, settings, eligible)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                parts = list(pool.map(_person_job, persons))
        finally:
            _JOB.clear()
    else:
        parts = [_person_routes(inst, person, eligible, settings) for person in persons]
    columns = [col for part in parts for col in part]
    return columns + _fallback_singles(inst, columns, eligible, settings, can_do)


MAX_WORKERS = 4
"""At most this many processes enumerate routes at once."""

PARALLEL_MIN_VISITS = 50
"""Smaller instances are enumerated in this process (forking costs more than it saves)."""

_JOB: dict = {}
"""The instance handed to forked enumeration workers (inherited, not pickled)."""


def _person_job(person: str) -> list[RouteColumn]:
    inst, settings, eligible = _JOB["job"]
    return _person_routes(inst, person, eligible, settings)


def _person_routes(
    inst: IntakeInstance,
    person: str,
    eligible: list[list[str]],
    settings: EnumerationSettings,
) -> list[RouteColumn]:
    """The route columns of one person: singles, pairs and triples of nearby visits."""
    max_stops = inst.problem.rules.max_visits_per_day
    members = [i for i in range(len(inst.visits)) if person in eligible[i]]
    if not members:
        return []
    en = _Enumerator(inst, person, members, settings)
    near = en.neighbours()
    for i in members:
        en.offer((i,))
    pairs: list[tuple[int, ...]] = []
    if max_stops >= 2:
        pairs = sorted({tuple(sorted((i, j))) for i in members for j in near[i]})
        for pair in pairs:
            en.offer(pair)
    if max_stops >= 3:
        triples = set()
        for a, b in pairs:
            for c in set(near[a]) | set(near[b]):
                if c != a and c != b:
                    triples.add(tuple(sorted((a, b, c))))
        for triple in sorted(triples):
            en.offer(triple)
    return en.columns


def _fallback_singles(
    inst: IntakeInstance,
    columns: list[RouteColumn],
    eligible: list[list[str]],
    settings: EnumerationSettings,
    can_do: Callable[[str, Visit], bool] | None = None,
) -> list[RouteColumn]:
    """Single-visit routes by the other persons for visits no eligible person can make.

    The nearest-base filter would otherwise leave a visit unplanned when its nearby team
    members are on leave on every day it is free."""
    covered = {v for col in columns for v in col.visits}
    extra: list[RouteColumn] = []
    for i, visit in enumerate(inst.visits):
        if visit.id in covered:
            continue
        for person in inst.persons:
            if person in eligible[i] or (can_do is not None and not can_do(person, visit)):
                continue
            en = _Enumerator(inst, person, [i], settings)
            en.offer((i,))
            extra.extend(en.columns)
    return extra
