"""The HiGHS wrapper (``optimizer.solve.mip.SparseMip``): a warm start never hides a better plan."""

from __future__ import annotations

import numpy as np

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
    monkeypatch.setattr(SparseMip, "lp_relaxation", lambda self, time_limit: None)
    result = mip.solve(time_limit=10, keep=2, protect=[6, 7, 8], groups=[[0, 2], [1, 3], [4, 5]])
    assert result.feasible
    assert abs(result.objective - 17.000151) < 1e-6
    assert result.bound == float("-inf")
