"""The full-problem lower bound (column generation on the day-free route relaxation): below
every valid plan (a brute-force optimum, the planner's and the greedy plans), above the per-visit
attachment bound, and reacting to the rules that make plans dearer (leave, impossible visits)."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer.domain import OrgCalendar
from optimizer.plan.validate import validate
from optimizer.solve import objective
from optimizer.solve.bounds import attachment_bound
from optimizer.solve.lowerbound import full_problem_bound
from optimizer.solve.solve import solve
from tests.factories import tiny_problem, with_person
from tests.test_solver import brute_force_optimum


def test_bound_lies_between_the_attachment_bound_and_the_brute_force_optimum():
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", "GM0355", "GM0310"], people=["T1"], sessions=(), trainings={}
    )
    result = full_problem_bound(problem, time_limit=60)
    assert result.lp_optimal
    assert attachment_bound(problem) < result.bound <= brute_force_optimum(problem, "T1") + 1e-6
    assert result.travel_bound == pytest.approx(result.bound)


def test_bound_of_the_whole_tiny_problem_is_below_the_planners_valid_plan():
    problem = tiny_problem()
    result = full_problem_bound(problem, time_limit=60)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert result.lp_optimal and result.unplanned_lp == pytest.approx(0.0)
    assert attachment_bound(problem) < result.bound <= plan.stats.objective + 1e-6


def test_nearby_team_member_on_leave_raises_the_bound():
    problem = tiny_problem(sessions=(), trainings={})
    whole = (0, (problem.horizon_end - problem.horizon_start).days * 1440 + 1440)
    away = with_person(problem, "T1", unavailable=(whole,))
    near, far = full_problem_bound(problem), full_problem_bound(away)
    plan = solve(away, time_limit=20)
    assert far.bound > near.bound + 100  # everything from Groningen
    assert far.bound <= plan.stats.objective + 1e-6


def test_visit_without_any_possible_moment_costs_its_penalty_with_its_later_stages():
    problem = tiny_problem()
    closed = {"GM0344": OrgCalendar(available=())}  # Utrecht: intake, session, training
    result = full_problem_bound(dataclasses.replace(problem, org_calendars=closed))
    # the intake and the session are required, the training optional
    least = 2 * objective.UNPLANNED_REQUIRED + objective.UNPLANNED_OPTIONAL
    assert result.bound >= least
    assert result.unplanned_lp == pytest.approx(3.0)
    assert result.travel_bound is None
    assert result.travel_bound_given(least) <= full_problem_bound(problem).bound


def test_time_limited_run_stops_early_with_a_weaker_but_valid_bound():
    problem = tiny_problem()
    early = full_problem_bound(problem, time_limit=0)
    full = full_problem_bound(problem, time_limit=60)
    assert early.iterations == 1 and not early.lp_optimal
    assert early.bound <= full.bound + 1e-6


@pytest.mark.slow
def test_national_bound_is_below_the_greedy_plan_and_far_above_the_attachment_bound(
    shared_data, tmp_path_factory
):
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations
    from optimizer.data.problem import build_problem

    folder = tmp_path_factory.mktemp("national")
    write_example(generate_example(load_organisations(), seed=7), folder)
    national = build_problem(folder / "scenario.toml")
    result = full_problem_bound(national, time_limit=300)
    greedy = solve(national, method="greedy")
    assert result.bound <= greedy.stats.objective
    assert result.bound > 2 * attachment_bound(national)
