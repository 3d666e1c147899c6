"""The full-problem lower bounds (column generation on the day-free and on the day-indexed route
relaxations): below every valid plan (a brute-force optimum, the planner's and the greedy plans),
above the per-visit attachment bound, and reacting to the rules that make plans dearer (leave,
impossible visits, one route per person-day)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import numpy as np
import pytest

from optimizer.domain import OrgCalendar
from optimizer.plan.validate import validate
from optimizer.solve import objective
from optimizer.solve.bounds import attachment_bound
from optimizer.solve.lowerbound import full_problem_bound
from optimizer.solve.solve import solve
from tests.factories import tiny_problem, with_person
from tests.test_solver import brute_force_optimum, with_available


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


def _route_travel(problem, person: str, stops: tuple[str, ...]) -> int:
    """Least travel of one day route home -> stops -> home over every order."""
    home = f"base:{person}"
    return min(
        sum(problem.travel.min(a, b) for a, b in itertools.pairwise([home, *order, home]))
        for order in itertools.permutations(stops)
    )


def test_day_bound_keeps_one_route_per_day_where_the_day_free_bound_does_not():
    utrecht = ["GM0344", "GM0307", "GM0355", "GM0310"]
    problem = tiny_problem(orgs=[*utrecht, "GM0014"], people=["T1"], sessions=(), trainings={})
    tuesday, wednesday = 35, 36  # 7 and 8 February 2023

    def only(day: int) -> OrgCalendar:
        return OrgCalendar(available=((day * 1440, day * 1440 + 1440),))

    calendars = {c: only(tuesday) for c in utrecht} | {"GM0014": only(wednesday)}
    problem = dataclasses.replace(problem, org_calendars=calendars)
    # four intakes on one day, at most three a day: one is left; Groningen goes on Wednesday
    optimum = (
        objective.UNPLANNED_REQUIRED
        + min(_route_travel(problem, "T1", s) for s in itertools.combinations(utrecht, 3))
        + _route_travel(problem, "T1", ("GM0014",))
    )
    free = full_problem_bound(problem, relaxation="free")
    day = full_problem_bound(problem, relaxation="day", time_limit=60)
    assert day.lp_optimal
    assert free.bound < objective.UNPLANNED_REQUIRED  # two "Tuesday" routes in (R)
    assert objective.UNPLANNED_REQUIRED <= day.bound <= optimum + 1e-6


def test_day_bound_lies_between_the_day_free_bound_and_the_brute_force_optimum():
    problem = tiny_problem(
        orgs=["GM0344", "GM0307", "GM0355", "GM0310"], people=["T1"], sessions=(), trainings={}
    )
    free = full_problem_bound(problem)
    day = full_problem_bound(problem, relaxation="day", time_limit=60)
    assert day.lp_optimal
    assert free.bound - 1e-6 <= day.bound <= brute_force_optimum(problem, "T1") + 1e-6
    assert day.travel_bound == pytest.approx(day.bound)


def test_day_bound_of_the_whole_tiny_problem_is_below_the_planners_valid_plan():
    problem = tiny_problem()
    day = full_problem_bound(problem, relaxation="day", time_limit=60)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert day.lp_optimal
    assert full_problem_bound(problem).bound - 1e-6 <= day.bound <= plan.stats.objective + 1e-6


def test_day_bound_respects_leave_and_stays_below_the_plan():
    problem = tiny_problem(sessions=(), trainings={})
    whole = (0, (problem.horizon_end - problem.horizon_start).days * 1440 + 1440)
    away = with_person(problem, "T1", unavailable=(whole,))
    near = full_problem_bound(problem, relaxation="day", time_limit=60)
    far = full_problem_bound(away, relaxation="day", time_limit=60)
    assert far.bound > near.bound + 100
    assert far.bound <= solve(away, time_limit=20).stats.objective + 1e-6


def test_time_limited_day_bound_is_valid_and_unknown_relaxations_are_refused():
    problem = tiny_problem()
    early = full_problem_bound(problem, relaxation="day", time_limit=0)
    full = full_problem_bound(problem, relaxation="day", time_limit=60)
    assert early.bound <= full.bound + 1e-6
    with pytest.raises(ValueError, match="relaxation"):
        full_problem_bound(problem, relaxation="week")


def _lag_rows_hold(problem, plan_days: dict[str, int]) -> bool:
    """Whether the lag rows of ``problem`` (every part possible on every day) hold for a plan
    with each planned visit on the given day index."""
    from optimizer.domain import Role, Stage
    from optimizer.solve.lowerbound import _parts
    from optimizer.solve.lowerbound_lags import lag_rows

    n_days = (problem.horizon_end - problem.horizon_start).days + 1
    parts = [(v.id, r) for v in problem.visits.values() for r in _parts(v)]
    rows = lag_rows(problem, parts, [np.arange(n_days)] * len(parts))
    covered = np.zeros(rows.n_rows)  # the routes' entries: 1 in the coverage row of the day
    z = np.zeros(rows.z.shape[1])
    by_row = rows.z.tocsr()
    for part, (first, days) in rows.cov.items():
        visit_id, role = parts[part]
        assert role is (Role.TRAINER if problem.visits[visit_id].stage is Stage.TRAINING
                        else Role.TEAM)  # fmt: skip
        if visit_id in plan_days:
            covered[first + plan_days[visit_id]] = 1.0
        # z of the part: its coverage up to each day (the coverage rows' only solution)
        z0 = by_row[first].indices[0]  # the first coverage row holds only z of the first day
        z[z0 : z0 + days.size] = np.cumsum(covered[first : first + days.size])
    activity = covered + rows.z @ z
    return bool(np.all(activity >= rows.lower - 1e-9) and np.all(activity <= rows.upper + 1e-9))


def test_lag_rows_hold_for_the_planners_valid_plan_and_not_for_a_session_too_soon():
    from optimizer.domain import Stage, Visit
    from optimizer.timeaxis import day_of

    problem = tiny_problem()
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    days = {a.visit_id: day_of(a.start) for a in plan.appointments}
    assert _lag_rows_hold(problem, days)
    lag = problem.rules.session_lag_min_days
    for session in (a for a in plan.appointments if a.stage is Stage.SESSION):
        intake_id = Visit.make_id(session.org, Stage.INTAKE)
        intake = days[intake_id]
        assert not _lag_rows_hold(problem, days | {session.visit_id: intake + lag - 1})
        late = intake + problem.rules.session_lag_max_days + 1
        assert not _lag_rows_hold(problem, days | {session.visit_id: late})
        assert not _lag_rows_hold(problem, {k: d for k, d in days.items() if k != intake_id})


def test_day_bound_with_lag_rows_is_stronger_and_still_below_the_planners_valid_plan():
    from optimizer.solve.lowerbound_day import day_indexed_bound

    problem = tiny_problem()
    day = day_indexed_bound(problem, time_limit=60)
    lags = day_indexed_bound(problem, time_limit=60, lags=True)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert day.lp_optimal and lags.lp_optimal
    assert day.bound + 0.5 < lags.bound <= plan.stats.objective + 1e-6


@pytest.mark.slow
def test_national_day_bound_is_below_the_planners_plan(shared_data, tmp_path_factory):
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations
    from optimizer.data.problem import build_problem

    folder = tmp_path_factory.mktemp("national-day")
    write_example(generate_example(load_organisations(), seed=7), folder)
    national = build_problem(folder / "scenario.toml")
    from optimizer.solve.lowerbound_day import day_indexed_bound

    plan = solve(national, time_limit=60)
    # the day-free phase gets 54 s (it converges in about 20 s on a quiet machine; with the
    # default quarter of 90 s a loaded run once stopped it short of the day-free optimum)
    day = day_indexed_bound(national, time_limit=90, free_share=0.6)
    assert day.bound <= plan.stats.objective
    free = full_problem_bound(national, time_limit=120)
    assert free.lp_optimal
    assert day.bound >= free.bound - 1e-6


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


def _least_by_enumeration(problem, dp, w: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """The least reduced cost of every route of one person on each day, by enumerating every
    single, pair and triple of its nodes in every order (timing by the module's own check)."""
    from optimizer.solve.lowerbound import _timed

    pn = dp.pn
    n = pn.ids.size
    minutes = problem.travel.minutes.astype(float)
    t = minutes[np.ix_(pn.loc, pn.loc)]
    org = np.array([problem.visits[v].org for v in dp.visit_of])
    least = np.full(dp.days.size, np.inf)
    least = np.minimum(least, (pn.single[:, None] - w - pi[None, :]).min(axis=0))
    a, b = np.nonzero(np.isfinite(pn.pair))
    if a.size:
        least = np.minimum(least, (pn.pair[a, b][:, None] - w[a] - w[b] - pi).min(axis=0))
    a, b, c = (x.ravel() for x in np.meshgrid(*[np.arange(n)] * 3, indexing="ij"))
    ok = (org[a] != org[b]) & (org[b] != org[c]) & (org[a] != org[c])
    a, b, c = a[ok], b[ok], c[ok]
    rules = problem.rules
    ok = _timed(rules, pn.t_out[a], pn.t_back[c], [t[a, b], t[b, c]],
                [pn.lo[a], pn.lo[b], pn.lo[c]], [pn.hi[a], pn.hi[b], pn.hi[c]],
                [pn.dur[a], pn.dur[b], pn.dur[c]])  # fmt: skip
    a, b, c = a[ok], b[ok], c[ok]
    if a.size:
        travel = pn.t_out[a] + t[a, b] + t[b, c] + pn.t_back[c]
        rc = travel[:, None] - w[a] - w[b] - w[c] - pi[None, :]
        least = np.minimum(least, rc.min(axis=0))
    return least


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_day_pricing_never_reports_more_than_the_least_reduced_cost_of_any_route(seed):
    from optimizer.domain import Stage
    from optimizer.solve import lowerbound_day as ld
    from optimizer.solve.lowerbound import free_bound_state

    problem = tiny_problem()
    _, free = free_bound_state(problem, time_limit=10)
    keys: dict = {}
    for node in free.builder.nodes:
        if problem.visits[node.visit].stage is Stage.SESSION:
            keys.setdefault((node.visit, node.slot), len(keys))
    dps = [ld._day_person(problem, i, pn, free, keys, True) for i, pn in enumerate(free.people)]
    master = ld._DayMaster(problem, free, dps, len(keys))
    rng = np.random.default_rng(seed)
    y = master.zero(free.builder.cal.n_days)
    y.part[:] = rng.uniform(0, 200, y.part.size)
    y.sync[:] = rng.normal(0, 60, y.sync.shape)
    for p in range(len(dps)):
        y.pd[p][:] = -rng.uniform(0, 40, y.pd[p].size)
        y.week[p][:] = -rng.uniform(0, 30, y.week[p].size)
    for dp in dps:
        dp.visit_of = [free.builder.nodes[k].visit for k in dp.pn.ids]
        w, pi = dp.weights(y)
        truth = _least_by_enumeration(problem, dp, w, pi)
        for budget in (0, 50, 10**6):
            lower, found = ld._price_person(problem, dp, y, budget)
            assert np.all(np.minimum(lower, 0) <= np.minimum(truth, 0) + 1e-6)
            for f in found:  # every route found is real and priced right
                assert f.reduced >= truth[f.day] - 1e-6
        assert np.allclose(np.minimum(lower, 0), np.minimum(truth, 0))  # exact with the budget


# ------------------------------------------------------------------ integer bound (lowerbound_mip)


def _routes_by_enumeration(problem, pn, w: np.ndarray, mu: float, delta: float) -> dict:
    """Every route of ``pn`` (local node set -> cheapest travel) of reduced cost <= ``delta``,
    by trying every single, pair and triple in every order."""
    from optimizer.solve.lowerbound import _timed

    n = pn.ids.size
    t = problem.travel.minutes.astype(float)[np.ix_(pn.loc, pn.loc)]
    out: dict = {}
    for a in range(n):
        if np.isfinite(pn.single[a]):
            out[frozenset((a,))] = float(pn.single[a])
    for a, b in itertools.permutations(range(n), 2):
        if np.isfinite(pn.pair[a, b]):
            key = frozenset((a, b))
            out[key] = min(out.get(key, np.inf), float(pn.pair[a, b]))
    for a, b, c in itertools.permutations(range(n), 3):
        if not (pn.common[a, b] and pn.common[b, c] and pn.common[a, c]):
            continue
        if not (pn.masks[a] * pn.masks[b] * pn.masks[c]).any():
            continue
        ok = _timed(problem.rules, pn.t_out[a], pn.t_back[c], [t[a, b], t[b, c]],
                    [pn.lo[a], pn.lo[b], pn.lo[c]], [pn.hi[a], pn.hi[b], pn.hi[c]],
                    [pn.dur[a], pn.dur[b], pn.dur[c]])  # fmt: skip
        if ok:
            key = frozenset((a, b, c))
            travel = float(pn.t_out[a] + t[a, b] + t[b, c] + pn.t_back[c])
            out[key] = min(out.get(key, np.inf), travel)
    return {k: v for k, v in out.items() if v - w[list(k)].sum() - mu <= delta}


@pytest.mark.parametrize("seed", [0, 1])
def test_route_enumeration_finds_every_route_below_delta_at_its_cheapest_order(seed):
    from optimizer.solve.lowerbound import free_bound_state
    from optimizer.solve.lowerbound_mip import enumerate_routes

    problem = tiny_problem(orgs=["GM0344", "GM0307", "GM0355", "GM0310"])
    _, free = free_bound_state(problem, time_limit=10)
    rng = np.random.default_rng(seed)
    found = 0
    for pn in free.people:
        w = rng.uniform(0, 120, pn.ids.size)
        mu = -rng.uniform(0, 20)
        for delta in (-50.0, 0.0, 40.0):
            truth = _routes_by_enumeration(problem, pn, w, mu, delta)
            got = enumerate_routes(problem, pn, w, mu, delta)
            assert got.keys() == truth.keys()
            assert all(got[k] == pytest.approx(truth[k]) for k in truth)
            found += sum(len(k) == 3 for k in truth)
    assert found > 0  # triples were among them


def _linked_problem():
    """One team member, one trainer, four sessions around Utrecht: the day-free relaxation
    lets the trainer pair two sessions while the team member covers them in two routes."""
    orgs = ["GM0344", "GM0307", "GM0355", "GM0310"]
    return tiny_problem(orgs=orgs, people=["T1", "R1"], sessions=tuple(orgs), trainings={})


def test_linking_rows_make_the_integer_bound_strictly_stronger_and_below_a_valid_plan():
    from optimizer.solve.lowerbound_mip import mip_bound

    problem = _linked_problem()
    free = full_problem_bound(problem)
    integer = mip_bound(problem, delta=1e9, linking=False, time_limit=60)
    linked = mip_bound(problem, delta=1e9, linking=True, time_limit=60)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert free.bound < integer.bound - 1 < linked.bound - 2
    assert linked.bound <= plan.stats.objective + 1e-6
    assert linked.history[-1]["linking_rows"] > 0


def test_integer_bound_with_a_small_delta_lies_between_the_lp_and_lp_plus_delta():
    from optimizer.solve.lowerbound_mip import mip_bound

    problem = _linked_problem()
    free = full_problem_bound(problem)
    small = mip_bound(problem, delta=2.0, time_limit=60)
    capped = mip_bound(problem, delta=1e9, max_routes=5, time_limit=60)
    assert free.bound - 1e-6 <= small.bound <= free.bound + 2.0 + 1e-6
    assert (
        free.bound - 1e-6
        <= capped.bound
        <= capped.history[-1]["lagrange"] + (capped.history[-1]["delta"] + 1e-6)
    )
    assert full_problem_bound(problem, relaxation="mip").bound >= free.bound - 1e-6


def test_integer_bound_of_the_whole_tiny_problem_is_below_the_planners_valid_plan():
    from optimizer.solve.lowerbound_mip import mip_bound

    problem = tiny_problem()
    bound = mip_bound(problem, delta=1e9, time_limit=60)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert full_problem_bound(problem).bound - 1e-6 <= bound.bound <= plan.stats.objective + 1e-6


def test_separate_days_bound_holds_for_a_plan_that_keeps_stages_apart_not_for_one_that_mixes():
    """Zeist's intake fits before Utrecht's evening session (tests/test_hosted.py): the plan
    that hosts it travels less than relaxation ``separate`` allows; the plan without the
    re-planning round keeps every day to one stage and stays above it; ``separate`` never
    lies below the day-free bound."""
    from tests.test_hosted import WITHOUT_HOSTING, _intake_near_a_session

    problem = _intake_near_a_session()
    free = full_problem_bound(problem, time_limit=60)
    separate = full_problem_bound(problem, relaxation="separate", time_limit=60)
    assert separate.lp_optimal and "separate days" in separate.relaxation
    assert free.bound <= separate.bound + 1e-6
    mixed = solve(problem, time_limit=20)
    apart = solve(problem, time_limit=20, settings=WITHOUT_HOSTING)
    assert validate(problem, mixed) == [] and validate(problem, apart) == []
    stages = [{problem.visits[v].stage for v in r.visits} for r in mixed.routes]
    assert any(len(s) > 1 for s in stages)
    assert all(len({problem.visits[v].stage for v in r.visits}) == 1 for r in apart.routes)
    assert mixed.stats.objective < separate.bound <= apart.stats.objective + 1e-6


def test_an_intake_day_no_one_can_reach_in_time_does_not_open_the_training_window():
    """Utrecht's mayor is free on 3 January 2023 only from 09:00 to 09:30 (a start before
    09:30; T2 leaves Groningen at 08:30 and arrives about two hours later) and from 1 March.
    Its training must be in February (the council is free on 1 and 20 February), so it needs
    the January intake and a session on 1 February: no plan has them. The
    bound counts the training as unplanned (the intake's first day is the first one someone
    can reach, not the first one the mayor is free), and stays below the planner's plan."""
    problem = tiny_problem(
        orgs=["GM0344"],
        people=["T2", "R1"],
        sessions=("GM0344",),
        trainings={"GM0344": (date(2023, 2, 1), date(2023, 2, 28))},
    )
    problem = with_available(
        problem, "GM0344", ("2023-01-03", "09:00", "11:00"), ("2023-03-01", "09:00", "17:00"),
        ("2023-02-01", "09:00", "17:00"), ("2023-02-20", "09:00", "17:00"),
        ("2023-04-03", "13:00", "17:00"),
    )  # fmt: skip
    result = full_problem_bound(problem, time_limit=60)
    plan = solve(problem, time_limit=20)
    assert validate(problem, plan) == []
    assert [u.visit_id for u in plan.unplanned] == ["GM0344:training"]
    assert result.unplanned_lp == pytest.approx(1.0)
    assert objective.UNPLANNED_OPTIONAL < result.bound <= plan.stats.objective + 1e-6
