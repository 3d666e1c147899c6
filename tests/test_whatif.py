"""What-if variants (one person less, a later start) and the tables comparing plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from factories import appointment, plan_of, tiny_problem, valid_appointments

from optimizer.domain import Unplanned
from optimizer.errors import ScenarioError
from optimizer.plan.compare import changes_table, kpi_summary, workload_table
from optimizer.plan.diff import diff_plans
from optimizer.plan.kpi import compute_kpis
from optimizer.plan.whatif import (
    first_day,
    outcome_of,
    outcome_table,
    run_variant,
    starting_on,
    without_person,
)


@pytest.fixture(scope="module")
def problem():
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem):
    return plan_of(problem, valid_appointments(problem), unplanned=[])


def test_without_person_drops_exactly_that_person(problem) -> None:
    fewer = without_person(problem, "T2")
    assert set(fewer.people) == set(problem.people) - {"T2"}
    assert fewer.visits == problem.visits and fewer.travel is problem.travel
    with pytest.raises(ScenarioError, match="no person 'T9'"):
        without_person(problem, "T9")
    pinned = replace(problem, pins=(valid_appointments(problem)[0],))
    with pytest.raises(ScenarioError, match="pinned"):
        without_person(pinned, "T1")


def test_starting_on_allows_new_appointments_only_from_that_day(problem) -> None:
    later = starting_on(problem, date(2024, 3, 1))
    assert later.replan_from == date(2024, 3, 1) and first_day(later) == date(2024, 3, 1)
    assert first_day(problem) == problem.horizon_start
    with pytest.raises(ScenarioError, match="outside the horizon"):
        starting_on(problem, date(2030, 1, 1))


def test_a_later_start_is_solved_with_nothing_before_it(problem, plan) -> None:
    start = date(2024, 9, 2)
    late = run_variant("late", starting_on(problem, start), time_limit=10)
    assert late.plan.appointments
    assert min(problem.axis.date_of(a.start) for a in late.plan.appointments) >= start
    table = outcome_table([outcome_of("base", problem, plan), late])
    assert list(table.index) == ["base", "late"]
    assert table.loc["late", "first_day"] == start
    assert table.loc["base", "team_members"] == 2 and table.loc["base", "trainers"] == 3
    assert table.loc["base", "travel_min"] == plan.travel_min
    assert bool(table.loc["base", "deadline_holds"])


def test_kpi_summary_says_whether_the_deadline_holds(problem, plan) -> None:
    missing = [a for a in valid_appointments(problem) if a.visit_id != "GM0014:intake"]
    short = plan_of(problem, missing, unplanned=[Unplanned("GM0014:intake", "no day")])
    table = kpi_summary(
        {"full": compute_kpis(problem, plan), "short": compute_kpis(problem, short)}
    )
    assert table["deadline_holds"].tolist() == [True, False]
    assert table.loc["short", "required_unplanned"] == 1
    assert table.loc["full", "last_date"] == date(2023, 5, 23)
    assert table.loc["full", "margin_days"] == (date(2024, 12, 31) - date(2023, 5, 23)).days


def test_workload_table_gives_both_plans_and_the_change(problem, plan) -> None:
    fewer = plan_of(problem, valid_appointments(problem)[:4], unplanned=[])
    table = workload_table(compute_kpis(problem, plan), compute_kpis(problem, fewer))
    assert table.loc["T1", "visits A"] == 7 and table.loc["T1", "visits B"] == 4
    assert table.loc["T1", "visits change"] == -3
    assert table.loc["T2", "visits change"] == -1
    assert (table["travel min change"] == table["travel min B"] - table["travel min A"]).all()


def test_changes_table_lists_moves_with_their_shift_in_days(problem, plan) -> None:
    moved = appointment(problem, "GM0307:intake", "T1", "2023-03-15", "10:00")
    other = [moved if a.visit_id == moved.visit_id else a for a in valid_appointments(problem)]
    diff = diff_plans(plan.appointments, plan_of(problem, other).appointments)
    table = changes_table(diff, problem.axis, problem.organisations)
    assert table[["kind", "visit_id", "name", "shift_days"]].values.tolist() == [
        ["moved", "GM0307:intake", "Amersfoort", 7]
    ]
    assert table.loc[0, "old_date"] == date(2023, 3, 8)
