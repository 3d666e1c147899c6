"""KPIs of a plan: travel per person and month, visits per stage, deadline margin, evenings,
working days and the balance between team members, on the hand-built tiny problem."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import numpy as np
import pytest
from factories import tiny_problem, valid_plan

from optimizer.domain import Plan, Problem, SolveStats, Unplanned, base_id
from optimizer.plan.kpi import compute_kpis, kpi_table, kpis_to_dict


@pytest.fixture(scope="module")
def problem() -> Problem:
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    return valid_plan(problem)


def test_travel_totals_add_up_per_person_and_per_month(problem, plan):
    k = compute_kpis(problem, plan)
    legs = [leg for r in plan.routes for leg in r.legs]
    assert k.travel_min == sum(problem.travel.min(x.origin, x.destination) for x in legs)
    assert k.travel_km == pytest.approx(sum(x.metres for x in legs) / 1000)
    assert sum(k.travel_min_per_person.values()) == k.travel_min
    assert sum(k.travel_min_per_month.values()) == k.travel_min
    assert sum(k.travel_km_per_month.values()) == pytest.approx(k.travel_km)
    assert set(k.travel_min_per_month) == {"2023-03", "2023-05"}


def test_travel_of_one_person_is_their_drives(problem, plan):
    k = compute_kpis(problem, plan)
    # T2 lives at Groningen's town hall and only does its intake; R3 does nothing.
    assert k.travel_min_per_person["T2"] == 0
    assert k.travel_min_per_person["R3"] == 0
    r2_return = 2 * problem.travel.min(base_id("R2"), "GM0355")
    assert k.travel_min_per_person["R2"] == r2_return
    assert k.travel_km_per_person["R2"] == pytest.approx(
        2 * problem.travel.m(base_id("R2"), "GM0355") / 1000
    )


def test_visits_per_stage_and_deadline_margin(problem, plan):
    k = compute_kpis(problem, plan)
    intake = k.stages["intake"]
    assert (intake.planned, intake.required, intake.unplanned) == (5, 5, 0)
    assert intake.last_date == date(2023, 3, 9)
    assert intake.margin_days == (date(2024, 12, 31) - date(2023, 3, 9)).days
    assert k.stages["session"].last_date == date(2023, 5, 11)
    assert k.stages["training"].planned == 1


def test_unplanned_visits_are_counted_per_stage(problem, plan):
    kept = tuple(a for a in plan.appointments if a.visit_id != "GM0355:session")
    dropped = dataclasses.replace(
        plan, appointments=kept, unplanned=(Unplanned("GM0355:session", "no trainer free"),)
    )
    session = compute_kpis(problem, dropped).stages["session"]
    assert (session.planned, session.unplanned, session.required_unplanned) == (2, 1, 1)
    assert session.last_date == date(2023, 5, 3)


def test_visits_evenings_and_working_days_per_person(problem, plan):
    k = compute_kpis(problem, plan)
    assert k.visits_per_person == {"T1": 7, "T2": 1, "R1": 3, "R2": 1, "R3": 0}
    assert k.evenings_per_person == {"T1": 2, "T2": 0, "R1": 2, "R2": 0, "R3": 0}
    assert k.working_days_per_person["T1"] == len({r.day for r in plan.routes if r.person == "T1"})
    assert k.working_days_per_person["R3"] == 0


def test_balance_between_team_members(problem, plan):
    k = compute_kpis(problem, plan)
    worked = {
        p: sum(r.back_home - r.leave_home for r in plan.routes if r.person == p)
        for p in ("T1", "T2")
    }
    assert k.working_min_per_person["T1"] == worked["T1"]
    assert (k.team_working_min_max, k.team_working_min_min) == (worked["T1"], worked["T2"])
    values = np.array(list(worked.values()), dtype=float)
    assert k.team_working_min_cv == pytest.approx(values.std() / values.mean(), abs=1e-4)


def test_empty_plan_has_zero_travel_and_no_last_dates(problem):
    unplanned = tuple(Unplanned(v, "nothing planned") for v in problem.visits)
    empty = Plan((), (), unplanned, SolveStats("hand", 0.0, 0.0, None, 0))
    k = compute_kpis(problem, empty)
    assert k.travel_min == 0 and k.team_working_min_cv == 0.0
    assert k.stages["intake"].last_date is None and k.stages["intake"].required_unplanned == 5


def test_kpis_as_json_and_as_a_table(problem, plan):
    k = compute_kpis(problem, plan)
    data = json.loads(json.dumps(kpis_to_dict(k)))
    assert data["stages"]["intake"]["last_date"] == "2023-03-09"
    assert data["travel_min"] == k.travel_min
    table = kpi_table(k)
    assert list(table.columns) == ["metric", "value"]
    values = dict(zip(table["metric"], table["value"], strict=True))
    assert values["travel minutes"] == k.travel_min
    assert values["evenings T1"] == 2
    assert values["intake days of margin"] == k.stages["intake"].margin_days
