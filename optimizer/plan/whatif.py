"""What-if variants of a problem: one person less, a later start; solve each and compare.

A variant is a changed copy of the :class:`~optimizer.domain.Problem` (nothing is read or
written again): :func:`without_person` drops a team member or trainer, :func:`starting_on`
allows new appointments only from a date on (the problem's ``replan_from``, as a nightly run
uses it). :func:`run_variant` solves a variant and measures it; :func:`outcome_table` sets
the outcomes side by side with :func:`~optimizer.plan.compare.kpi_summary` and each
variant's team size and first possible date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from optimizer.domain import Plan, Problem, Role
from optimizer.errors import ScenarioError
from optimizer.plan.compare import kpi_summary
from optimizer.plan.kpi import Kpis, compute_kpis


def without_person(problem: Problem, person_id: str) -> Problem:
    """The problem without the team member or trainer ``person_id`` (who must not be in a
    pinned appointment)."""
    if person_id not in problem.people:
        raise ScenarioError(f"the problem has no person {person_id!r}")
    pinned = [a.visit_id for a in problem.pins if person_id in a.people]
    if pinned:
        raise ScenarioError(f"{person_id} is in pinned appointments: {', '.join(pinned)}")
    people = {pid: p for pid, p in problem.people.items() if pid != person_id}
    previous = tuple(a for a in problem.previous if person_id not in a.people)
    return replace(problem, people=people, previous=previous)


def starting_on(problem: Problem, day: date) -> Problem:
    """The problem with new appointments only on or after ``day`` (a later start)."""
    if not problem.horizon_start <= day <= problem.horizon_end:
        raise ScenarioError(
            f"start {day} is outside the horizon {problem.horizon_start} .. {problem.horizon_end}"
        )
    return replace(problem, replan_from=day)


def first_day(problem: Problem) -> date:
    """The first day new appointments may fall on."""
    return max(problem.horizon_start, problem.replan_from or problem.horizon_start)


@dataclass(frozen=True)
class Outcome:
    """A solved variant."""

    label: str
    problem: Problem
    plan: Plan
    kpis: Kpis


def run_variant(
    label: str, problem: Problem, *, time_limit: float = 10, seed: int = 0, method: str = "exact"
) -> Outcome:
    """Solve ``problem`` (``time_limit`` seconds, ``method``) and measure the plan."""
    from optimizer.solve.solve import solve

    plan = solve(problem, time_limit=time_limit, seed=seed, method=method)
    return outcome_of(label, problem, plan)


def outcome_of(label: str, problem: Problem, plan: Plan) -> Outcome:
    """An :class:`Outcome` of a plan solved elsewhere (e.g. read from a plan folder)."""
    return Outcome(label, problem, plan, compute_kpis(problem, plan))


def outcome_table(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """One row per outcome: team members, trainers, first possible date, then the columns of
    :func:`~optimizer.plan.compare.kpi_summary` (travel, deadline)."""
    summary = kpi_summary({o.label: o.kpis for o in outcomes})
    facts = pd.DataFrame(
        {
            "team_members": [_count(o.problem, Role.TEAM) for o in outcomes],
            "trainers": [_count(o.problem, Role.TRAINER) for o in outcomes],
            "first_day": [first_day(o.problem) for o in outcomes],
        },
        index=pd.Index([o.label for o in outcomes], name="plan"),
    )
    return facts.join(summary)


def _count(problem: Problem, role: Role) -> int:
    return sum(p.role is role for p in problem.people.values())
