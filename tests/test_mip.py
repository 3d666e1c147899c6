"""The HiGHS wrapper (``optimizer.solve.mip.SparseMip``): a warm start never hides a better plan;
LP diving turns a fractional LP into a plan."""

from __future__ import annotations

import numpy as np

import optimizer.solve.mip as mip_module
from optimizer.solve.mip import SparseMip


def _replan_model() -> SparseMip:
    """The re-planning master of a tiny case (tests/test_hosted.py): intakes a and b, columns a
    alone, b alone, a+b (all one person-day), b on another day; a training on its own day (36)
    or hosted on a session day (1); unplanned at 100,000 / 5,000."""
    mip = SparseMip()
    for cost in (16.000058, 5.8e-05, 16.000058, 9.3e-05, 36.000108, 1.000093):
        mip.add_var(cost)
    slack_a, slack_b, slack_t = mip.add_var(1e5), mip.add_var(1e5), mip.add_var(5e3)
    mip.add_row([(0, 1.0), (2, 1.0), (slack_a, 1.0)], lb=1, ub=1)
    mip.add_row([(1, 1.0), (2, 1.0), (3, 1.0), (slack_b, 1.0)], lb=1, ub=1)
    mip.add_row([(4, 1.0), (5, 1.0), (slack_t, 1.0)], lb=1, ub=1)
    mip.add_row([(0, 1.0), (1, 1.0), (2, 1.0)], ub=1)
    return mip


def test_a_worse_warm_start_is_not_returned_as_the_optimum():
    """HiGHS 1.16 reports the optimum (17) but hands back the starting values (52) here."""
    mip = _replan_model()
    start = np.zeros(mip.n_vars)
    start[[2, 4]] = 1.0
    result = mip.solve(time_limit=10, start=start)
    assert abs(result.objective - 17.000151) < 1e-6
    assert result.values[5] > 0.5 and result.values[4] < 0.5
    assert result.bound <= result.objective + 1e-6


def test_without_the_lp_in_time_the_mip_runs_on_the_cheapest_columns_and_claims_no_bound(
    monkeypatch,
):
    mip = _replan_model()
    monkeypatch.setattr(SparseMip, "_solved_lp", lambda self, time_limit: None)
    result = mip.solve(time_limit=10, keep=2, protect=[6, 7, 8], groups=[[0, 2], [1, 3], [4, 5]])
    assert result.feasible
    assert abs(result.objective - 17.000151) < 1e-6
    assert result.bound == float("-inf")


def _odd_cycle_model() -> SparseMip:
    """Set partitioning of {a, b, c} by the pairs ab, bc, ca (cost 1 each) and the singles
    (cost 1.5 each): the LP takes every pair at 1/2 (1.5); a plan needs a pair and a single
    (2.5) or three singles (4.5)."""
    mip = SparseMip()
    pairs = [mip.add_var(1.0) for _ in range(3)]
    singles = [mip.add_var(1.5) for _ in range(3)]
    for element, (p, q) in enumerate([(0, 2), (0, 1), (1, 2)]):
        mip.add_row([(pairs[p], 1.0), (pairs[q], 1.0), (singles[element], 1.0)], lb=1, ub=1)
    return mip


def _covers_every_row_once(mip: SparseMip, values: np.ndarray) -> bool:
    rows = np.zeros(len(mip.row_lb))
    for row, var, coef in mip.entries:
        rows[row] += coef * values[var]
    return bool(np.all(rows >= np.asarray(mip.row_lb) - 1e-9))


def test_lp_dive_turns_a_fractional_lp_into_an_integral_plan():
    mip = _odd_cycle_model()
    h = mip._solved_lp(10)
    assert abs(h.getInfo().objective_function_value - 1.5) < 1e-9
    plan = mip.dive(h, time_limit=10)
    assert plan is not None
    assert set(np.unique(plan)) <= {0.0, 1.0}
    assert _covers_every_row_once(mip, plan)
    assert abs(np.dot(mip.cost, plan) - 2.5) < 1e-9


def _record_starts(monkeypatch, method: str = "_run", position: int = 1) -> list[float]:
    """The objective of the start each call of ``SparseMip.<method>`` is given (its
    ``position``-th argument after the model): by default each MIP run of ``SparseMip.solve``."""
    starts: list[float] = []
    real = getattr(SparseMip, method)

    def spy(self, *args, **kwargs):
        starts.append(float(np.dot(self.cost, args[position])))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SparseMip, method, spy)
    return starts


def _batch_trap_model() -> SparseMip:
    """Set partitioning of five elements (found by a random search): the LP is fractional and
    its two largest fractional columns that share no row cannot both be in a plan."""
    mip = SparseMip()
    columns = [
        ((4,), 2.4),
        ((0, 1), 3.2),
        ((0, 4), 3.2),
        ((1, 3), 4.8),
        ((2, 3), 8.0),
        ((0, 2, 3), 7.2),
        ((1, 2, 3), 7.2),
        ((1, 2, 4), 2.4),
    ]
    variables = [mip.add_var(cost) for _, cost in columns]
    for element in range(5):
        members = [
            v for v, (covered, _) in zip(variables, columns, strict=True) if element in covered
        ]
        mip.add_row([(v, 1.0) for v in members], lb=1, ub=1)
    return mip


def test_a_dive_batch_that_makes_the_lp_infeasible_keeps_only_its_largest_column(monkeypatch):
    monkeypatch.setattr("optimizer.solve.mip.DIVE_BATCH", 2)
    undone: list[int] = []
    real = SparseMip._bounds

    def spy(self, columns):
        undone.extend(columns.tolist())
        return real(self, columns)

    monkeypatch.setattr(SparseMip, "_bounds", spy)
    mip = _batch_trap_model()
    plan = mip.dive(mip._solved_lp(10), time_limit=10)
    assert len(undone) == 1
    assert plan is not None and _covers_every_row_once(mip, plan)
    assert set(np.unique(plan)) <= {0.0, 1.0}


def test_a_cheaper_dive_plan_replaces_the_warm_start(monkeypatch):
    """Start: the three singles (4.5); the MIP runs start from the dive's plan (2.5)."""
    mip = _odd_cycle_model()
    starts = _record_starts(monkeypatch)
    start = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    result = mip.solve(time_limit=10, start=start, keep=2, dive=0.5)
    assert starts[0] == 2.5
    assert abs(result.objective - 2.5) < 1e-9
    assert _covers_every_row_once(mip, result.values)


def test_without_a_dive_the_warm_start_is_kept(monkeypatch):
    mip = _odd_cycle_model()
    starts = _record_starts(monkeypatch)
    mip.solve(time_limit=10, start=np.array([0, 0, 0, 1, 1, 1], dtype=float), keep=2)
    assert starts[0] == 4.5


def test_no_dive_when_the_warm_start_is_within_the_margin_of_the_lp_bound(monkeypatch):
    mip = _odd_cycle_model()
    starts = _record_starts(monkeypatch)
    start = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    mip.solve(time_limit=10, start=start, keep=2, dive=0.5, dive_margin=5.0)
    assert starts[0] == 4.5


def _chain_model(n: int = 30, seed: int = 3) -> tuple[SparseMip, list[int], np.ndarray]:
    """Set partitioning of a chain of ``n`` elements by runs of 1-3 neighbours (singles cost
    10, longer runs random costs below the sum of their singles); the rows, and the plan of
    all singles."""
    rng = np.random.default_rng(seed)
    mip = SparseMip()
    members: list[list[int]] = [[] for _ in range(n)]
    singles = []
    for first in range(n):
        for length in (1, 2, 3):
            if first + length > n:
                continue
            cost = 10.0 if length == 1 else float(rng.uniform(6, 10) * length)
            var = mip.add_var(cost)
            if length == 1:
                singles.append(var)
            for element in range(first, first + length):
                members[element].append(var)
    rows = [mip.add_row([(v, 1.0) for v in vs], lb=1, ub=1) for vs in members]
    start = np.zeros(mip.n_vars)
    start[singles] = 1.0
    return mip, rows, start


def test_neighbourhood_search_reaches_the_optimum_once_its_neighbourhoods_span_the_model(
    monkeypatch,
):
    """Tiny neighbourhoods first (3 free columns), widened after 3 idle rounds up to the whole
    model: the search ends at the optimum HiGHS proves on the full model."""
    mip, rows, start = _chain_model()
    monkeypatch.setattr("optimizer.solve.mip.LNS_COLUMNS", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_PATIENCE", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_MAX_COLUMNS", mip.n_vars)
    plan = mip.neighbourhood_search(start, rows, time_limit=60, seed=1)
    optimum = mip.solve(time_limit=60).objective
    assert float(np.dot(mip.cost, plan)) < float(np.dot(mip.cost, start)) - 10
    assert abs(float(np.dot(mip.cost, plan)) - optimum) < 1e-6
    assert _covers_every_row_once(mip, plan)


def test_neighbourhood_search_leaves_columns_outside_its_rows_alone():
    """Two columns of a row the search is not given: the dearer one, set in the plan, stays."""
    mip, rows, start = _chain_model(n=6)
    dear, cheap = mip.add_var(5.0), mip.add_var(1.0)
    mip.add_row([(dear, 1.0), (cheap, 1.0)], lb=1, ub=1)
    start = np.append(start, [1.0, 0.0])
    plan = mip.neighbourhood_search(start, rows, time_limit=10)
    assert plan[dear] == 1.0 and plan[cheap] == 0.0
    assert float(np.dot(mip.cost, plan)) < float(np.dot(mip.cost, start))


def test_the_neighbourhood_search_starts_from_the_dive_plan(monkeypatch):
    mip = _odd_cycle_model()
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    start = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    mip.solve(time_limit=10, start=start, keep=2, dive=0.5, lns=0.5, lns_rows=[0, 1, 2])
    assert searched[0] == 2.5


def test_no_neighbourhood_search_without_a_dive(monkeypatch):
    mip = _odd_cycle_model()
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    start = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    mip.solve(
        time_limit=10, start=start, keep=2, dive=0.5, dive_margin=5.0, lns=0.5, lns_rows=[0, 1, 2]
    )
    assert searched == []


def test_with_little_time_after_the_lp_a_complete_start_is_searched_before_highs_runs(
    monkeypatch,
):
    """A start that needs no dive (all singles, 300) and at most ``search_first_within``
    seconds left after the LP: the search improves it first and HiGHS's first run starts
    from the searched plan; with more time left HiGHS starts from the start itself."""
    mip, rows, start = _chain_model()
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    runs = _record_starts(monkeypatch)
    common = dict(start=start, keep=20, lns=0.5, lns_rows=rows)
    mip.solve(time_limit=10, search_first_within=60, **common)
    assert searched[0] == 300.0 and runs[0] < 300.0 - 10
    searched.clear()
    runs.clear()
    mip.solve(time_limit=10, search_first_within=5, **common)
    assert searched == [] and runs[0] == 300.0


def test_with_little_time_a_cold_start_far_above_the_lp_bound_is_replaced_by_the_dive_plan(
    monkeypatch,
):
    """Three singles (4.5) against an LP bound of 1.5, within the dive margin (5): with more
    time than ``search_first_within`` no dive runs; with less, the dive's plan (2.5) replaces
    the start before the search. A start within ``SHORT_DIVE_GAP`` of the bound is searched
    as it is."""
    mip = _odd_cycle_model()
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    start = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    common = dict(start=start, keep=2, dive=0.5, dive_margin=5.0, lns=0.5, lns_rows=[0, 1, 2])
    mip.solve(time_limit=10, search_first_within=5, **common)
    assert searched == []
    mip.solve(time_limit=10, search_first_within=60, **common)
    assert searched == [2.5]
    searched.clear()
    monkeypatch.setattr(mip_module, "SHORT_DIVE_GAP", 5.0)
    mip.solve(time_limit=10, search_first_within=60, **common)
    assert searched == [4.5]


def _count_neighbourhood_runs(monkeypatch) -> list[float]:
    """The time limit of every HiGHS run of a neighbourhood (``mip.run_for``), as they come."""
    runs: list[float] = []
    real = mip_module.run_for

    def counting(h, seconds):
        runs.append(seconds)
        real(h, seconds)

    monkeypatch.setattr(mip_module, "run_for", counting)
    return runs


def test_neighbourhood_search_stops_once_a_neighbourhood_spanning_the_model_is_solved(
    monkeypatch,
):
    """A small model fits in the first neighbourhood: one exact solve, then the plan is
    optimal and the search ends instead of trying further neighbourhoods until its time."""
    mip, rows, start = _chain_model(n=8)
    runs = _count_neighbourhood_runs(monkeypatch)
    plan = mip.neighbourhood_search(start, rows, time_limit=60)
    assert len(runs) == 1
    assert abs(float(np.dot(mip.cost, plan)) - mip.solve(time_limit=60).objective) < 1e-6


def test_neighbourhood_search_stops_once_its_plan_is_good_enough(monkeypatch):
    """Tiny neighbourhoods that never span the model (so only ``enough`` can stop it early):
    with the optimum as ``enough`` the search ends when it gets there, not at its 60 s."""
    mip, rows, start = _chain_model()
    optimum = mip.solve(time_limit=60).objective
    monkeypatch.setattr("optimizer.solve.mip.LNS_COLUMNS", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_PATIENCE", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_MAX_COLUMNS", mip.n_vars)
    runs = _count_neighbourhood_runs(monkeypatch)
    assert mip.neighbourhood_search(start, rows, time_limit=60, enough=300.0) is not None
    assert runs == []  # the start is good enough already
    plan = mip.neighbourhood_search(start, rows, time_limit=60, seed=1, enough=optimum + 1e-6)
    assert abs(float(np.dot(mip.cost, plan)) - optimum) < 1e-6
    searched = len(runs)
    runs.clear()
    mip.neighbourhood_search(start, rows, time_limit=5, seed=1)
    assert len(runs) > searched  # without ``enough`` it goes on until its time


def test_a_run_ending_worse_than_the_start_never_replaces_it(monkeypatch):
    """Seen under load: HiGHS 1.16.0 reported a better plan than the start it handed back, the
    re-run without the start had too little time and ended with intakes unplanned, and that
    plan replaced the complete start. Whatever a run returns, the result is never dearer than
    a feasible start (with and without reduced-cost filtering)."""
    mip = _replan_model()
    start = np.zeros(mip.n_vars)
    start[[0, 3, 5]] = 1.0  # a alone, b on another day, training hosted: feasible
    all_unplanned = np.zeros(mip.n_vars)
    all_unplanned[[6, 7, 8]] = 1.0

    def worse_run(self, upper, start, *args):
        return all_unplanned, float(np.dot(self.cost, all_unplanned)), 0.0, "Time limit reached"

    monkeypatch.setattr(SparseMip, "_run", worse_run)
    for keep in (None, 2):
        result = mip.solve(time_limit=10, start=start, keep=keep)
        assert result.objective == float(np.dot(mip.cost, start))
        assert np.array_equal(result.values, start)


def test_a_stalled_highs_run_hands_the_plan_to_the_neighbourhood_search(monkeypatch):
    """When HiGHS returns nothing better than the plan it was started from (as on the national
    re-planning master, where it mishandles the start), the rest of the time goes to the
    neighbourhood search from that plan, which reaches the optimum here."""
    mip, rows, start = _chain_model(n=12)
    stalled: list[float] = []

    def stalling_run(self, upper, run_start, *args):
        stalled.append(float(np.dot(self.cost, run_start)))
        return np.asarray(run_start, dtype=float), stalled[-1], -mip_module.INF, "stalled"

    monkeypatch.setattr(SparseMip, "_run", stalling_run)
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    result = mip.solve(time_limit=20, start=start, keep=5, lns=0.5, lns_rows=rows)
    monkeypatch.undo()
    assert stalled == [float(np.dot(mip.cost, start))]
    assert searched == stalled
    assert abs(result.objective - mip.solve(time_limit=20).objective) < 1e-6
    assert result.bound == result.lp_bound


def test_a_mishandled_start_is_dropped_for_its_restriction_only(monkeypatch):
    """HiGHS mishandles the start of the first restricted run: the same restriction runs again
    without it, and the wider restriction after it gets the start again (a mishandled run is
    interrupted within a second, so trying costs little)."""
    mip, rows, start = _chain_model(n=12)
    runs: list[tuple[bool, int]] = []

    def run(self, upper, run_start, *args):
        runs.append((run_start is not None, sum(1 for u in upper if u > 0)))
        cost = float(np.dot(self.cost, start))
        if len(runs) == 1:
            return (
                np.asarray(run_start, dtype=float),
                cost,
                -mip_module.INF,
                mip_module.START_MISHANDLED,
            )
        return np.asarray(start, dtype=float), cost, 0.0, "Optimal"

    monkeypatch.setattr(SparseMip, "_run", run)
    mip.solve(time_limit=20, start=start, keep=5)
    assert [given for given, _ in runs[:3]] == [True, False, True]
    assert runs[0][1] == runs[1][1] < runs[2][1]


def test_a_restriction_solved_to_optimality_without_improvement_is_widened_not_searched(
    monkeypatch,
):
    """HiGHS proving its restriction optimal at the start's cost is not a stall: the
    restriction is widened (the columns left out may hold the improvement)."""
    mip, rows, start = _chain_model(n=12)
    freed: list[int] = []

    def optimal_run(self, upper, run_start, *args):
        freed.append(sum(1 for u in upper if u > 0))
        return (
            np.asarray(run_start, dtype=float),
            float(np.dot(self.cost, run_start)),
            0.0,
            "Optimal",
        )

    monkeypatch.setattr(SparseMip, "_run", optimal_run)
    searched = _record_starts(monkeypatch, "neighbourhood_search", 0)
    mip.solve(time_limit=20, start=start, keep=5, lns=0.5, lns_rows=rows)
    assert searched == []
    assert len(freed) >= 2 and freed[1] > freed[0]


def test_a_neighbourhood_mip_keeps_the_free_rows_and_drops_blocked_columns():
    """Chain of 6 in the plan of singles, with one person-day row shared by the run of
    elements 0-1 and the single of element 3. Freeing the columns inside elements 0-2: the
    cut-out MIP has their three cover rows, and not the run 0-1, whose person-day the fixed
    single of element 3 holds."""
    mip, rows, start = _chain_model(n=6)
    run_01, single_3 = 1, 9
    assert start[single_3] == 1.0 and start[run_01] == 0.0
    mip.add_row([(run_01, 1.0), (single_3, 1.0)], ub=1)
    outside = {var for row, var, _ in mip.entries if row in rows[3:]}
    free = np.array([v not in outside for v in range(mip.n_vars)])
    assert free[run_01]
    lp, columns = mip_module._ColumnMatrix(mip).restricted(free, start)
    assert set(columns.tolist()) == set(np.flatnonzero(free).tolist()) - {run_01}
    assert lp.num_row_ == 3
    assert list(lp.row_lower_) == [1.0] * 3 and list(lp.row_upper_) == [1.0] * 3


def test_a_neighbourhood_mip_keeps_columns_with_negative_coefficients():
    """A row ``x0 - x1 <= 0`` (x0 only with x1) is not monotone: x0 stays in the cut-out MIP
    although alone it would break the row, since x1 may come with it."""
    mip = SparseMip()
    x0, x1, x2 = mip.add_var(-2.0), mip.add_var(1.0), mip.add_var(0.0)
    mip.add_row([(x0, 1.0), (x1, -1.0)], ub=0)
    mip.add_row([(x2, 1.0), (x1, 1.0)], ub=1)
    lp, columns = mip_module._ColumnMatrix(mip).restricted(
        np.array([True, True, False]), np.zeros(3)
    )
    assert columns.tolist() == [x0, x1]
    assert lp.num_row_ == 2


def test_improving_reports_below_the_cost_of_their_values_are_left_out():
    """HiGHS 1.16.0 reports a mishandled start below its cost: that report is not passed on,
    a true one is."""
    reported: list[float] = []
    reports = mip_module._TrueReports([1.0, 2.0], lambda obj, bound: reported.append(obj))

    def event(objective: float, values: list[float]):
        out = type("Out", (), {"objective_function_value": objective, "mip_dual_bound": 0.0})
        out.mip_solution = values
        return type("Event", (), {"data_out": out})

    reports.improving(event(2.5, [1.0, 1.0]))
    reports.improving(event(2.0, [0.0, 1.0]))
    assert reported == [2.0]


def test_a_run_is_interrupted_once_highs_reports_its_start_below_its_cost():
    """After a report below the cost of its values (a mishandled start), HiGHS's next
    interrupt check stops the run; before it, and after true reports, the run goes on."""
    reports = mip_module._TrueReports([1.0, 2.0], None)
    stops: list[bool] = []

    def event(objective: float | None = None, values: list[float] = ()):
        out = type("Out", (), {"objective_function_value": objective, "mip_dual_bound": 0.0})
        out.mip_solution = list(values)
        return type("Event", (), {"data_out": out, "interrupt": lambda self: stops.append(True)})()

    reports.interrupt(event())
    reports.improving(event(2.0, [0.0, 1.0]))
    reports.interrupt(event())
    assert stops == []
    reports.improving(event(2.5, [1.0, 1.0]))
    reports.interrupt(event())
    assert stops == [True]


def test_a_search_that_may_not_grow_stops_at_its_first_stall(monkeypatch):
    """From the optimum nothing improves: with ``grow=False`` the search ends after
    ``LNS_PATIENCE`` neighbourhoods (it runs before HiGHS, which may then prove the plan);
    allowed to grow, it tries larger neighbourhoods first."""
    mip, rows, start = _chain_model()
    optimum = mip.solve(time_limit=60).values
    monkeypatch.setattr("optimizer.solve.mip.LNS_COLUMNS", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_PATIENCE", 3)
    monkeypatch.setattr("optimizer.solve.mip.LNS_MAX_COLUMNS", 6)
    runs = _count_neighbourhood_runs(monkeypatch)
    mip.neighbourhood_search(optimum, rows, time_limit=60, grow=False)
    assert len(runs) == 3
    runs.clear()
    mip.neighbourhood_search(optimum, rows, time_limit=60)
    assert len(runs) > 3


def _left_out_visit_model() -> tuple[SparseMip, list[int], np.ndarray, int]:
    """Visits a and b (one route for both on day 1, cost 10, or on day 2, cost 12) and v (one
    route, alone on day 1, cost 5), each also "unplanned" at 1,000; at most one route a day.
    The plan: a and b on day 1, v left out (1,010); the optimum moves a and b to day 2 (17).
    v shares no route with a or b, only day 1: its cover row is isolated among the cover
    rows. Returns the model, the cover rows, the plan and v's "unplanned" variable."""
    mip = SparseMip()
    ab1, ab2, v1 = mip.add_var(10.0), mip.add_var(12.0), mip.add_var(5.0)
    out_a, out_b, out_v = mip.add_var(1000.0), mip.add_var(1000.0), mip.add_var(1000.0)
    rows = [
        mip.add_row([(ab1, 1.0), (ab2, 1.0), (out_a, 1.0)], lb=1, ub=1),
        mip.add_row([(ab1, 1.0), (ab2, 1.0), (out_b, 1.0)], lb=1, ub=1),
        mip.add_row([(v1, 1.0), (out_v, 1.0)], lb=1, ub=1),
    ]
    mip.add_row([(ab1, 1.0), (v1, 1.0)], lb=0, ub=1)  # day 1
    mip.add_row([(ab2, 1.0)], lb=0, ub=1)  # day 2
    plan = np.zeros(mip.n_vars)
    plan[[ab1, out_v]] = 1.0
    return mip, rows, plan, out_v


def test_a_left_out_visit_is_repaired_by_freeing_the_routes_on_the_days_it_needs():
    """Neighbourhoods grown through the cover rows never free a and b together with v, so
    the search alone keeps v out; told that v's "unplanned" variable should go (``focus``),
    it frees the route that holds v's day with v and moves it."""
    mip, rows, plan, out_v = _left_out_visit_model()
    kept = mip.neighbourhood_search(plan, rows, time_limit=2, seed=0)
    assert float(np.dot(mip.cost, kept)) == 1010.0
    repaired = mip.neighbourhood_search(plan, rows, time_limit=60, seed=0, focus=[out_v])
    assert float(np.dot(mip.cost, repaired)) == 17.0
    assert _covers_every_row_once(mip, repaired)


def test_a_guided_neighbourhood_search_grows_its_first_neighbourhood_from_the_plans_dear_column(
    monkeypatch,
):
    """Guided by one plan column's weight (as by an LP reduced cost far above the others'),
    the search's first neighbourhood grows from that column's row, whatever its seed;
    unguided, from rows drawn uniformly over the 30."""
    mip, rows, start = _chain_model(n=30)
    dear = [v for v in np.flatnonzero(start > 0.5) if rows[15] in _rows_of(mip, v)][0]
    guide = np.zeros(mip.n_vars)
    guide[dear] = 100.0
    monkeypatch.setattr("optimizer.solve.mip.LNS_COLUMNS", 3)
    first: dict[bool, list[int]] = {True: [], False: []}
    real = mip_module._RowIncidence.neighbourhood
    for guided in (True, False):
        for seed in range(10):
            seeds: list[int] = []

            def record(self, seed_rows, target, rng, seeds=seeds):
                seeds.extend(seed_rows)
                return real(self, seed_rows, target, rng)

            monkeypatch.setattr(mip_module._RowIncidence, "neighbourhood", record)
            weights = guide if guided else None
            mip.neighbourhood_search(start, rows, time_limit=0.3, seed=seed, guide=weights)
            first[guided].append(seeds[0])
    assert first[True] == [rows[15]] * 10
    assert len(set(first[False])) >= 5


def _rows_of(mip: SparseMip, var: int) -> set[int]:
    """The rows in which column ``var`` has an entry."""
    return set(mip._matrix()[:, [var]].indices.tolist())
