"""The re-planning round around the placed sessions (``optimizer.solve.hosted``): an intake or a
training moves onto a person's session day nearby when that saves a drive, without breaking the
session's lag rule; every plan passes the independent validator."""

from __future__ import annotations

import dataclasses
from datetime import date

import optimizer.solve.solve as solve_module
from optimizer.domain import Problem
from optimizer.plan.validate import validate
from optimizer.solve.dayroutes import EnumerationSettings, enumerate_routes
from optimizer.solve.hosted import (
    HostDay,
    HostingSettings,
    hosted_columns,
    routes_in_windows,
    within_windows,
)
from optimizer.solve.later import LaterSettings
from optimizer.solve.slots import Calendar, latest_start, start_ranges
from optimizer.solve.solve import SolveSettings, intake_instance, solve
from tests.factories import at, tiny_problem
from tests.test_later import training_near_a_session
from tests.test_solver import day_of, with_available

WITHOUT_HOSTING = SolveSettings(host_intakes=False)


def solved_valid(problem: Problem, **options):
    """A 20 s plan of ``problem`` that the validator passes and that plans every visit."""
    plan = solve(problem, time_limit=20, seed=0, **options)
    violations = validate(problem, plan)
    assert violations == [], "\n".join(f"{v.rule}: {v.message}" for v in violations)
    assert not plan.unplanned, plan.unplanned
    return plan


def _intake_near_a_session() -> Problem:
    """Utrecht (session on the evening of 5 April only) and Zeist next door, whose mayor is
    free on 2 March and on 5 April: the first intake plan takes 2 March."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0355"], people=["T1", "R2"], sessions=("GM0344",), trainings={}
    )
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "09:00", "12:00"), ("2023-04-05", "19:00", "22:30")
    )
    return with_available(
        problem, "GM0355", ("2023-03-02", "09:00", "17:00"), ("2023-04-05", "09:00", "17:00")
    )


def test_intake_moves_onto_the_afternoon_before_a_nearby_evening_session():
    problem = _intake_near_a_session()
    plan = solved_valid(problem)
    assert day_of(problem, plan, "GM0344:session") == date(2023, 4, 5)
    assert day_of(problem, plan, "GM0355:intake") == date(2023, 4, 5)
    assert plan.appointment("GM0355:intake").people == ("T1",)
    assert plan.appointment("GM0355:intake").end <= plan.appointment("GM0344:session").start
    unhosted = solved_valid(problem, settings=WITHOUT_HOSTING)
    assert day_of(problem, unhosted, "GM0355:intake") == date(2023, 3, 2)
    assert plan.travel_min < unhosted.travel_min


def test_intake_is_not_hosted_where_its_own_session_would_lose_the_lag():
    """Utrecht's own intake may not move onto its session day (it would cost no drive at all):
    the session needs 28 days."""
    problem = tiny_problem(orgs=["GM0344"], people=["T1", "R2"], sessions=("GM0344",), trainings={})
    problem = with_available(
        problem,
        "GM0344",
        ("2023-03-01", "09:00", "12:00"),
        ("2023-04-05", "09:00", "17:00"),
        ("2023-04-05", "19:00", "22:30"),
    )
    plan = solved_valid(problem)
    session = day_of(problem, plan, "GM0344:session")
    assert (session - day_of(problem, plan, "GM0344:intake")).days >= 28


def test_training_moves_onto_the_morning_of_its_trainers_session_day():
    """De Bilt's training (requested in April) and Utrecht's session (afternoon of 5 April
    only, with R1, the one session trainer): stage 2, without its own trainings before a
    session (``tests/test_later.py``), puts the training on 20 April, the re-planning round
    before the session on 5 April."""
    problem = training_near_a_session(("13:00", "17:00"), ("09:00", "12:30"))
    apart = LaterSettings(training_before_session=False)
    plan = solved_valid(problem, settings=SolveSettings(later=apart))
    assert day_of(problem, plan, "GM0310:training") == date(2023, 4, 5)
    assert plan.appointment("GM0310:training").people == ("R1",)
    unhosted = solved_valid(problem, settings=dataclasses.replace(WITHOUT_HOSTING, later=apart))
    assert day_of(problem, unhosted, "GM0310:training") == date(2023, 4, 20)
    assert plan.travel_min < unhosted.travel_min


def test_no_hosted_column_on_a_day_that_is_already_full():
    problem = _intake_near_a_session()
    from optimizer.solve.dayroutes import build_instance
    from optimizer.solve.slots import Calendar, start_ranges

    cal = Calendar.of(problem)
    intake = problem.visits["GM0355:intake"]
    inst = build_instance(problem, [intake], [start_ranges(problem, intake, cal)], ["T1"], {}, cal)
    day = (date(2023, 4, 5) - problem.horizon_start).days
    start = at(problem, "2023-04-05", "19:00")
    host = HostDay("T1", day, "GM0344", start, 1, start + 180)
    assert len(hosted_columns(inst, [host], {})) == 1
    full = dataclasses.replace(host, n_visits=problem.rules.max_visits_per_day)
    assert hosted_columns(inst, [full], {}) == []
    closed = {"GM0355": (day + 1, day + 100)}
    assert hosted_columns(inst, [host], closed) == []


def test_latest_start_picks_the_last_moment_before_the_limit():
    assert latest_start([(100, 200), (300, 400)], 350) == 350
    assert latest_start([(100, 200), (300, 400)], 250) == 200
    assert latest_start([(100, 200)], 50) is None


def test_intake_routes_are_enumerated_again_inside_the_lag_windows():
    """Stage 1 offers Utrecht + Zeist on two days spread over two years (days 10 and 382);
    with a session placed, the intakes must fall in days 200-240: none of the stage-1 routes
    does, the routes enumerated again do, and none uses a taken person-day."""
    problem = tiny_problem(orgs=["GM0344", "GM0355"], people=["T1", "R2"], trainings={})
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    inst = intake_instance(problem, cal, todo, ranges, {})
    first = enumerate_routes(inst, EnumerationSettings())
    windows = {"GM0344": (200, 240), "GM0355": (200, 240)}
    taken = {("T1", day) for day in range(200, 220)}
    assert within_windows(first, {v.id: v.org for v in inst.visits}, windows, taken) == []
    again = routes_in_windows(inst, windows, taken, EnumerationSettings())
    assert {col.visits for col in again} == {
        ("GM0344:intake",),
        ("GM0355:intake",),
        ("GM0344:intake", "GM0355:intake"),
    }
    for col in again:
        assert 220 <= col.day <= 240 and cal.working[col.day]
        assert col.person == "T1"


def test_the_round_enumerates_intake_routes_again_only_when_it_has_the_time(monkeypatch):
    """In a 20 s plan the round has far less than ``reenumerate_from_s`` (30 s) and skips the
    enumeration; with the threshold at 0 it runs it."""
    calls: list[int] = []
    real = solve_module.routes_in_windows

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "routes_in_windows", spy)
    problem = _intake_near_a_session()
    solved_valid(problem)
    assert calls == []
    eager = SolveSettings(hosting=dataclasses.replace(HostingSettings(), reenumerate_from_s=0.0))
    solved_valid(problem, settings=eager)
    assert calls == [1]


def test_a_round_that_leaves_out_an_intake_stage_1_planned_is_dropped(monkeypatch):
    """Should the round's MIP leave out an intake that stage 1 planned while its session stays
    placed (Utrecht's here), the plan of the stages before the round is kept: a plan with a
    session but without its intake breaks a rule (a nightly re-plan did this, session 14)."""
    problem = _intake_near_a_session()
    real = solve_module.solve_intakes
    rounds = []

    def losing_an_intake(visits, columns, **options):
        result = real(visits, columns, **options)
        if not options.get("start_first"):
            return result  # stage 1
        rounds.append(result)
        chosen = [c for c in result.chosen if c.visits != ("GM0344:intake",)]
        assert len(chosen) == len(result.chosen) - 1
        return dataclasses.replace(
            result, chosen=chosen, unplanned=[*result.unplanned, "GM0344:intake"]
        )

    monkeypatch.setattr(solve_module, "solve_intakes", losing_an_intake)
    plan = solved_valid(problem)
    assert rounds
    assert day_of(problem, plan, "GM0344:intake") == date(2023, 3, 1)
    assert day_of(problem, plan, "GM0355:intake") == date(2023, 3, 2)  # stage 1's, not hosted
