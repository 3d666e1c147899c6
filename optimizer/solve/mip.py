"""A thin builder for sparse mixed-integer programs, solved with HiGHS (highspy).

Both stage models (the intake set-partitioning master and the session/training model) are
built through this one class, so the HiGHS options (time limit, seed, threads, determinism)
live in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

INF = highspy.kHighsInf


@dataclass(frozen=True)
class MipResult:
    """Values of the variables, the objective, HiGHS's dual bound, and how it ended."""

    values: np.ndarray
    objective: float
    bound: float
    status: str
    runtime_s: float
    lp_bound: float | None = None

    @property
    def feasible(self) -> bool:
        return self.values.size > 0


class SparseMip:
    """Minimise ``cost @ x`` subject to ``row_lb <= A x <= row_ub``, bounds, integrality."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.row_lb: list[float] = []
        self.row_ub: list[float] = []
        self.entries: list[tuple[int, int, float]] = []

    @property
    def n_vars(self) -> int:
        return len(self.cost)

    def add_var(
        self, cost: float, *, lb: float = 0.0, ub: float = 1.0, integer: bool = True
    ) -> int:
        self.cost.append(float(cost))
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(
        self, terms: Iterable[tuple[int, float]], *, lb: float = -INF, ub: float = INF
    ) -> int:
        row = len(self.row_lb)
        for var, coef in terms:
            self.entries.append((row, var, float(coef)))
        self.row_lb.append(lb)
        self.row_ub.append(ub)
        return row

    def _model(self, relax: bool) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_vars
        lp.num_row_ = len(self.row_lb)
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.lb, dtype=float)
        lp.col_upper_ = np.asarray(self.ub, dtype=float)
        lp.row_lower_ = np.asarray(self.row_lb, dtype=float)
        lp.row_upper_ = np.asarray(self.row_ub, dtype=float)
        order = sorted(
            range(len(self.entries)), key=lambda k: (self.entries[k][1], self.entries[k][0])
        )
        cols = np.fromiter((self.entries[k][1] for k in order), dtype=np.int64, count=len(order))
        starts = np.searchsorted(cols, np.arange(self.n_vars + 1)).astype(np.int32)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = np.fromiter(
            (self.entries[k][0] for k in order), dtype=np.int32, count=len(order)
        )
        lp.a_matrix_.value_ = np.fromiter(
            (self.entries[k][2] for k in order), dtype=float, count=len(order)
        )
        if not relax:
            kinds = highspy.HighsVarType
            lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer]
        return lp

    def solve(
        self,
        *,
        time_limit: float,
        seed: int = 0,
        threads: int = 1,
        start: Sequence[float] | None = None,
        with_lp_bound: bool = False,
        on_improvement: Callable[[float, float], None] | None = None,
        mip_rel_gap: float = 1e-6,
    ) -> MipResult:
        """Solve with HiGHS within ``time_limit`` seconds (wall clock).

        ``start`` is a full assignment handed to HiGHS as a starting solution (warm start).
        ``on_improvement(objective, bound)`` is called for every improving solution found.
        """
        began = time.perf_counter()
        lp_bound = self.solve_lp(time_limit=time_limit) if with_lp_bound else None
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("threads", int(threads))
        h.setOptionValue("mip_rel_gap", mip_rel_gap)
        remaining = max(1.0, time_limit - (time.perf_counter() - began))
        h.setOptionValue("time_limit", float(remaining))
        h.passModel(self._model(relax=False))
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(map(float, start))
            sol.value_valid = True
            h.setSolution(sol)
        if on_improvement is not None:
            h.cbMipImprovingSolution.subscribe(
                lambda e: on_improvement(
                    e.data_out.objective_function_value, e.data_out.mip_dual_bound
                )
            )
        h.run()
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        has_sol = info.primal_solution_status == 2
        values = np.asarray(h.getSolution().col_value) if has_sol else np.empty(0)
        objective = info.objective_function_value if has_sol else float("inf")
        bound = info.mip_dual_bound
        return MipResult(values, objective, bound, status, time.perf_counter() - began, lp_bound)

    def solve_lp(self, *, time_limit: float) -> float | None:
        """The LP relaxation's optimum (a lower bound on the MIP), or None if not solved."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        h.passModel(self._model(relax=True))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return h.getInfo().objective_function_value
