"""The intake master on the tight national variant (3 team members from June 2023): the greedy
start leaves 7 intakes unplanned, the LP relaxation about one; LP diving brings a plan that
plans as many intakes as the LP does, close to the LP bound, and the neighbourhood search takes
that plan within about 1 % of the bound. Slow: it builds the national scenario and enumerates
its 40,000 routes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import national
from optimizer.data.problem import build_problem
from optimizer.domain import Appointment, Stage, Visit
from optimizer.solve import objective
from optimizer.solve.dayroutes import EnumerationSettings, RouteColumn, enumerate_routes
from optimizer.solve.greedy import greedy_intakes
from optimizer.solve.intakes import _full_model, _warm_start, column_cost
from optimizer.solve.reserve import session_reservations
from optimizer.solve.session_days import evening_rows
from optimizer.solve.slots import Calendar, start_ranges
from optimizer.solve.solve import _pinned_days, intake_instance, late_columns


@pytest.fixture(scope="module")
def tight_problem(shared_data, tmp_path_factory):
    """The tight variant, its visits' start ranges and its reserved session days."""
    folder = tmp_path_factory.mktemp("tight")
    problem = build_problem(
        national.variant_scenario(national.write_example_scenario(folder), "tight")
    )
    cal = Calendar.of(problem)
    todo = list(problem.visits.values())
    ranges = {v.id: start_ranges(problem, v, cal) for v in todo}
    reserved = session_reservations(problem, ranges, todo, _pinned_days(problem))
    return problem, cal, todo, ranges, reserved


@pytest.mark.slow
def test_enschedes_session_keeps_the_last_day_t3_can_give_it_before_its_recess(tight_problem):
    """Enschede's training must be by 11 August 2023 (day 71), so its session by day 57;
    its council's recess starts after day 50, no team member can make days 46-50 with a
    session trainer, and only T3 its days 40-43. The planner keeps T3's day 43 free of
    intakes. Six sessions of the tight variant have so few days (3-17 team-member days
    each); every other has more than 40."""
    problem, _, _, _, reserved = tight_problem
    by_org = {r.org: (r.person, r.day) for r in reserved}
    assert by_org["GM0153"] == ("T3", 43)
    assert len(reserved) == 6
    assert len({(r.person, r.day) for r in reserved}) == len(reserved)


@pytest.fixture(scope="module")
def tight_master(tight_problem):
    """The tight variant's intake master (all enumerated routes, as the planner builds it)
    and the greedy routes."""
    problem, cal, todo, ranges, reserved = tight_problem
    inst = intake_instance(problem, cal, todo, ranges, _pinned_days(problem), reserved)
    greedy = greedy_intakes(inst)
    known = set()
    columns = []
    routes = [*enumerate_routes(inst, EnumerationSettings()), *late_columns(inst)]
    for col in [*routes, *greedy.chosen]:
        if (col.person, col.day, col.visits) not in known:
            known.add((col.person, col.day, col.visits))
            columns.append(col)
    costs = [column_cost(c, {}) for c in columns]
    evenings = evening_rows(problem, cal, {})
    mip, slack, _, rows = _full_model(inst.visits, columns, costs, evenings)
    assert all(v.stage is Stage.INTAKE for v in inst.visits)
    return mip, slack, greedy, rows


@pytest.mark.slow
def test_lp_dive_plans_as_many_tight_intakes_as_the_lp_and_stays_near_its_bound(tight_master):
    mip, slack, greedy, _ = tight_master
    h = mip._solved_lp(300)
    lp_bound = h.getInfo().objective_function_value
    lp_unplanned = sum(h.getSolution().col_value[var] for var in slack.values())
    plan = mip.dive(h, time_limit=300)
    assert plan is not None
    unplanned = int(round(sum(plan[var] for var in slack.values())))
    assert len(greedy.unplanned) > unplanned + 3
    assert unplanned == math.ceil(lp_unplanned - 1e-6)
    penalty = unplanned * objective.UNPLANNED_REQUIRED
    travel, travel_bound = float(np.dot(mip.cost, plan)) - penalty, lp_bound - penalty
    assert travel_bound <= travel < 1.06 * travel_bound


def _travel_and_bound(mip, slack, plan, lp_bound):
    """Travel of ``plan`` and the LP bound in travel terms (both less the plan's penalties)."""
    penalty = sum(mip.cost[var] for var in slack.values() if plan[var] > 0.5)
    return float(np.dot(mip.cost, plan)) - penalty, lp_bound - penalty


@pytest.mark.slow
def test_neighbourhood_search_takes_the_tight_dive_plan_within_one_and_a_half_percent_of_the_bound(
    tight_master,
):
    """Measured (session 5): 2.6 % above the bound after the dive; after the search 0.93 % in
    8 s (seed 0; 0.83-1.07 % over seeds 0-2) and 0.79 % in 20 s (HiGHS's own search from the
    dive plan: 1.8 % after 90 s). Since session 7 the intakes whose training window closes
    early are cut to the few days that leave it room (Druten: one day), and Enschede's needs
    an evening (the late columns): 1.3 % in 15 s, 1.1 % in 30 s. The HiGHS runs after the
    search prove the stage's gap in the planner (docs/benchmarks.md)."""
    mip, slack, _, rows = tight_master
    h = mip._solved_lp(300)
    lp_bound = h.getInfo().objective_function_value
    dive = mip.dive(h, time_limit=300)
    plan = mip.neighbourhood_search(dive, rows, time_limit=15, seed=0)
    assert mip._feasible(plan)
    dive_travel, bound = _travel_and_bound(mip, slack, dive, lp_bound)
    travel, bound_after = _travel_and_bound(mip, slack, plan, lp_bound)
    assert bound_after == bound
    assert travel < dive_travel - 100
    assert travel <= 1.015 * bound


def test_a_start_taken_first_keeps_its_routes_where_the_previous_plan_holds_their_days():
    """The previous plan had intake a on T1's day 3; the start moves a to day 4 and puts b on
    day 3. Taken after the previous plan's route, the start loses b's route (its person-day is
    held); taken first, it is whole."""
    a_before = RouteColumn("T1", 3, ("a",), (3 * 1440 + 600,), 30, 30_000)
    b_moved_in = RouteColumn("T1", 3, ("b",), (3 * 1440 + 600,), 40, 40_000)
    a_moved = RouteColumn("T1", 4, ("a",), (4 * 1440 + 600,), 30, 30_000)
    columns = [a_before, b_moved_in, a_moved]
    visits = [Visit(id=v, org=v, stage=Stage.INTAKE, duration_min=90) for v in ("a", "b")]
    slack = {"a": 3, "b": 4}
    previous = {"a": Appointment("a", "a", Stage.INTAKE, ("T1",), 3 * 1440 + 600, 3 * 1440 + 690)}
    start = [a_moved, b_moved_in]
    after = _warm_start(columns, visits, slack, previous, start, 5)
    first = _warm_start(columns, visits, slack, previous, start, 5, start_first=True)
    assert after.tolist() == [1, 0, 0, 0, 1]  # b left out
    assert first.tolist() == [0, 1, 1, 0, 0]
