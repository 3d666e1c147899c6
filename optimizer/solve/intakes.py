"""The intake stage: a set-partitioning master over team members' day routes.

Variables: one binary per route column (:mod:`optimizer.solve.dayroutes`) and one
"unplanned" binary per intake. Rows: every intake covered exactly once (by a route or by its
unplanned variable); every person-day used by at most one route. HiGHS solves it to proven
optimality over the enumerated routes, or returns the best plan and its bound at the time
limit. The previous plan's routes are offered as a starting solution (warm start).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.domain import Appointment, Visit
from optimizer.solve import objective
from optimizer.solve.dayroutes import RouteColumn
from optimizer.solve.mip import MipResult, SparseMip


@dataclass(frozen=True)
class IntakeSolution:
    chosen: list[RouteColumn]
    unplanned: list[str]
    result: MipResult | None
    n_columns: int
    columns_per_visit: dict[str, int]


def column_cost(column: RouteColumn, previous: dict[str, Appointment]) -> float:
    """Travel, plus disruption for moved proposed appointments, plus earliness."""
    cost = float(column.travel_min) + objective.EARLINESS_PER_DAY * column.day
    for visit_id, start in zip(column.visits, column.starts, strict=True):
        before = previous.get(visit_id)
        if before is not None and before.status.communicated and before.start != start:
            cost += objective.MOVED_PROPOSED
    return cost


def solve_intakes(
    visits: Sequence[Visit],
    columns: Sequence[RouteColumn],
    *,
    previous: dict[str, Appointment],
    time_limit: float,
    seed: int,
    on_improvement: Callable[[float, float], None] | None = None,
) -> IntakeSolution:
    """Choose routes covering every intake at least travel (see the module docstring)."""
    mip = SparseMip()
    cover: dict[str, list[int]] = defaultdict(list)
    person_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    for col in columns:
        var = mip.add_var(column_cost(col, previous))
        for visit_id in col.visits:
            cover[visit_id].append(var)
        person_day[(col.person, col.day)].append(var)
    slack = {}
    for visit in visits:
        penalty = objective.UNPLANNED_REQUIRED if visit.required else objective.UNPLANNED_OPTIONAL
        slack[visit.id] = mip.add_var(penalty)
        mip.add_row([(v, 1.0) for v in cover[visit.id]] + [(slack[visit.id], 1.0)], lb=1, ub=1)
    for vars_ in person_day.values():
        if len(vars_) > 1:
            mip.add_row([(v, 1.0) for v in vars_], ub=1)
    start = _warm_start(columns, visits, slack, previous, mip.n_vars)
    result = mip.solve(time_limit=time_limit, seed=seed, start=start, on_improvement=on_improvement)
    counts = {v.id: len(cover[v.id]) for v in visits}
    if not result.feasible:
        return IntakeSolution([], [v.id for v in visits], result, len(columns), counts)
    chosen = [col for k, col in enumerate(columns) if result.values[k] > 0.5]
    unplanned = [vid for vid, var in slack.items() if result.values[var] > 0.5]
    return IntakeSolution(chosen, unplanned, result, len(columns), counts)


def _warm_start(
    columns: Sequence[RouteColumn],
    visits: Sequence[Visit],
    slack: dict[str, int],
    previous: dict[str, Appointment],
    n_vars: int,
) -> np.ndarray | None:
    """The previous plan's routes as a feasible starting assignment, where they still exist."""
    if not previous:
        return None
    values = np.zeros(n_vars)
    covered: set[str] = set()
    used: set[tuple[str, int]] = set()
    for k, col in enumerate(columns):
        same = all(
            (a := previous.get(v)) is not None and a.start == s and a.people == (col.person,)
            for v, s in zip(col.visits, col.starts, strict=True)
        )
        if same and not covered & set(col.visits) and (col.person, col.day) not in used:
            values[k] = 1.0
            covered |= set(col.visits)
            used.add((col.person, col.day))
    for visit in visits:
        if visit.id not in covered:
            values[slack[visit.id]] = 1.0
    return values
