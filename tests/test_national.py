"""The planner on the national example (354 organisations, the accepted sessions, the requested
trainings, real boundaries and calendars): complete, valid, within the default time limit and
4 GB. Slow (about two minutes): it is what the product is for."""

from __future__ import annotations

import resource
import time

import pytest

from optimizer.data.example import generate_example, write_example
from optimizer.data.organisations import load_organisations
from optimizer.data.problem import build_problem
from optimizer.domain import Stage
from optimizer.plan.validate import validate
from optimizer.solve.bounds import attachment_bound
from optimizer.solve.solve import solve

DEFAULT_TIME_LIMIT = 60.0
"""The CLI's default for `optimizer demo` (seconds)."""


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    write_example(generate_example(load_organisations(), seed=7), folder)
    return build_problem(folder / "scenario.toml")


@pytest.fixture(scope="module")
def timed_plan(national):
    """The planner's plan at the default time limit, and its wall-clock seconds."""
    began = time.perf_counter()
    plan = solve(national, time_limit=DEFAULT_TIME_LIMIT, seed=0)
    return plan, time.perf_counter() - began


@pytest.mark.slow
def test_national_example_is_planned_completely_and_validly_within_the_time_limit(
    national, timed_plan
):
    assert len(national.organisations) == 354
    stages = {s: sum(v.stage is s for v in national.visits.values()) for s in Stage}
    assert stages[Stage.INTAKE] == 354 and stages[Stage.SESSION] > 200
    plan, wall = timed_plan
    assert validate(national, plan) == []
    assert plan.unplanned == (), [u.reason for u in plan.unplanned[:5]]
    assert len(plan.appointments) == len(national.visits)
    assert wall < DEFAULT_TIME_LIMIT * 1.5
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    assert peak_gb < 4.0
    assert attachment_bound(national) <= plan.travel_min
    last = max(
        national.axis.date_of(a.start) for a in plan.appointments if a.stage is not Stage.TRAINING
    )
    assert last <= national.rules.deadline


@pytest.fixture(scope="module")
def greedy(national):
    return solve(national, time_limit=DEFAULT_TIME_LIMIT, seed=0, method="greedy")


@pytest.mark.slow
def test_greedy_baseline_on_the_national_example_is_valid_and_dearer(national, greedy):
    assert validate(national, greedy) == []
    assert greedy.travel_min > attachment_bound(national)


@pytest.mark.slow
def test_planner_travels_far_less_than_the_greedy_baseline_and_shares_days(
    national, greedy, timed_plan
):
    """Measured 27-29 % less on a loaded machine (docs/benchmarks.md); 15 % is the floor a
    regression must not cross. Some team members' days carry intakes before a session."""
    plan, _ = timed_plan
    assert plan.travel_min <= 0.85 * greedy.travel_min
    assert plan.stats.details["mixed_days"] > 10
