"""A thin builder for sparse mixed-integer programs, solved with HiGHS (highspy).

Both stage models (the intake set-partitioning master and the session/training model) are
built through this one class, so the HiGHS options (time limit, seed, threads, determinism)
live in one place.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse

INF = highspy.kHighsInf
THREADS = 1
"""HiGHS threads. HiGHS fixes its thread pool at the first run in a process, so every
instance must ask for the same number."""


FIRST_RUN_SHARE = 0.5
"""With reduced-cost filtering, the share of the time left that each restricted MIP run gets
while a wider restriction could still follow."""

DIVE_FIX = 0.7
"""LP diving fixes every binary at this value or more at 1 in one step (measured on the tight
national intake master: 0.9 took 89 LPs to a plan 3.8 % above the LP bound, 0.7 42 LPs to one
4.0 % above; 0.6 and 0.5 ended infeasible)."""

DIVE_BATCH = 10
"""LP diving fixes at most this many fractional binaries that share no row in one step when
none is at ``DIVE_FIX`` (was 1). Measured on the first intake master of a 60 s national plan
(16 s, seeds 0-3, session 14): the dive took 1.7 s instead of 4.5 s on the tight variant and
its plan cost 19,912 instead of 19,641 minutes, but the neighbourhood search after it had the
time: the stage ended 19,327 minutes on average (0.75 % above its LP bound) against 19,375;
example 16,103 against 16,118. 20 at a time: tight 19,418."""

LNS_COLUMNS = 1500
"""Free columns a neighbourhood of :meth:`SparseMip.neighbourhood_search` starts with: rows are
added around a random one until this many columns lie wholly inside them. Measured on the tight
national intake master, 8 s from the dive's plan, seeds 0-2 (each neighbourhood cut out as its
own small MIP): 1,500 columns 0.83-1.07 % above the LP bound (about 220 neighbourhoods);
2,000 1.16-1.29 %, 2,500 0.87-1.42 % (30-60 neighbourhoods, some stopped by ``LNS_SUB_S``)."""

LNS_PATIENCE = 40
"""Neighbourhoods in a row without improvement after which the search widens its neighbourhoods
(by ``LNS_GROWTH``), or stops once they reach ``LNS_MAX_COLUMNS`` (or at once, with
``grow=False``)."""

LNS_GROWTH = 1.5
LNS_MAX_COLUMNS = 10_000

SHORT_DIVE_GAP = 0.05
"""With little time (``search_first_within``), a complete start more than this share above the
LP bound is replaced by a dive's plan where that is cheaper, before the search (measured on the
example's first intake master in a 60 s plan, session 11: the greedy start is 32 % above the
bound; the search from it ended 4.3 % above, from the dive's plan 1.2 and 1.3 % in two runs and
1.34 % in the benchmark run)."""

START_MISHANDLED = "start mishandled"
"""``SparseMip._run``'s status when HiGHS mishandled the start it was given: the run's values
hold, its bound and status do not. ``solve()`` then runs the same restriction again without the
start (a wider restriction gets the start again: the interrupted run costs under a second)."""

LNS_SUB_S = 1.0
"""Time limit of one neighbourhood's MIP (seconds). With 1,500 free columns nearly all solve to
optimality in 0.01-0.1 s; 0.5, 1 and 2 s gave the same plans within the seeds' spread."""

GUIDE_FLOOR = 1e-3
"""Least weight of a plan's column when a guided neighbourhood search draws the column its
neighbourhood grows from (``SparseMip.neighbourhood_search(guide=...)``): columns at the LP's
prices (reduced cost 0) stay drawable. Guided by the LP's reduced costs, the first intake
master of a 60 s national plan (16 s, seeds 0-3, session 14) ended 16,118 minutes on average
(0.86 % above its LP bound) against 16,178 (1.23 %) with uniform draws; tight 19,375 against
19,393 (docs/planner.md)."""

_BANNER_SHOWN = False


def _new_highs() -> highspy.Highs:
    """``highspy.Highs()``, swallowing the copyright banner HiGHS writes to the process's
    standard output the first time (it would cut through the CLI's progress display)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    _BANNER_SHOWN = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs(time_limit: float, seed: int = 0) -> highspy.Highs:
    """A silent HiGHS instance with the project's common options."""
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", THREADS)
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    return h


def run_for(h: highspy.Highs, seconds: float) -> None:
    """Run ``h`` again for at most ``seconds`` more: HiGHS's ``time_limit`` counts the
    instance's whole run time (every ``run()`` so far), not this run's."""
    h.setOptionValue("time_limit", h.getRunTime() + float(seconds))
    h.run()


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
        self._matrix_cache: tuple[tuple[int, int, int], scipy.sparse.csc_matrix] | None = None

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

    def _matrix(self) -> scipy.sparse.csc_matrix:
        """The constraint matrix (rows x variables) in compressed columns, built once per
        model (again only when variables, rows or entries were added since)."""
        size = (self.n_vars, len(self.row_lb), len(self.entries))
        if self._matrix_cache is None or self._matrix_cache[0] != size:
            entries = np.asarray(self.entries, dtype=float).reshape(-1, 3)
            matrix = scipy.sparse.csc_matrix(
                (entries[:, 2], (entries[:, 0].astype(np.int64), entries[:, 1].astype(np.int64))),
                shape=(len(self.row_lb), self.n_vars),
            )
            matrix.sum_duplicates()
            self._matrix_cache = (size, matrix)
        return self._matrix_cache[1]

    def _model(self, relax: bool, upper: Sequence[float] | None = None) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_vars
        lp.num_row_ = len(self.row_lb)
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.lb, dtype=float)
        lp.col_upper_ = np.asarray(self.ub if upper is None else upper, dtype=float)
        lp.row_lower_ = np.asarray(self.row_lb, dtype=float)
        lp.row_upper_ = np.asarray(self.row_ub, dtype=float)
        matrix = self._matrix()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        if not relax:
            kinds = highspy.HighsVarType
            lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer]
        return lp

    def solve(
        self,
        *,
        time_limit: float,
        seed: int = 0,
        start: Sequence[float] | None = None,
        on_improvement: Callable[[float, float], None] | None = None,
        mip_rel_gap: float = 1e-6,
        keep: int | None = None,
        protect: Iterable[int] = (),
        groups: Iterable[Sequence[int]] = (),
        per_group: int = 5,
        dive: float = 0.0,
        dive_margin: float = 0.0,
        lns: float = 0.0,
        lns_rows: Sequence[int] = (),
        search_first_within: float = 0.0,
        lns_focus: Sequence[int] = (),
    ) -> MipResult:
        """Solve with HiGHS within ``time_limit`` seconds (wall clock).

        ``start`` is a full assignment handed to HiGHS as a starting solution (warm start).
        ``on_improvement(objective, bound)`` is called for every improving solution found.

        ``keep`` turns on *reduced-cost filtering*: the LP relaxation is solved first and
        only the ``keep`` variables of least reduced cost stay free, plus ``protect``, the
        variables set in ``start`` and the ``per_group`` best of each of ``groups`` (e.g. each
        visit's candidates, so that no visit loses all its choices); the rest is fixed at 0.
        While the plan found is not proven (see below) and time remains, the restriction is
        widened threefold and the MIP re-solved from the best plan so far. The reported
        bound is the LP bound, or the restricted MIP's bound when the plan is within the
        least reduced cost left out of the LP bound (then no left-out variable can improve
        it).

        ``dive`` > 0 (with ``keep``) runs :meth:`dive` from the LP optimum for at most that
        share of the time left after the LP, when there is no ``start`` or it costs more than
        the LP bound plus ``dive_margin``; its plan replaces ``start`` when it is cheaper.
        When it runs and ``lns`` > 0, :meth:`neighbourhood_search` around ``lns_rows`` then
        improves that plan for at most the share ``lns`` of the time left, before the
        restricted MIP runs start from it.

        ``search_first_within`` (seconds, with ``keep``, ``lns`` and a ``start`` that needs
        no dive): when no more than this is left after the LP, the neighbourhood search
        starts from ``start`` at once for the share ``lns`` of it, before any HiGHS run
        (HiGHS's first restricted run takes seconds before it helps); it hands over to HiGHS
        at its first stall (``grow=False``), where HiGHS may prove the plan. When ``start`` is
        more than ``SHORT_DIVE_GAP`` above the LP bound (a cold start), a dive runs first as
        above (``dive`` > 0) and the search starts from the cheaper plan.

        ``lns_focus``: variables the plan should lose (e.g. the "unplanned" variables); every
        search is handed them (:meth:`neighbourhood_search`).
        """
        began = time.perf_counter()
        deadline = began + time_limit
        lp = None
        if keep is not None and self.n_vars > keep:
            h = self._solved_lp(time_limit / 2)
            if h is None:
                # no LP in time (a loaded machine): rank by cost instead, so the MIP still
                # runs on a small model; without an LP optimum there is no bound
                lp = (-INF, np.asarray(self.cost, dtype=float))
            else:
                reduced = np.asarray(h.getSolution().col_dual, dtype=float)
                lp = (h.getInfo().objective_function_value, reduced)
                left = deadline - time.perf_counter()
                searchable = start is not None and lns > 0 and len(lns_rows) > 0
                short = searchable and left <= search_first_within
                if dive > 0 and self._dive_pays(start, lp[0], dive_margin, short):
                    start = self._better_start(
                        h,
                        reduced,
                        start,
                        deadline,
                        dive,
                        lns,
                        lns_rows,
                        seed,
                        on_improvement,
                        lns_focus,
                        grow=not short,
                    )
                elif short:
                    start = self.neighbourhood_search(
                        start,
                        lns_rows,
                        time_limit=lns * left,
                        seed=seed,
                        on_improvement=on_improvement,
                        enough=lp[0] + _tolerance(lp[0]),
                        grow=False,
                        focus=lns_focus,
                        guide=reduced,
                    )
        start_cost = self._cost_if_feasible(start)
        if lp is None:
            values, objective, bound, status = self._run(
                self.ub, start, time_limit, seed, mip_rel_gap, on_improvement
            )
            left = deadline - time.perf_counter()
            if status == START_MISHANDLED and left > 0.5:
                again = self._run(self.ub, None, left, seed, mip_rel_gap, on_improvement)
                if again[0].size and (again[1] <= objective or not self._feasible(values)):
                    values, objective, bound, status = again
            if objective > start_cost:  # never hand back less than the start
                values, objective = np.asarray(start, dtype=float), start_cost
            return MipResult(values, objective, bound, status, time.perf_counter() - began)
        lp_bound, reduced = lp
        order = np.argsort(reduced, kind="stable")
        groups = [list(g) for g in groups]
        best = (np.asarray(start) if start is not None else None, start_cost, lp_bound, "start")
        retry = False  # the restriction again without the start that HiGHS mishandled
        while True:
            free = set(order[:keep].tolist()) | set(protect)
            if best[0] is not None:
                free |= {i for i, v in enumerate(best[0]) if v > 0.5}
            for group in groups:
                free.update(sorted(group, key=lambda i: reduced[i])[:per_group])
            threshold = float(reduced[order[keep]]) if keep < self.n_vars else float("inf")
            wider = keep < self.n_vars
            share = FIRST_RUN_SHARE if wider else 1.0
            limit = max(1.0, (deadline - time.perf_counter()) * share)
            upper = [u if i in free else 0.0 for i, u in enumerate(self.ub)]
            run_start = None if retry else best[0]
            values, objective, bound, status = self._run(
                upper, run_start, limit, seed, mip_rel_gap, on_improvement
            )
            mishandled = status == START_MISHANDLED
            trusted = not mishandled or (values.size and self._feasible(values))
            before = best[1]
            if values.size and objective <= best[1] + 1e-9 and trusted:
                best = (values, objective, bound, status)
            proven = best[1] <= lp_bound + threshold + 1e-6
            stalled = (
                (run_start is not None or retry)
                and best[1] > before - _tolerance(before)
                and status != "Optimal"
                and not mishandled
            )
            if stalled and not proven and lns > 0 and len(lns_rows):
                # HiGHS ran out of time without anything better than the plan it was given
                # (or mishandled it): improve the plan by neighbourhoods for the rest of the
                # time instead (a restriction solved to optimality is widened as before)
                searched = self.neighbourhood_search(
                    best[0],
                    lns_rows,
                    time_limit=deadline - time.perf_counter(),
                    seed=seed,
                    on_improvement=on_improvement,
                    focus=lns_focus,
                    guide=reduced,
                )
                searched_cost = float(np.dot(self.cost, searched))
                if searched_cost < best[1] - _tolerance(best[1]):
                    best = (searched, searched_cost, -INF, "neighbourhood")
                proven = False
                break
            retry = mishandled
            if mishandled:
                continue  # the same restriction again, without the start
            if proven or not wider or deadline - time.perf_counter() < 2.0:
                break
            keep, per_group = min(self.n_vars, keep * 3), per_group * 3
        values, objective, bound, status = best
        bound = max(lp_bound, bound) if proven else lp_bound
        values = values if values is not None and objective < float("inf") else np.empty(0)
        return MipResult(values, objective, bound, status, time.perf_counter() - began, lp_bound)

    def _dive_pays(
        self, start: Sequence[float] | None, lp_bound: float, margin: float, short: bool
    ) -> bool:
        """Whether LP diving should look for a better start than ``start``: there is none, it
        costs more than ``lp_bound + margin`` (e.g. it leaves visits out that the LP plans),
        or time is ``short`` and it is more than ``SHORT_DIVE_GAP`` above the bound (a cold
        start such as the greedy routes)."""
        if start is None:
            return True
        cost = float(np.dot(self.cost, start))
        if cost > lp_bound + margin:
            return True
        return short and cost > lp_bound + SHORT_DIVE_GAP * abs(lp_bound)

    def _better_start(
        self,
        h: highspy.Highs,
        reduced: np.ndarray,
        start: Sequence[float] | None,
        deadline: float,
        dive: float,
        lns: float,
        lns_rows: Sequence[int],
        seed: int,
        on_improvement: Callable[[float, float], None] | None,
        focus: Sequence[int] = (),
        grow: bool = True,
    ) -> Sequence[float] | None:
        """The cheaper of ``start`` and the dive's plan (the dive gets the share ``dive`` of the
        time left before ``deadline``), then improved by :meth:`neighbourhood_search` around
        ``lns_rows`` for the share ``lns`` of the time left after it (when ``lns`` > 0), guided
        by the LP's ``reduced`` costs, which stops once the plan reaches the LP bound held in
        ``h`` (and, with ``grow=False``, at its first stall)."""
        lp_bound = float(h.getInfo().objective_function_value)
        plan = self.dive(h, time_limit=dive * (deadline - time.perf_counter()))
        if plan is not None and (
            start is None or np.dot(self.cost, plan) < np.dot(self.cost, start)
        ):
            start = plan
        if start is None or lns <= 0 or not len(lns_rows):
            return start
        return self.neighbourhood_search(
            start,
            lns_rows,
            time_limit=lns * (deadline - time.perf_counter()),
            seed=seed,
            on_improvement=on_improvement,
            enough=lp_bound + _tolerance(lp_bound),
            grow=grow,
            focus=focus,
            guide=reduced,
        )

    def _run(
        self,
        upper: Sequence[float],
        start: Sequence[float] | None,
        time_limit: float,
        seed: int,
        mip_rel_gap: float,
        on_improvement: Callable[[float, float], None] | None,
    ) -> tuple[np.ndarray, float, float, str]:
        """One HiGHS MIP run with the given upper bounds: (values, objective, bound, status)."""
        h = _highs(time_limit, seed)
        h.setOptionValue("mip_rel_gap", mip_rel_gap)
        h.passModel(self._model(relax=False, upper=upper))
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(map(float, start))
            sol.value_valid = True
            h.setSolution(sol)
        reports = _TrueReports(self.cost, on_improvement)
        if on_improvement is not None or start is not None:
            h.cbMipImprovingSolution.subscribe(reports.improving)
        if start is not None:
            h.cbMipInterrupt.subscribe(reports.interrupt)
        h.run()
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        has_sol = info.primal_solution_status == 2
        values = np.asarray(h.getSolution().col_value) if has_sol else np.empty(0)
        # the objective of the values actually returned: at a time limit HiGHS has been seen
        # to report an improved objective while handing back the starting solution
        objective = float(np.dot(self.cost, values)) if has_sol else float("inf")
        reported = info.objective_function_value
        mishandled = reports.mishandled or reported < objective - _tolerance(objective)
        if start is not None and has_sol and mishandled:
            # HiGHS 1.16.0 can lose a MIP start's objective offset in presolve: it takes the
            # start for cheaper than it is, reports it as an improvement and may claim
            # "Optimal" below it (the national re-planning master: "optimal" 2,216 minutes
            # below the start, while a run without the start found a plan 1,369 minutes
            # cheaper; 1.15.1 gets it right but improved nothing on the stage models in 15 s).
            # Neither its bound nor its status holds, its values do. The run is interrupted
            # at the first such report (``_TrueReports.interrupt``), and the caller runs the
            # same model again without the start (``solve``).
            return values, objective, -INF, START_MISHANDLED
        return values, objective, info.mip_dual_bound, status

    def _solved_lp(self, time_limit: float) -> highspy.Highs | None:
        """A HiGHS instance holding the LP relaxation at its optimum, or None."""
        h = _highs(time_limit)
        h.passModel(self._model(relax=True))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return h

    def dive(self, h: highspy.Highs, *, time_limit: float) -> np.ndarray | None:
        """*LP diving*: a plan found by fixing the LP relaxation held in ``h`` (at its
        optimum) towards an integer point. Every binary at ``DIVE_FIX`` or more is fixed at 1
        (or, when none is, the ``DIVE_BATCH`` largest fractional ones that share no row), the
        LP is re-solved from its basis, and so on until the LP optimum is integral. When a
        batch makes the LP infeasible, only its largest column stays fixed; no other
        backtracking: None when the LP becomes infeasible otherwise or ``time_limit`` (seconds)
        runs out. ``h`` is changed.

        On the tight set-partitioning masters (few people, many visits) HiGHS's own
        heuristics found nothing better than the warm start in a minute, while a dive finds a
        plan within a few per cent of the LP bound in seconds (docs/benchmarks.md).
        """
        deadline = time.perf_counter() + time_limit
        binary = np.asarray(self.integer) & (np.asarray(self.ub) <= 1.0)
        fixed = np.zeros(self.n_vars, dtype=bool)
        batch = np.empty(0, dtype=np.int64)  # the last step's fractional columns
        while time.perf_counter() < deadline:
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                if batch.size <= 1:
                    return None
                # the batch made the LP infeasible: keep only its largest column fixed
                undo = batch[1:]
                fixed[undo] = False
                h.changeColsBounds(undo.size, undo.astype(np.int32), *self._bounds(undo))
                batch = batch[:1]
                run_for(h, max(0.1, deadline - time.perf_counter()))
                continue
            x = np.asarray(h.getSolution().col_value, dtype=float)
            open_ = binary & ~fixed & (x > 1e-6) & (x < 1.0 - 1e-6)
            if not open_.any():
                return np.where(binary, np.round(x), x)
            fix = np.flatnonzero(open_ & (x >= DIVE_FIX))
            batch = np.empty(0, dtype=np.int64)
            if fix.size == 0:
                candidates = np.flatnonzero(open_)
                candidates = candidates[np.argsort(-x[candidates], kind="stable")]
                fix = batch = self._disjoint(candidates, DIVE_BATCH)
            fixed[fix] = True
            ones = np.ones(fix.size)
            h.changeColsBounds(fix.size, fix.astype(np.int32), ones, ones)
            run_for(h, max(0.1, deadline - time.perf_counter()))
        return None

    def _bounds(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model's own lower and upper bounds of ``columns``."""
        return np.asarray(self.lb, dtype=float)[columns], np.asarray(self.ub, dtype=float)[columns]

    def _disjoint(self, candidates: np.ndarray, most: int) -> np.ndarray:
        """The first of ``candidates`` (in their order) and then every next one that shares no
        row with those taken, up to ``most`` columns."""
        matrix = self._matrix()
        taken, used = [], set()
        for var in candidates.tolist():
            rows = set(matrix.indices[matrix.indptr[var] : matrix.indptr[var + 1]].tolist())
            if rows & used:
                continue
            taken.append(var)
            used |= rows
            if len(taken) >= most:
                break
        return np.asarray(taken, dtype=np.int64)

    def neighbourhood_search(
        self,
        start: Sequence[float],
        rows: Sequence[int],
        *,
        time_limit: float,
        seed: int = 0,
        on_improvement: Callable[[float, float], None] | None = None,
        enough: float = -INF,
        grow: bool = True,
        focus: Sequence[int] = (),
        guide: np.ndarray | None = None,
    ) -> np.ndarray:
        """*Large neighbourhood search* from the feasible plan ``start``: re-optimise it one
        neighbourhood at a time, exactly, and keep every improvement (until its cost is at
        most ``enough``, e.g. an LP bound: then nothing better exists).

        A neighbourhood is a set of ``rows`` (e.g. the intakes' cover rows) grown from a
        random one through the columns that share them (columns of nearby visits), until
        ``LNS_COLUMNS`` columns lie wholly inside it. Those columns are freed; every other
        column keeps its value in the plan. The small MIP over the free columns is cut out of
        the model (:class:`_ColumnMatrix`: the rows they touch, with what the kept columns
        leave of their bounds; free columns that clash with a kept one left out) and solved
        by a fresh HiGHS instance from the plan, so it is never worse.
        After ``LNS_PATIENCE`` neighbourhoods in a row without improvement the neighbourhoods
        grow by ``LNS_GROWTH``; the search stops at ``time_limit`` seconds, when no
        neighbourhood of ``LNS_MAX_COLUMNS`` improves either, or when one neighbourhood freed
        every column and was solved to optimality. With ``grow=False`` it stops at the first
        such stall instead of growing (a search that runs before HiGHS hands over once its
        small neighbourhoods stop paying).

        ``focus`` (e.g. the "unplanned" variables of a set-partitioning master): while the plan
        sets some of them, every other neighbourhood is a *repair*: grown from the rows of one
        of them together with the rows of the plan's columns that clash with its row's columns
        in any row (a route on the person-day a left-out visit needs). Growing through the
        ``rows`` alone never reaches those routes when the visit shares no route with others
        (an intake with one-visit days only).

        ``guide`` (per column, e.g. the LP relaxation's reduced costs): every neighbourhood
        that is not a repair grows from a row of a column of the plan drawn with weight ``guide``
        (at least ``GUIDE_FLOOR``), so the search works where the plan pays most above the LP
        optimum's prices; without it every neighbourhood grows from a row drawn uniformly.

        Columns with no entry in
        ``rows`` keep their value throughout. Returns the best plan (``start`` when nothing
        improves it).

        On the tight national intake master this takes the dive's plan from 2.6 % to about
        0.8 % above the LP bound (travel) in 20 s and to 0.8-1.1 % in 8 s, where HiGHS's own
        search from the same plan reached 1.8 % in 90 s (docs/planner.md). Cutting each
        neighbourhood out as its own MIP made it about 4 times as fast as changing the bounds
        of the whole model in one HiGHS instance (whose presolve took 0.07 s per
        neighbourhood): that way it reached 1.27 % in 20 s, and 1.55 % in the 8 s that a 60 s
        plan leaves it.
        """
        deadline = time.perf_counter() + time_limit
        rng = np.random.default_rng(seed)
        matrix = _ColumnMatrix(self)
        incidence = _RowIncidence(matrix.by_row, rows)
        x = np.round(np.asarray(start, dtype=float))
        if incidence.rows.size == 0:
            return x
        cost = np.asarray(self.cost, dtype=float)
        best = float(cost @ x)
        focus = np.asarray([f for f in focus if f in incidence.rows_of], dtype=np.int64)
        target, stale, turn = LNS_COLUMNS, 0, 0
        while time.perf_counter() < deadline - 0.05 and best > enough:
            turn += 1
            pending = focus[x[focus] > 0.5]
            if pending.size and turn % 2:
                seeds = self._repair_rows(incidence, matrix, int(rng.choice(pending)), x)
            elif guide is not None:
                seeds = self._guided_row(incidence, x, guide, rng)
            else:
                seeds = [int(rng.choice(incidence.rows))]
            free = incidence.neighbourhood(seeds, target, rng)
            lp, inside = matrix.restricted(free, x)
            h = _highs(LNS_SUB_S, seed)
            h.passModel(lp)
            solution = highspy.HighsSolution()
            solution.col_value = x[inside].tolist()
            solution.value_valid = True
            h.setSolution(solution)
            run_for(h, min(LNS_SUB_S, max(0.1, deadline - time.perf_counter())))
            improved = False
            if h.getInfo().primal_solution_status == 2:
                y = np.where(free, 0.0, x)
                y[inside] = np.round(np.asarray(h.getSolution().col_value, dtype=float))
                improved = float(cost @ y) < best - 1e-6 and self._feasible(y)
            if improved:
                x, best, stale = y, float(cost @ y), 0
                if on_improvement is not None:
                    on_improvement(best, -INF)
            if incidence.spans(free) and h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                break  # the whole model was free: the plan is optimal
            if improved:
                continue
            stale += 1
            if stale >= LNS_PATIENCE:
                if target >= LNS_MAX_COLUMNS or not grow:
                    break
                target, stale = min(LNS_MAX_COLUMNS, int(target * LNS_GROWTH)), 0
        return x

    @staticmethod
    def _guided_row(
        incidence: _RowIncidence, x: np.ndarray, guide: np.ndarray, rng: np.random.Generator
    ) -> list[int]:
        """One row of a column of the plan ``x``, the column drawn with weight ``guide`` (at
        least ``GUIDE_FLOOR``); a uniform row when the plan has no column in the rows."""
        plan = [c for c in np.flatnonzero(x > 0.5).tolist() if c in incidence.rows_of]
        if not plan:
            return [int(rng.choice(incidence.rows))]
        weight = np.maximum(guide[plan], GUIDE_FLOOR)
        column = plan[int(rng.choice(len(plan), p=weight / weight.sum()))]
        return [int(rng.choice(incidence.rows_of[column]))]

    @staticmethod
    def _repair_rows(
        incidence: _RowIncidence, matrix: _ColumnMatrix, var: int, x: np.ndarray
    ) -> list[int]:
        """The rows of ``var`` and of the plan's columns that share any row with a column of
        those rows (the seeds of a repair neighbourhood)."""
        own = incidence.rows_of[var]
        columns = np.unique(np.concatenate([incidence.columns_of[r] for r in own]))
        touched = np.unique(matrix.a[:, columns].indices)
        clashing = np.unique(matrix.by_row[touched].indices)
        clashing = clashing[x[clashing] > 0.5]
        rows = {*own, *(r for c in clashing.tolist() for r in incidence.rows_of.get(c, ()))}
        return sorted(rows)

    def _cost_if_feasible(self, x: Sequence[float] | None) -> float:
        """The objective of ``x``; infinite when there is none or it breaks a row or bound."""
        if x is None:
            return float("inf")
        x = np.asarray(x, dtype=float)
        return float(np.dot(self.cost, x)) if self._feasible(x) else float("inf")

    def _feasible(self, x: np.ndarray, tol: float = 1e-6) -> bool:
        """Whether ``x`` keeps every row and bound."""
        activity = self._matrix() @ np.asarray(x, dtype=float)
        return bool(
            np.all(activity >= np.asarray(self.row_lb) - tol)
            and np.all(activity <= np.asarray(self.row_ub) + tol)
            and np.all(x >= np.asarray(self.lb) - tol)
            and np.all(x <= np.asarray(self.ub) + tol)
        )


class _RowIncidence:
    """Which of the given rows each column has an entry in, and the reverse, for growing
    neighbourhoods in :meth:`SparseMip.neighbourhood_search`."""

    def __init__(self, by_row: scipy.sparse.csr_matrix, rows: Sequence[int]) -> None:
        """``by_row``: the model's constraint matrix in compressed rows."""
        chosen = sorted(set(int(r) for r in rows))
        self.rows = np.asarray(chosen, dtype=np.int64)
        self.columns_of = {
            r: by_row.indices[by_row.indptr[r] : by_row.indptr[r + 1]].astype(np.int64)
            for r in chosen
        }
        self.n_rows_of = np.zeros(by_row.shape[1], dtype=np.int64)
        for cols in self.columns_of.values():
            self.n_rows_of[cols] += 1
        self.n_columns = int(np.count_nonzero(self.n_rows_of))
        """Columns with an entry in the rows."""
        rows_of: dict[int, list[int]] = {}
        for row, cols in self.columns_of.items():
            for var in cols.tolist():
                rows_of.setdefault(var, []).append(row)
        self.rows_of = rows_of
        """Per column with an entry in the rows, those rows."""
        self.near = {
            row: sorted({r for var in cols.tolist() for r in rows_of[var]} - {row})
            for row, cols in self.columns_of.items()
        }
        """Per row, the other rows that share a column with it."""

    def neighbourhood(
        self, seed_rows: Sequence[int], target: int, rng: np.random.Generator
    ) -> np.ndarray:
        """A boolean mask of the free columns: those whose rows all lie in a set grown
        breadth-first from ``seed_rows`` (neighbours in random order) until ``target`` columns
        are free or the rows run out."""
        inside = np.zeros_like(self.n_rows_of)
        seen, queue, n_free = set(seed_rows), list(seed_rows), 0
        head = 0
        while head < len(queue) and n_free < target:
            row = queue[head]
            head += 1
            cols = self.columns_of[row]
            inside[cols] += 1
            n_free += int(np.count_nonzero(inside[cols] == self.n_rows_of[cols]))
            near = [r for r in self.near[row] if r not in seen]
            for r in rng.permutation(near).tolist():
                seen.add(r)
                queue.append(r)
        return (inside == self.n_rows_of) & (self.n_rows_of > 0)

    def spans(self, free: np.ndarray) -> bool:
        """Whether ``free`` holds every column that has an entry in the rows."""
        return int(free.sum()) == self.n_columns


class _ColumnMatrix:
    """The constraint matrix in compressed columns, for cutting the small MIP of one
    neighbourhood out of the model (:meth:`SparseMip.neighbourhood_search`)."""

    def __init__(self, mip: SparseMip) -> None:
        self.a = mip._matrix()
        self.by_row = self.a.tocsr()
        """The same matrix in compressed rows."""
        shape = self.a.shape
        self.cost = np.asarray(mip.cost, dtype=float)
        self.lb, self.ub = np.asarray(mip.lb, dtype=float), np.asarray(mip.ub, dtype=float)
        self.row_lb, self.row_ub = np.asarray(mip.row_lb), np.asarray(mip.row_ub)
        self.integer = np.asarray(mip.integer, dtype=bool)
        negative = np.zeros(shape[0], dtype=bool)
        negative[self.a.indices[self.a.data < 0]] = True
        self.monotone_row = ~negative & bool(np.all(self.lb >= 0))
        """Rows whose activity only grows with any column (coefficients and bounds >= 0)."""

    def restricted(self, free: np.ndarray, x: np.ndarray) -> tuple[highspy.HighsLp, np.ndarray]:
        """The MIP over the ``free`` columns with every other column fixed at its value in
        ``x``, and the indices of its columns. Left out: the rows no free column touches, and
        the free integer columns that alone would push a monotone row over its upper bound
        (they must stay 0, e.g. a route on a person-day a kept route holds)."""
        fixed = np.where(free, 0.0, x)
        activity = self.a @ fixed
        low, high = self.row_lb - activity, self.row_ub - activity
        inside = np.flatnonzero(free)
        sub = self.a[:, inside]
        over = self.monotone_row[sub.indices] & (sub.data > high[sub.indices] + 1e-9)
        column_of_entry = np.repeat(np.arange(inside.size), np.diff(sub.indptr))
        blocked = np.bincount(column_of_entry[over], minlength=inside.size) > 0
        inside = inside[~(blocked & self.integer[inside])]
        sub = self.a[:, inside]
        rows = np.unique(sub.indices)
        sub = sub[rows, :].tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(inside.size), int(rows.size)
        lp.col_cost_ = self.cost[inside]
        lp.col_lower_, lp.col_upper_ = self.lb[inside], self.ub[inside]
        lp.row_lower_, lp.row_upper_ = low[rows], high[rows]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr.astype(np.int32)
        lp.a_matrix_.index_ = sub.indices.astype(np.int32)
        lp.a_matrix_.value_ = sub.data.astype(float)
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer[inside]]
        return lp, inside


def _tolerance(objective: float) -> float:
    """Objective differences below this are rounding (relative 1e-6, at least 1e-6)."""
    return 1e-6 * max(1.0, abs(objective))


class _TrueReports:
    """Passes HiGHS's improving solutions on to ``on_improvement(objective, bound)``, leaving
    out those whose reported objective is not the cost of their values (HiGHS 1.16.0 reports
    a mishandled start below its cost, see ``SparseMip._run``). Once such a report is seen,
    :meth:`interrupt` stops the run: HiGHS then works from a wrong objective and has been
    measured spending the rest of its time limit (7.6 s of 7.9 s on the tight national
    re-planning round) without finding anything."""

    def __init__(
        self, cost: Sequence[float], on_improvement: Callable[[float, float], None] | None
    ):
        self.cost = np.asarray(cost, dtype=float)
        self.on_improvement = on_improvement
        self.mishandled = False

    def improving(self, event) -> None:
        out = event.data_out
        values = np.asarray(out.mip_solution, dtype=float)
        if values.size == self.cost.size:
            true = float(self.cost @ values)
            if out.objective_function_value < true - _tolerance(true):
                self.mishandled = True
            if abs(out.objective_function_value - true) > _tolerance(true):
                return
        if self.on_improvement is not None:
            self.on_improvement(out.objective_function_value, out.mip_dual_bound)

    def interrupt(self, event) -> None:
        if self.mishandled:
            event.interrupt()
