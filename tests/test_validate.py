"""The independent validator: a valid plan validates clean, and each single modification of it
breaks exactly one rule, which the validator names in words with the local date and time."""

from __future__ import annotations

import ast
import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import vrplib
from factories import (
    appointment,
    at,
    day_route,
    replace_appointment,
    tiny_problem,
    valid_plan,
    with_calendar,
    with_person,
)

import optimizer.plan.validate as validate_module
from optimizer.domain import Plan, Problem, Rules, Status, Unplanned
from optimizer.plan.validate import (
    RULES,
    Violation,
    format_violations,
    is_valid,
    rule_descriptions,
    validate,
    validate_vrptw_routes,
)


@pytest.fixture(scope="module")
def problem() -> Problem:
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    return valid_plan(problem)


def rules_broken(problem: Problem, plan: Plan) -> set[str]:
    return {v.rule for v in validate(problem, plan)}


def only(problem: Problem, plan: Plan, rule: str) -> Violation:
    """The violations are all of ``rule`` (at least one); returns the first."""
    violations = validate(problem, plan)
    assert {v.rule for v in violations} == {rule}, format_violations(violations)
    return violations[0]


def moved(problem: Problem, plan: Plan, visit_id: str, people, day: str, start: str) -> Plan:
    return replace_appointment(problem, plan, appointment(problem, visit_id, people, day, start))


# --- the plan as given ------------------------------------------------------------------------


def test_valid_plan_has_no_violations(problem, plan):
    assert validate(problem, plan) == []
    assert is_valid(problem, plan)
    assert "valid" in format_violations([])


def test_validator_shares_no_code_with_the_solver():
    source = Path(validate_module.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "optimizer.domain" in imported
    assert not [m for m in imported if m.startswith("optimizer.solve")]


def test_every_rule_has_a_name_and_a_description():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(rule_descriptions()[name] for name in names)


# --- every appointment ------------------------------------------------------------------------


def test_intake_on_a_saturday_is_not_a_working_day(problem, plan):
    bad = moved(problem, plan, "GM0014:intake", "T2", "2023-04-15", "10:00")
    v = only(problem, bad, "working-day")
    assert v.subject == "GM0014:intake"
    assert "Saturday 2023-04-15" in v.message


def test_intake_on_easter_monday_is_not_a_working_day(problem, plan):
    bad = moved(problem, plan, "GM0014:intake", "T2", "2023-04-10", "10:00")
    assert "public holiday" in only(problem, bad, "working-day").message


def test_intake_before_office_hours(problem, plan):
    bad = moved(problem, plan, "GM0310:intake", "T1", "2023-03-07", "08:30")
    v = only(problem, bad, "intake-office-hours")
    assert v.message == "GM0310:intake on 2023-03-07 starts 08:30, before office hours 09:00"


def test_appointment_inside_an_org_busy_block(problem, plan):
    busy = ((at(problem, "2023-03-07", "14:00"), at(problem, "2023-03-07", "16:00")),)
    v = only(with_calendar(problem, "GM0355", busy=busy), plan, "org-busy")
    assert v.subject == "GM0355:intake"
    assert "2023-03-07 14:00-16:00" in v.message


def test_appointment_outside_the_orgs_explicit_availability(problem, plan):
    window = ((at(problem, "2023-03-10", "09:00"), at(problem, "2023-03-10", "17:00")),)
    v = only(with_calendar(problem, "GM0014", available=window), plan, "org-availability")
    assert v.subject == "GM0014:intake"


def test_appointment_outside_a_trainers_explicit_availability(problem, plan):
    until_may_20 = ((at(problem, "2023-01-02", "00:00"), at(problem, "2023-05-20", "00:00")),)
    v = only(with_person(problem, "R1", available=until_may_20), plan, "person-availability")
    assert v.subject == "GM0344:training"
    assert "R1" in v.message


def test_appointment_while_the_person_is_on_leave(problem, plan):
    leave = ((at(problem, "2023-03-08", "00:00"), at(problem, "2023-03-09", "00:00")),)
    v = only(with_person(problem, "T1", unavailable=leave), plan, "person-leave")
    assert v.subject == "GM0307:intake"


def test_appointment_of_the_wrong_length(problem, plan):
    short = appointment(problem, "GM0014:intake", "T2", "2023-03-09", "10:00", duration_min=60)
    v = only(problem, replace_appointment(problem, plan, short), "duration")
    assert "60 minutes" in v.message


def test_appointment_across_midnight_is_not_on_one_day(problem, plan):
    late = appointment(problem, "GM0307:session", ("T1", "R1"), "2023-05-03", "22:00")
    assert "same-day" in rules_broken(problem, replace_appointment(problem, plan, late))


def test_appointment_by_an_unknown_person(problem, plan):
    ghost = appointment(problem, "GM0014:intake", "T9", "2023-03-09", "10:00")
    appts = tuple(ghost if a.visit_id == ghost.visit_id else a for a in plan.appointments)
    violations = validate(problem, dataclasses.replace(plan, appointments=appts))
    assert "T9" in next(v.message for v in violations if v.rule == "person-unknown")


# --- intake -----------------------------------------------------------------------------------


def test_intake_by_a_trainer(problem, plan):
    bad = moved(problem, plan, "GM0310:intake", "R3", "2023-03-07", "09:00")
    v = only(problem, bad, "intake-people")
    assert "R3" in v.message


def test_required_intake_after_the_deadline(problem, plan):
    bad = moved(problem, plan, "GM0014:intake", "T2", "2025-01-06", "10:00")
    assert "2024-12-31" in only(problem, bad, "deadline").message


def test_deadline_is_a_rule_setting(plan):
    early = tiny_problem(rules=Rules(deadline=date(2023, 5, 10)))
    broken = validate(early, valid_plan(early))
    assert {v.subject for v in broken if v.rule == "deadline"} == {"GM0355:session"}


# --- session ----------------------------------------------------------------------------------


def test_session_on_a_council_day(problem, plan):
    councils = with_calendar(problem, "GM0344", council_days=frozenset({date(2023, 5, 2)}))
    assert "2023-05-02" in only(councils, plan, "session-council-day").message


def test_session_in_the_summer_recess(problem, plan):
    bad = moved(problem, plan, "GM0307:session", ("T1", "R1"), "2023-07-19", "19:30")
    assert "midden" in only(problem, bad, "session-recess").message


def test_session_outside_afternoon_and_evening(problem, plan):
    bad = moved(problem, plan, "GM0355:session", ("T1", "R2"), "2023-05-11", "12:00")
    v = only(problem, bad, "session-time-of-day")
    assert "2023-05-11 12:00-14:30" in v.message


def test_session_without_a_trainer(problem, plan):
    bad = moved(problem, plan, "GM0355:session", "T1", "2023-05-11", "13:30")
    only(problem, bad, "session-people")


def test_session_by_a_trainer_without_the_session_skill(problem, plan):
    bad = moved(problem, plan, "GM0355:session", ("T1", "R3"), "2023-05-11", "13:30")
    assert "R3" in only(problem, bad, "trainer-skill").message


def test_session_27_days_after_the_intake_is_too_soon(problem, plan):
    bad = moved(problem, plan, "GM0344:session", ("T1", "R1"), "2023-04-03", "19:30")
    v = only(problem, bad, "session-lag")
    assert "27 days after the intake on 2023-03-07" in v.message


def test_session_183_days_after_the_intake_is_too_late(problem, plan):
    bad = moved(problem, plan, "GM0307:session", ("T1", "R1"), "2023-09-07", "19:30")
    assert "183 days" in only(problem, bad, "session-lag").message


def test_session_28_and_182_days_after_the_intake_are_allowed(problem, plan):
    soon = moved(problem, plan, "GM0344:session", ("T1", "R1"), "2023-04-04", "19:30")
    late = moved(problem, plan, "GM0307:session", ("T1", "R1"), "2023-09-06", "19:30")
    assert validate(problem, soon) == []
    assert validate(problem, late) == []


def test_session_without_its_intake(problem, plan):
    unplanned = (*plan.unplanned, Unplanned("GM0344:intake", "no date in the calendar"))
    bad = dataclasses.replace(
        replace_appointment(problem, plan, plan.appointments[0], drop=["GM0344:intake"]),
        unplanned=unplanned,
    )
    assert only(problem, bad, "session-needs-intake").subject == "GM0344:session"


# --- training ---------------------------------------------------------------------------------


def test_training_eight_days_after_the_session(problem, plan):
    bad = moved(problem, plan, "GM0344:training", "R1", "2023-05-10", "10:00")
    assert "8 days after the session" in only(problem, bad, "training-lag").message


def test_training_outside_its_requested_window(problem, plan):
    bad = moved(problem, plan, "GM0344:training", "R1", "2023-07-04", "10:00")
    assert "2023-06-30" in only(problem, bad, "date-window").message


def test_training_by_a_trainer_without_group_training(problem, plan):
    bad = moved(problem, plan, "GM0344:training", "R2", "2023-05-23", "10:00")
    assert "group_training" in only(problem, bad, "trainer-skill").message


def test_training_by_a_team_member(problem, plan):
    bad = moved(problem, plan, "GM0344:training", "T1", "2023-05-23", "10:00")
    only(problem, bad, "training-people")


def test_training_outside_office_hours(problem, plan):
    bad = moved(problem, plan, "GM0344:training", "R3", "2023-05-23", "14:05")
    assert "ends 17:05" in only(problem, bad, "training-office-hours").message


def test_training_without_its_session(problem, plan):
    unplanned = (*plan.unplanned, Unplanned("GM0344:session", "council declined"))
    bad = dataclasses.replace(
        replace_appointment(problem, plan, plan.appointments[0], drop=["GM0344:session"]),
        unplanned=unplanned,
    )
    only(problem, bad, "training-needs-session")


# --- each person's day ------------------------------------------------------------------------


def test_overlap_counts_the_travel_between_appointments(problem, plan):
    # Utrecht ends 12:30 and the drive to Zeist takes 9 minutes: 12:35 is too early.
    bad = moved(problem, plan, "GM0355:intake", "T1", "2023-03-07", "12:35")
    v = only(problem, bad, "person-overlap")
    assert v.subject == "T1"
    assert "12:30" in v.message and "9 minutes" in v.message


def test_leg_minutes_differ_from_the_travel_matrix(problem, plan):
    route = next(r for r in plan.routes if r.person == "T1" and len(r.visits) == 3)
    legs = list(route.legs)
    legs[1] = dataclasses.replace(legs[1], minutes=legs[1].minutes - 3)
    bad = _with_route(plan, route, dataclasses.replace(route, legs=tuple(legs)))
    assert "the travel matrix says 8 min" in only(problem, bad, "leg-travel").message


def test_leg_that_departs_before_the_appointment_ends(problem, plan):
    route = next(r for r in plan.routes if r.person == "T1" and len(r.visits) == 3)
    legs = list(route.legs)
    legs[1] = dataclasses.replace(legs[1], depart=legs[1].depart - 10, arrive=legs[1].arrive - 10)
    bad = _with_route(plan, route, dataclasses.replace(route, legs=tuple(legs)))
    assert "before GM0310:intake ends" in only(problem, bad, "leg-timing").message


def test_route_that_does_not_return_home(problem, plan):
    route = plan.routes[0]
    bad = _with_route(plan, route, dataclasses.replace(route, legs=route.legs[:-1]))
    only(problem, bad, "route-shape")


def test_leaving_home_before_half_past_eight(problem, plan):
    bad = moved(problem, plan, "GM0014:intake", "T1", "2023-03-09", "10:00")
    assert "07:10" in only(problem, bad, "work-start").message


def test_not_home_by_eleven_at_night(problem, plan):
    # T2 lives in Groningen: the 20:00 session in Utrecht brings T2 home after midnight.
    bad = moved(problem, plan, "GM0344:session", ("T2", "R1"), "2023-05-02", "20:00")
    v = only(problem, bad, "home-by")
    assert v.subject == "T2" and "later than 23:00" in v.message


def test_late_return_from_an_intake_counts_as_an_evening(problem, plan):
    # Groningen until 16:30 brings T1 home at 19:20: allowed, but it is an evening, the third
    # of its week (the valid plan has two evening sessions in week 18).
    bad = moved(problem, plan, "GM0014:intake", "T1", "2023-05-05", "15:00")
    v = only(problem, bad, "evenings-per-week")
    assert v.subject == "T1" and "2023-W18" in v.message


def test_more_than_ten_hours_of_work(problem, plan):
    # Groningen at noon, then the evening session in Amersfoort: 09:10 to 22:15.
    bad = moved(problem, plan, "GM0014:intake", "T1", "2023-05-03", "12:00")
    assert "13h05" in only(problem, bad, "work-hours").message


def test_four_visits_in_a_day(problem, plan):
    bad = moved(problem, plan, "GM0307:intake", "T1", "2023-03-07", "15:30")
    assert "4 visits on 2023-03-07" in only(problem, bad, "visits-per-day").message


def test_three_evenings_in_a_week(problem, plan):
    bad = moved(problem, plan, "GM0355:session", ("T1", "R2"), "2023-05-04", "19:30")
    v = only(problem, bad, "evenings-per-week")
    assert v.subject == "T1" and "2023-W18" in v.message


def test_three_sessions_in_a_week_for_a_trainer(problem, plan):
    bad = moved(problem, plan, "GM0355:session", ("T1", "R1"), "2023-05-04", "13:30")
    v = only(problem, bad, "sessions-per-week")
    assert v.subject == "R1" and "2023-05-02, 2023-05-03, 2023-05-04" in v.message


# --- the plan as a whole ----------------------------------------------------------------------


def test_pinned_appointment_kept_is_valid(problem, plan):
    pin = dataclasses.replace(plan.appointments[4], status=Status.CONFIRMED)
    assert validate(dataclasses.replace(problem, pins=(pin,)), plan) == []


def test_pinned_appointment_moved(problem, plan):
    pin = dataclasses.replace(plan.appointments[4], status=Status.CONFIRMED)
    pinned = dataclasses.replace(problem, pins=(pin,))
    bad = moved(pinned, plan, "GM0014:intake", "T2", "2023-03-10", "10:00")
    v = only(pinned, bad, "pin-moved")
    assert "pinned on 2023-03-09 10:00-11:30 (confirmed)" in v.message


def test_visit_both_planned_and_unplanned(problem, plan):
    bad = dataclasses.replace(plan, unplanned=(Unplanned("GM0014:intake", "no time"),))
    assert only(problem, bad, "visit-twice").subject == "GM0014:intake"


def test_visit_neither_planned_nor_unplanned(problem, plan):
    gone = replace_appointment(problem, plan, plan.appointments[0], drop=["GM0014:intake"])
    assert only(problem, gone, "visit-missing").subject == "GM0014:intake"


def test_unplanned_visit_needs_a_reason(problem, plan):
    gone = replace_appointment(problem, plan, plan.appointments[0], drop=["GM0014:intake"])
    bad = dataclasses.replace(gone, unplanned=(Unplanned("GM0014:intake", " "),))
    assert "without a reason" in only(problem, bad, "visit-missing").message


def test_appointment_of_an_unknown_visit(problem, plan):
    ghost = appointment(problem, "GM0310:training", "R1", "2023-06-06", "10:00")
    bad = dataclasses.replace(plan, appointments=(*plan.appointments, ghost))
    bad = dataclasses.replace(bad, routes=(*bad.routes, day_route(problem, "R1", [ghost])))
    only(problem, bad, "visit-unknown")


def test_route_through_a_visit_that_is_not_the_persons_appointment(problem, plan):
    utrecht = plan.appointment("GM0344:intake")
    bad = dataclasses.replace(plan, routes=(*plan.routes, day_route(problem, "R2", [utrecht])))
    v = only(problem, bad, "route-mismatch")
    assert v.subject == "R2" and "GM0344:intake" in v.message


def test_appointment_missing_from_its_route(problem, plan):
    bad = dataclasses.replace(plan, routes=tuple(r for r in plan.routes if r.person != "T2"))
    assert "not on the route of T2" in only(problem, bad, "route-mismatch").message


def test_format_violations_lists_each_and_counts_per_rule(problem, plan):
    bad = moved(problem, plan, "GM0014:intake", "T2", "2023-04-15", "10:00")
    text = format_violations(validate(problem, bad))
    assert text.splitlines()[0].startswith("[working-day] GM0014:intake is on Saturday")
    assert text.splitlines()[-1] == "1 violation: working-day 1"


def _with_route(plan: Plan, old, new) -> Plan:
    return dataclasses.replace(plan, routes=tuple(new if r is old else r for r in plan.routes))


# --- VRPTW routes (benchmarks) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def c101(shared_data) -> tuple[dict, list[list[int]]]:
    """Solomon C101 under the DIMACS convention (x10, truncated) and its best-known routes."""
    instance = vrplib.read_instance(shared_data / "vrptw" / "C101.vrp")
    coords = instance["node_coord"].astype(float)
    distance = np.sqrt(((coords[:, None] - coords[None, :]) ** 2).sum(-1))
    instance["edge_weight"] = np.trunc(10 * distance).astype(int)
    instance["time_window"] = instance["time_window"] * 10
    instance["service_time"] = instance["service_time"] * 10
    routes = vrplib.read_solution(shared_data / "vrptw" / "C101.sol")["routes"]
    return instance, routes


def test_best_known_c101_solution_is_feasible(c101):
    instance, routes = c101
    assert validate_vrptw_routes(instance, routes) == []
    cost = sum(
        instance["edge_weight"][a, b] for r in routes for a, b in zip([0, *r], [*r, 0], strict=True)
    )
    assert cost == 8273  # the best-known 827.3, so the instance conversion above is right


def test_vrptw_missing_and_repeated_customers(c101):
    instance, routes = c101
    dropped, repeated = routes[0][0], routes[3][0]
    broken = [routes[0][1:], routes[1], routes[2] + [repeated], *routes[3:]]
    problems = validate_vrptw_routes(instance, broken)
    assert f"customers not visited: [{dropped}]" in problems
    assert f"customers visited more than once: [{repeated}]" in problems


def test_vrptw_capacity_and_time_windows(c101):
    instance, routes = c101
    small = dict(instance, capacity=100)
    assert any("exceeds the capacity 100" in p for p in validate_vrptw_routes(small, routes))
    reversed_first = [routes[0][::-1], *routes[1:]]
    late = validate_vrptw_routes(instance, reversed_first)
    assert late and all(p.startswith("route 1: reaches") for p in late)


def test_vrptw_waiting_for_a_window_is_allowed():
    instance = {
        "edge_weight": np.array([[0, 5, 5], [5, 0, 5], [5, 5, 0]]),
        "demand": np.array([0, 1, 1]),
        "capacity": 2,
        "time_window": np.array([[0, 100], [50, 60], [0, 65]]),
        "service_time": 0,
        "depot": np.array([0]),
    }
    assert validate_vrptw_routes(instance, [[1, 2]]) == []  # wait until 50, leave at 50
    assert validate_vrptw_routes(instance, [[2, 1]]) == []
    assert validate_vrptw_routes(dict(instance, service_time=10), [[1, 2]]) == []  # at 65
    assert validate_vrptw_routes(dict(instance, service_time=11), [[1, 2]]) == [
        "route 1: reaches customer 2 at 66, after its window closes at 65"
    ]


def test_appointment_placed_in_the_past(problem, plan):
    from dataclasses import replace as _replace
    from datetime import date as _date

    later = _replace(problem, replan_from=_date(2023, 3, 8))
    v = only(later, plan, "in-the-past")
    assert "before 2023-03-08" in v.message
