"""The intake stage: a set-partitioning master over team members' day routes.

Variables: one binary per route column (:mod:`optimizer.solve.dayroutes`) and one
"unplanned" binary per intake. Rows: every intake covered exactly once (by a route or by its
unplanned variable); every person-day used by at most one route. HiGHS solves it to proven
optimality over the enumerated routes, or returns the best plan and its bound at the time
limit. The previous plan's routes are offered as a starting solution (warm start).

Solving it (*reduced-cost column filtering*, :meth:`SparseMip.solve` with ``keep``): the LP
relaxation of the full model is solved first (a second or two; its optimum is the bound the
plan reports). Its reduced costs rank the columns; the MIP is then solved over the
``KEEP_COLUMNS`` columns of least reduced cost (plus the warm-start routes). The
set-partitioning LP is very tight here, so the good columns are among those; and when the
MIP's plan costs at most the LP bound plus the least reduced cost left out, no left-out column
can improve it and the MIP's own bound holds for all columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from optimizer.domain import Appointment, Visit
from optimizer.solve import objective
from optimizer.solve.dayroutes import RouteColumn
from optimizer.solve.mip import INF, MipResult, SparseMip

KEEP_COLUMNS = 3000
"""Columns of least reduced cost the restricted MIP keeps."""

DIVE_SHARE = 0.6
"""Share of the time left after the LP that LP diving may take to find a starting plan
(:meth:`SparseMip.dive`), when the warm start leaves visits unplanned that the LP plans (its
cost is above the LP bound by half a visit's penalty). Measured on the tight national variant
(3 team members): HiGHS started from the greedy routes (7 intakes unplanned) kept all 7 for a
minute, the dive's plan leaves 1 (as the LP) within 4 % of the LP bound after 42 LPs; on the
example (the greedy start plans every intake) a dive only took time from the MIP. The dive
needs about 5 s there; in a 60 s plan the stage has about 13 s after its LP, and a share of 0.4
(5.1 s) cut the dive off in two of three runs (session 11): the search then started from the
greedy routes and the stage ended 6.3 % above its LP bound, against 1.0 % after a dive that
finished (0.6: three runs of three, 19,383 minutes each)."""

LNS_SHARE = 0.85
"""Share of the time left after a dive that the neighbourhood search
(:meth:`SparseMip.neighbourhood_search`, neighbourhoods of nearby intakes) may take to improve
the dive's plan before HiGHS's restricted runs start from it. Measured on the tight national
master (travel above the LP bound): the dive's plan 2.6 %; HiGHS's restricted runs from it
1.8 % after 90 s; the search 0.8 % after 40 s, and the HiGHS runs after it found nothing more
in the 40 s that a share of 0.5 left them. (They still run, to prove the plan where they can.)"""

SEARCH_FIRST_WITHIN_S = 30.0
"""When the first intake master has no more than this many seconds left after its LP (a 60 s
plan leaves it about 6) and its warm start needs no dive, the neighbourhood search starts from
that start at once, before any HiGHS run (``SparseMip.solve(search_first_within=...)``).
Measured in 60 s plans of the national example (one run each, session 9): the stage ended 4.8
and 4.2 % above its LP bound (16,780 and 16,683 minutes) against 9.7 and 10.3 % before
(17,695 in the benchmark run, 17,823 alone), where HiGHS's first run had found 21,105 from the
greedy start's 21,148 and left the search 2 s. The plans: 49,793 and 48,986 against 49,120
twice (the later stages vary by a few hundred minutes from run to run). Stage-1 runs alone
with 86 s (a 300 s plan) favour HiGHS first: 16,043 (0.40 %) against 16,337 (2.2 %) with the
search first. On the tight variant the greedy start leaves intakes out and the dive runs as
before: the search from the greedy start left one intake out in a 60 s plan. The search hands
over to HiGHS at its first stall (``grow=False``): on the small intake reference instances,
where HiGHS proves the optimum in seconds, growing neighbourhoods first made 60 s runs take
11.5-18.8 s instead of 7.6-8.3 s (session 10)."""


@dataclass(frozen=True)
class IntakeSolution:
    chosen: list[RouteColumn]
    unplanned: list[str]
    result: MipResult | None
    n_columns: int
    columns_per_visit: dict[str, int]


def column_cost(column: RouteColumn, previous: dict[str, Appointment]) -> float:
    """Travel, plus disruption for moved proposed appointments, plus earliness."""
    return objective.choice_cost(
        column.travel_min, column.day, column.visits, column.starts, previous
    )


def solve_intakes(
    visits: Sequence[Visit],
    columns: Sequence[RouteColumn],
    *,
    previous: dict[str, Appointment],
    time_limit: float,
    seed: int,
    on_improvement: Callable[[float, float], None] | None = None,
    start_routes: Sequence[RouteColumn] = (),
    search: bool = True,
    limits: Limits | None = None,
    search_first_within: float = 0.0,
    start_first: bool = False,
) -> IntakeSolution:
    """Choose routes covering every intake at least travel (see the module docstring).

    ``start_routes`` (e.g. the greedy baseline's) are added to the columns and, together with
    the previous plan's routes, handed to HiGHS as the starting solution, so the MIP always
    holds a complete plan from its first second on. ``search=False`` turns the neighbourhood
    search after a dive off (``LNS_SHARE``). ``limits`` adds capacity rows beyond one column
    per person-day (the weekly limits of the re-planning round, :class:`Limits`).
    ``search_first_within`` (seconds): with the search on and no more than this left after
    the master's LP, the search starts from the warm start at once (``SEARCH_FIRST_WITHIN_S``).
    ``start_first``: the warm start takes ``start_routes`` before the previous plan's routes
    (for a complete plan of the stages before, which the previous plan's routes would break up).
    """
    known = {(c.person, c.day, c.visits) for c in columns}
    extra = [c for c in start_routes if (c.person, c.day, c.visits) not in known]
    columns = [*columns, *extra]
    costs = [column_cost(col, previous) for col in columns]
    counts = _columns_per_visit(visits, columns)
    mip, slack, cover, cover_rows = _full_model(visits, columns, costs, limits)
    start = _warm_start(columns, visits, slack, previous, start_routes, mip.n_vars, start_first)
    result = mip.solve(
        time_limit=time_limit,
        seed=seed,
        start=start,
        on_improvement=on_improvement,
        keep=KEEP_COLUMNS,
        protect=slack.values(),
        groups=cover.values(),
        dive=DIVE_SHARE,
        dive_margin=min(objective.unplanned_penalty(v) for v in visits) / 2 if visits else 0.0,
        lns=LNS_SHARE if search else 0.0,
        lns_rows=cover_rows,
        search_first_within=search_first_within if search else 0.0,
        lns_focus=list(slack.values()),
    )
    if not result.feasible:
        return IntakeSolution([], [v.id for v in visits], result, len(columns), counts)
    chosen = [col for k, col in enumerate(columns) if result.values[k] > 0.5]
    unplanned = [vid for vid, var in slack.items() if result.values[var] > 0.5]
    return IntakeSolution(chosen, unplanned, result, len(columns), counts)


def _columns_per_visit(visits: Sequence[Visit], columns: Sequence[RouteColumn]) -> dict[str, int]:
    counts = {v.id: 0 for v in visits}
    for col in columns:
        for visit_id in col.visits:
            counts[visit_id] += 1
    return counts


@dataclass(frozen=True)
class Limits:
    """Rows over the columns beyond the cover and person-day rows: ``usage(column)`` gives
    the (key, amount) pairs a column uses; for every key, the amounts of the chosen columns
    sum to at most ``room(key)`` and at least ``floor(key)`` (None: no such side; no row
    where neither side can bind)."""

    usage: Callable[[RouteColumn], Iterable[tuple[Hashable, float]]]
    room: Callable[[Hashable], float | None]
    floor: Callable[[Hashable], float | None] = lambda key: None


class IntakeModel(NamedTuple):
    """The master MIP and where its parts are: each visit's unplanned variable, its column
    variables and its cover row."""

    mip: SparseMip
    slack: dict[str, int]
    cover: dict[str, list[int]]
    cover_rows: list[int]


def _add_cover_rows(
    mip: SparseMip, visits: Sequence[Visit], cover: dict[str, list[int]]
) -> tuple[dict[str, int], list[int]]:
    """An unplanned variable per visit and the row "covered exactly once"; returns the
    unplanned variables and the rows."""
    slack, rows = {}, []
    for visit in visits:
        slack[visit.id] = mip.add_var(objective.unplanned_penalty(visit))
        terms = [(v, 1.0) for v in cover[visit.id]] + [(slack[visit.id], 1.0)]
        rows.append(mip.add_row(terms, lb=1, ub=1))
    return slack, rows


def _full_model(
    visits: Sequence[Visit],
    columns: Sequence[RouteColumn],
    costs: Sequence[float],
    limits: Limits | None = None,
) -> IntakeModel:
    """The full model: a variable per column (index = column index), cover and capacity
    rows."""
    mip = SparseMip()
    cover: dict[str, list[int]] = defaultdict(list)
    person_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    used: dict[Hashable, list[tuple[int, float]]] = defaultdict(list)
    for col, cost in zip(columns, costs, strict=True):
        var = mip.add_var(cost)
        for visit_id in col.visits:
            cover[visit_id].append(var)
        person_day[(col.person, col.day)].append(var)
        if limits is not None:
            for key, amount in limits.usage(col):
                used[key].append((var, float(amount)))
    slack, cover_rows = _add_cover_rows(mip, visits, cover)
    for vars_ in person_day.values():
        if len(vars_) > 1:
            mip.add_row([(v, 1.0) for v in vars_], ub=1)
    for key, terms in used.items():
        room = limits.room(key) if limits is not None else None
        floor = limits.floor(key) if limits is not None else None
        most = sum(max(a, 0.0) for _, a in terms)
        least = sum(min(a, 0.0) for _, a in terms)
        ub = float(room) if room is not None and most > room else INF
        lb = float(floor) if floor is not None and least < floor else -INF
        if ub < INF or lb > -INF:
            mip.add_row(terms, lb=lb, ub=ub)
    return IntakeModel(mip, slack, cover, cover_rows)


def _as_before(col: RouteColumn, previous: dict[str, Appointment]) -> bool:
    """Whether every visit of ``col`` is in ``previous`` at the same start, by its person."""
    return all(
        (a := previous.get(v)) is not None and a.start == s and a.people == (col.person,)
        for v, s in zip(col.visits, col.starts, strict=True)
    )


def _warm_start(
    columns: Sequence[RouteColumn],
    visits: Sequence[Visit],
    slack: dict[str, int],
    previous: dict[str, Appointment],
    start_routes: Sequence[RouteColumn],
    n_vars: int,
    start_first: bool = False,
) -> np.ndarray | None:
    """A feasible starting assignment: the previous plan's routes where they still exist,
    then ``start_routes`` for what they leave open, the rest unplanned (``start_first``: the
    ``start_routes`` first, then the previous plan's routes).

    A route is left out when a route taken before it holds one of its visits or its person-day,
    so whichever comes second can lose routes: in a nightly re-plan (session 14, night 8 of the
    simulation) the previous plan's routes left 22 visits of the re-planning round's start
    unplanned, and the round ended with 27 visits unplanned and sessions without their
    intake."""
    if not previous and not start_routes:
        return None
    values = np.zeros(n_vars)
    covered: set[str] = set()
    used: set[tuple[str, int]] = set()

    def take(k: int, col: RouteColumn) -> None:
        if covered & set(col.visits) or (col.person, col.day) in used:
            return
        values[k] = 1.0
        covered.update(col.visits)
        used.add((col.person, col.day))

    index = {(c.person, c.day, c.visits): k for k, c in enumerate(columns)}
    starts = [(index[(c.person, c.day, c.visits)], c) for c in start_routes]
    kept = [(k, col) for k, col in enumerate(columns) if _as_before(col, previous)]
    for k, col in [*starts, *kept] if start_first else [*kept, *starts]:
        take(k, col)
    for visit in visits:
        if visit.id not in covered:
            values[slack[visit.id]] = 1.0
    return values
