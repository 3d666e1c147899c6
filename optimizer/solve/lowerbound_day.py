"""The day-indexed lower bound: column generation on a relaxation (D) that keeps the *day* of
every route (docs/lower_bound.md, "The day-indexed relaxation (D)").

**The relaxation (D).** A column is a route of one person on one *day* ``d`` through a set of
at most ``max_visits_per_day`` nodes of :mod:`optimizer.solve.lowerbound` (a part of a visit in
a slot), all of which the person can do on ``d`` (step 1 (a) and step 3 of that module: the
visit has a start range in the slot on ``d`` within the valid day window, and the person is
free for some start of it), no two of one organisation, and an order of which can be timed
with each start inside the node's *hull* window (step 1 (d)). It costs the travel of its
cheapest such order. Every day route of a valid plan is such a column with the same travel.
Rows:

- *cover*: each part of each visit is covered once, or its visit is unplanned (``u_v`` at the
  objective's penalty, in each of its part rows); *stage dependencies*
  ``u_intake <= u_session <= u_training`` of one organisation (as in (R));
- *person-day*: each person has at most one route per day (the rules: one route a day);
- *synchronisation per (session, slot, day)*: the team-member routes covering the session in
  that slot on ``d`` equal the trainer routes covering it there (in a valid plan both are at
  the session at the same time, on the same day);
- *weekly limits per ISO week*: a team member's evening-session nodes <= ``max_evenings_per_
  week``, a trainer's session nodes <= ``max_sessions_per_week``. Each evening node is a
  distinct evening: no route holds two evening sessions (checked when the pricing tables are
  built; the evening slot is shorter than two sessions with the travel between them), so the
  count of evening nodes of a week is the count of its evenings.

Dropped: the disruption and earliness terms (>= 0), the lags between the chosen dates (only the
day windows of step 3 remain), and the exact start minute (hull windows). So the optimum of
(D), and of its LP, is <= the objective of every valid plan. (D) is at least as strong as
(R): summing its person-day, week and synchronisation rows over the days gives (R)'s rows.

**Bound at any iteration (Lagrangian / weak duality).** For any duals ``y`` with the signs
the rows need (``<=`` rows ``y <= 0``, equalities free) and every feasible ``x`` of (D):
``c.x >= y.b + sum_(p,d) min(0, least reduced cost of p's routes on d) + sum_v min(0, reduced
cost of u_v)``, because each person-day holds at most one route and ``u_v <= 1``. Any value
*below* the least reduced cost of a person-day keeps this valid, so the pricing may stop
early on a person-day as long as it reports a lower bound on the least reduced cost.

**Pricing per person-day, vectorised over the days.** A node's dual weight on day ``d`` is
its part's dual, plus (sessions) the signed dual of its (session, slot, ``d``) row, plus (team
evenings, trainer sessions) the dual of ``d``'s week row; the person-day dual is subtracted
once per route. For each person, singles and ordered pairs are priced exactly for all days at
once (arrays nodes x days and pairs x days, in chunks of days). For triples ``a -> b -> c``
the relaxed value ``-w_b + min_a (t(h,a) + t(a,b) - w_a) + min_c (t(b,c) + t(c,h) - w_c)``,
with ``a -> b`` and ``b -> c`` feasible pairs on ``d``, bounds every triple through ``b``
from below (when the travel times obey the triangle inequality, dropping the last or first
stop of a timed triple leaves a timed pair; otherwise every pair of two organisations that
share the day is allowed); a middle node whose relaxed value could beat the day's best is
then enumerated exactly (organisations, common day, timing), best first, within a budget per
person and iteration. A person-day with middle nodes left unenumerated reports the least of
their relaxed values, which is a valid lower bound.

**Pruning.** A route's reduced cost on any day is at least its travel minus the largest
weights of its nodes over the days minus the largest person-day dual (<= 0); pairs and
middle nodes that cannot go below 0 this way are skipped for every day, which leaves
``min(0, least reduced cost)`` of each day, hence the bound, unchanged.

**Warm start and stabilisation.** The day-free column generation of
:mod:`optimizer.solve.lowerbound` runs first, and the routes of its optimum start the master,
each on every day it fits (so the first master is the day-free optimum's routes, dated). The
day-free duals, spread over the days (the person's route-count dual on each person-day, the
slot synchronisation dual on each day, the week dual on each week), give (D) a Lagrangian bound
at least the day-free one (every day route is a day-free route with the same reduced cost, and
the spread rows sum to the day-free rows). They are the first *stability centre*; the pricing
then uses Wentges smoothing, ``alpha * centre + (1 - alpha) * master duals``, and the centre
moves to any priced point with a better bound. When the smoothed duals find no column (a
mis-price), the next iteration prices at the master duals. The reported bound is the best of
the day-free bound and every priced point's Lagrangian bound; ``lp_optimal`` is set when the
master duals price out (no person-day has a negative reduced cost) or a bound reaches the
master's optimum.

**Lags** (``lags=True``, relaxation ``day-lags``): the lags between an organisation's stages
as time-indexed rows (:mod:`optimizer.solve.lowerbound_lags`); a node's weight on day ``d``
then also holds the dual of its part's coverage row of ``d``, and each master is solved from
scratch by the interior point method (a warm-started simplex is slow on those rows).

Units: minutes of travel plus the objective's penalties; day indices of
:class:`optimizer.solve.slots.Calendar`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

import highspy
import numpy as np

from optimizer.domain import Problem, Role, Stage
from optimizer.solve.lowerbound import (
    EPS,
    EVENING,
    BoundResult,
    FreeState,
    _PersonNodes,
    _timed,
    free_bound_state,
    record_iteration,
)
from optimizer.solve.lowerbound_lags import LagRows, lag_rows
from optimizer.solve.mip import INF, _highs

RELAXATION = (
    "day-indexed route relaxation: person-day routes of <= 3 (visit part, slot) nodes "
    "available that day, hull time windows and the day limits; cover rows, one route per "
    "person-day, session synchronisation per (session, slot, day), weekly evening/session "
    "limits per ISO week, stage dependencies"
)
RELAXATION_LAGS = RELAXATION + (
    "; the lags between an organisation's intake, session and trainings as time-indexed rows"
)
CHUNK = 16
"""Days priced at once (memory: pairs x CHUNK float32)."""


# ------------------------------------------------------------------------------ duals


@dataclass
class _Duals:
    """Duals of every row of (D), including rows not (yet) in the master (dual 0 there).

    ``part[i]``, ``dep[j]``: cover and stage-dependency rows; ``sync[k, d]``: the
    synchronisation row of session slot ``k`` on day ``d``; ``pd[p][i]``: person ``p`` on
    its ``i``-th day; ``week[p][j]``: its ``j``-th week row; ``lag[j]``: row ``j`` of the
    lag rows (:mod:`optimizer.solve.lowerbound_lags`; empty without them)."""

    part: np.ndarray
    dep: np.ndarray
    sync: np.ndarray
    pd: list[np.ndarray]
    week: list[np.ndarray]
    lag: np.ndarray

    def mix(self, other: _Duals, alpha: float) -> _Duals:
        """``alpha * self + (1 - alpha) * other``."""

        def m(a, b):
            return alpha * a + (1.0 - alpha) * b

        return _Duals(
            m(self.part, other.part),
            m(self.dep, other.dep),
            m(self.sync, other.sync),
            [m(a, b) for a, b in zip(self.pd, other.pd, strict=True)],
            [m(a, b) for a, b in zip(self.week, other.week, strict=True)],
            m(self.lag, other.lag),
        )


# ------------------------------------------------------------------------------ pricing


@dataclass
class _DayPerson:
    """One person's pricing tables over the days on which they can do anything."""

    index: int
    pn: _PersonNodes
    days: np.ndarray
    """Global day indices (local day i is ``days[i]``)."""
    avail: np.ndarray
    """avail[a, i]: the person can do local node a on local day i."""
    part: np.ndarray
    sync: np.ndarray
    """Session-slot index of each local node, or -1."""
    sign: np.ndarray
    weekly: np.ndarray
    """Nodes counted by the week rows (team: evening sessions; trainer: sessions)."""
    week_of_day: np.ndarray
    """Local week row of each local day (-1: no week row, no weekly node that day)."""
    n_weeks: int
    limit: float
    pa: np.ndarray
    pb: np.ndarray
    ptravel: np.ndarray
    l_a: np.ndarray
    l_val: np.ndarray
    l_start: np.ndarray
    l_mid: np.ndarray
    r_c: np.ndarray
    r_val: np.ndarray
    r_start: np.ndarray
    r_mid: np.ndarray
    l_b: np.ndarray
    """Middle node of each left pair (sorted by middle, then a's organisation)."""
    l_org: np.ndarray
    r_b: np.ndarray
    r_org: np.ndarray
    t: np.ndarray
    cov: np.ndarray | None = None
    """cov[a, i]: the lag coverage row of local node a on local day i, or -1 (None: no lag
    rows)."""

    def weights(self, y: _Duals) -> tuple[np.ndarray, np.ndarray]:
        """(W[a, i]: node a's dual weight on local day i, -inf when not available; the
        person-day duals)."""
        w = np.repeat(y.part[self.part][:, None], self.days.size, axis=1)
        has = self.sync >= 0
        w[has] += self.sign[has][:, None] * y.sync[self.sync[has]][:, self.days]
        if self.n_weeks:
            wk = np.where(self.week_of_day >= 0, y.week[self.index][self.week_of_day], 0.0)
            w[self.weekly] += wk[None, :]
        if self.cov is not None:
            w += np.where(self.cov >= 0, y.lag[self.cov], 0.0)
        return np.where(self.avail, w, -np.inf), y.pd[self.index]


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start of each run of equal sorted ``keys``, the key of each run)."""
    if not keys.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return start, keys[start]


def _day_person(
    problem: Problem, index: int, pn: _PersonNodes, free: FreeState, keys: dict, metric: bool
) -> _DayPerson:
    nodes = free.builder.nodes
    days = np.flatnonzero(pn.masks.any(axis=0))
    avail = pn.masks[:, days] > 0.5
    part = np.array([nodes[k].part for k in pn.ids])
    sync = np.array([keys.get((nodes[k].visit, nodes[k].slot), -1) for k in pn.ids])
    sign = np.array([1.0 if nodes[k].role is Role.TEAM else -1.0 for k in pn.ids])
    evening = np.array([nodes[k].slot == EVENING for k in pn.ids])
    weekly = evening if pn.role is Role.TEAM else sync >= 0
    ok = np.isfinite(pn.pair)
    if pn.role is Role.TEAM and (ok & evening[:, None] & evening[None, :]).any():
        raise NotImplementedError("a route with two evening sessions: week rows need evenings")
    cal = free.builder.cal
    week_days = avail[weekly].any(axis=0)
    weeks = sorted({cal.iso_week(int(days[i])) for i in np.flatnonzero(week_days)})
    wix = {w: j for j, w in enumerate(weeks)}
    week_of_day = np.array(
        [wix.get(cal.iso_week(int(d)), -1) if week_days[i] else -1 for i, d in enumerate(days)]
    )
    # a day without a weekly node: no weekly node is priced there, the row is irrelevant
    limit = float(
        problem.rules.max_evenings_per_week
        if pn.role is Role.TEAM
        else problem.rules.max_sessions_per_week
    )
    pa, pb = np.nonzero(ok)
    ptravel = pn.pair[pa, pb]
    t = problem.travel.minutes.astype(float)[np.ix_(pn.loc, pn.loc)]
    la, lb = (pa, pb) if metric else np.nonzero(pn.common)
    org = np.unique([nodes[k].org for k in pn.ids], return_inverse=True)[1]
    order = np.lexsort((org[la], lb))
    l_a, l_b = la[order], lb[order]
    l_val = pn.t_out[l_a] + t[l_a, l_b]
    l_start, l_mid = _groups(l_b)
    order = np.lexsort((org[lb], la))
    r_b, r_c = la[order], lb[order]
    r_val = t[r_b, r_c] + pn.t_back[r_c]
    r_start, r_mid = _groups(r_b)
    return _DayPerson(
        index, pn, days, avail, part, sync, sign, weekly, week_of_day, len(weeks), limit,
        pa, pb, ptravel, l_a, l_val, l_start, l_mid, r_c, r_val, r_start, r_mid,
        l_b, org[l_a], r_b, org[r_c], t,
    )  # fmt: skip


def _org_groups(mid: np.ndarray, org: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal (middle, organisation) in pairs sorted so: (their starts, their
    organisation, the start of each middle's first run among the runs)."""
    if not mid.size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.r_[True, (mid[1:] != mid[:-1]) | (org[1:] != org[:-1])]
    starts = np.flatnonzero(new)
    run_mid = mid[starts]
    first = np.flatnonzero(np.r_[True, run_mid[1:] != run_mid[:-1]])
    return starts, org[starts], first


def _two_best(values: np.ndarray, groups: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per middle node (rows) and day (columns): the least value, the least value of another
    organisation than the least one's, and that organisation (-1 when several tie)."""
    starts, org, first = groups
    per_org = np.minimum.reduceat(values, starts, axis=0)
    best = np.minimum.reduceat(per_org, first, axis=0)
    counts = np.diff(np.r_[first, per_org.shape[0]])
    is_best = per_org <= np.repeat(best, counts, axis=0)
    ties = np.add.reduceat(is_best.astype(np.int32), first, axis=0)
    which = np.maximum.reduceat(np.where(is_best, org[:, None], -1), first, axis=0)
    second = np.minimum.reduceat(np.where(is_best, np.inf, per_org), first, axis=0)
    single = ties == 1
    return best, np.where(single, second, best), np.where(single, which, -1)


@dataclass
class _Found:
    day: int
    """Local day."""
    nodes: tuple[int, ...]
    """Local nodes, in the order priced."""
    travel: float
    reduced: float


def _price_person(
    problem: Problem, dp: _DayPerson, y: _Duals, budget: int, theta: float = -EPS
) -> tuple[np.ndarray, list[_Found]]:
    """(a lower bound on the least reduced cost of each local day (exact when its triples
    were enumerated), the best route of each kind per day when its reduced cost is below
    ``theta``)."""
    w, pi = dp.weights(y)
    pn = dp.pn
    n_days = dp.days.size
    best = np.full(n_days, np.inf)
    found: list[_Found] = []
    # singles, exact
    rc1 = pn.single[:, None] - w - pi[None, :]
    arg = rc1.argmin(axis=0)
    least1 = rc1[arg, np.arange(n_days)]
    best = np.minimum(best, least1)
    for i in np.flatnonzero(least1 < theta):
        found.append(_Found(int(i), (int(arg[i]),), float(pn.single[arg[i]]), float(least1[i])))
    stops = problem.rules.max_visits_per_day
    # pruning, valid for every day: a route's reduced cost is at least its travel minus its
    # nodes' largest weights over the days minus the largest person-day dual (all <= 0);
    # routes (pairs, middle nodes of triples) that cannot go below ``cutoff`` (>= 0) on any
    # day are skipped, which leaves min(0, least reduced cost) of every day unchanged
    wmax = w.max(axis=1) if n_days else np.full(pn.ids.size, -np.inf)
    negpi = max(0.0, -float(pi.max())) if n_days else 0.0
    cutoff = max(theta, 0.0)
    pk = np.flatnonzero(dp.ptravel - wmax[dp.pa] - wmax[dp.pb] + negpi < cutoff)
    pa, pb, ptravel = dp.pa[pk], dp.pb[pk], dp.ptravel[pk]
    relaxed = np.full((dp.l_mid.size, n_days), np.inf)
    mid_pos = np.full(pn.ids.size, -1)
    mid_pos[dp.l_mid] = np.arange(dp.l_mid.size)
    live = np.zeros(0, dtype=np.int64)
    if stops >= 3 and dp.l_mid.size and dp.r_mid.size:
        lany = np.full(pn.ids.size, np.inf)
        rany = np.full(pn.ids.size, np.inf)
        lany[dp.l_mid] = np.minimum.reduceat(dp.l_val - wmax[dp.l_a], dp.l_start)
        rany[dp.r_mid] = np.minimum.reduceat(dp.r_val - wmax[dp.r_c], dp.r_start)
        live = np.flatnonzero(lany + rany - wmax + negpi < cutoff)
    if live.size:
        is_live = np.zeros(pn.ids.size, dtype=bool)
        is_live[live] = True
        ls, rs = np.flatnonzero(is_live[dp.l_b]), np.flatnonzero(is_live[dp.r_b])
        l_groups = _org_groups(dp.l_b[ls], dp.l_org[ls])
        r_groups = _org_groups(dp.r_b[rs], dp.r_org[rs])
    for lo in range(0, n_days, CHUNK):
        sl = slice(lo, min(lo + CHUNK, n_days))
        if stops >= 2 and pk.size:
            rc2 = ptravel[:, None] - w[pa, sl] - w[pb, sl] - pi[None, sl]
            arg = rc2.argmin(axis=0)
            least2 = rc2[arg, np.arange(rc2.shape[1])]
            best[sl] = np.minimum(best[sl], least2)
            for j in np.flatnonzero(least2 < theta):
                k = int(arg[j])
                found.append(
                    _Found(lo + int(j), (int(pa[k]), int(pb[k])), float(ptravel[k]),
                           float(least2[j]))
                )  # fmt: skip
        if live.size:  # rows of the two-best tables: the live middles, ascending
            l1, l2, lo_ = _two_best(dp.l_val[ls, None] - w[dp.l_a[ls], sl], l_groups)
            r1, r2, ro_ = _two_best(dp.r_val[rs, None] - w[dp.r_c[rs], sl], r_groups)
            clash = (lo_ == ro_) & (lo_ >= 0)  # a and c would be one organisation
            pair_min = np.where(clash, np.minimum(l1 + r2, l2 + r1), l1 + r1)
            relaxed[mid_pos[live], sl] = pair_min - w[live, sl] - pi[None, sl]
    if live.size:
        best = _triples(problem, dp, w, pi, relaxed, best, found, budget, theta)
    return best, found


def _triples(problem, dp: _DayPerson, w, pi, relaxed, best, found, budget, theta) -> np.ndarray:
    """Enumerate the middle nodes (best relaxed value first) that could beat each day's best;
    returns each day's lower bound (module doc)."""
    rules = problem.rules
    pn = dp.pn
    cut = np.minimum(best, max(theta, -EPS))
    rows, cols = np.nonzero(relaxed < cut[None, :])
    if not rows.size:
        return best
    vals = relaxed[rows, cols]
    order = np.argsort(vals, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    done = np.zeros(rows.size, dtype=bool)
    day_best = best.copy()
    day_found: dict[int, _Found] = {}
    l_of = {int(b): k for k, b in enumerate(dp.l_mid)}
    r_of = {int(b): k for k, b in enumerate(dp.r_mid)}
    for n, (row, i, v) in enumerate(zip(rows, cols, vals, strict=True)):
        if n >= budget:
            break
        done[n] = True
        target = min(day_best[i], max(theta, -EPS))
        if v >= target:
            continue
        b = int(dp.l_mid[row])
        lk, rk = l_of[b], r_of[b]
        ls = slice(dp.l_start[lk], dp.l_start[lk + 1] if lk + 1 < dp.l_start.size else None)
        rs = slice(dp.r_start[rk], dp.r_start[rk + 1] if rk + 1 < dp.r_start.size else None)
        a_idx, c_idx = dp.l_a[ls], dp.r_c[rs]
        lw = dp.l_val[ls] - w[a_idx, i]
        rw = dp.r_val[rs] - w[c_idx, i]
        base = -float(w[b, i]) - float(pi[i])
        ka = np.flatnonzero(lw + rw.min() + base < target)
        kc = np.flatnonzero(lw.min() + rw + base < target)
        if not ka.size or not kc.size:
            continue
        a2, c2 = a_idx[ka][:, None], c_idx[kc][None, :]
        rc = lw[ka][:, None] + rw[kc][None, :] + base
        ok = (rc < target) & pn.common[a2, c2] & (a2 != c2)
        if not ok.any():
            continue
        ok &= _timed(
            rules, pn.t_out[a2], pn.t_back[c2], [dp.t[a2, b], dp.t[b, c2]],
            [pn.lo[a2], pn.lo[b], pn.lo[c2]], [pn.hi[a2], pn.hi[b], pn.hi[c2]],
            [pn.dur[a2], pn.dur[b], pn.dur[c2]],
        )  # fmt: skip
        if not ok.any():
            continue
        masked = np.where(ok, rc, np.inf)
        k = int(masked.argmin())
        ia, ic = divmod(k, kc.size)
        value = float(masked.ravel()[k])
        if value < day_best[i]:
            day_best[i] = value
            a, c = int(a_idx[ka[ia]]), int(c_idx[kc[ic]])
            travel = pn.t_out[a] + dp.t[a, b] + dp.t[b, c] + pn.t_back[c]
            day_found[int(i)] = _Found(int(i), (a, b, c), float(travel), value)
    found.extend(day_found.values())
    lower = day_best.copy()
    left = ~done
    if left.any():  # unenumerated middle nodes: their relaxed values bound the day
        np.minimum.at(lower, cols[left], vals[left])
    return lower


# ------------------------------------------------------------------------------ master


class _DayMaster:
    """The restricted master LP of (D) in HiGHS; sync rows join when a column needs them."""

    def __init__(
        self,
        problem: Problem,
        free: FreeState,
        dps: list[_DayPerson],
        n_sync: int,
        lags: LagRows | None = None,
    ):
        self.problem = problem
        self.dps = dps
        self.lags = lags
        fm = free.master
        n_parts = len(free.builder.parts)
        self.h = _highs(1e9)
        self.h.setOptionValue("solver", "simplex")
        if lags is not None:
            # with the lag rows a warm-started simplex is slow (50 s on the regional
            # instance where the interior point method takes 3 s), fails on the large duals
            # of the first masters, and from scratch it sometimes takes minutes: each master
            # is solved from scratch (solve) by the interior point method (its duals need no
            # vertex)
            self.h.setOptionValue("solver", "ipm")
            self.h.setOptionValue("run_crossover", "off")
        self.kind: list[tuple[str, int, int]] = []
        lo: list[float] = []
        hi: list[float] = []

        def row(kind: str, a: int, b: int, lower: float, upper: float) -> int:
            self.kind.append((kind, a, b))
            lo.append(lower)
            hi.append(upper)
            return len(lo) - 1

        self.part_row = [row("part", i, 0, 1.0, 1.0) for i in range(n_parts)]
        free_part = {int(r): i for i, r in enumerate(fm.part_row)}
        self.dep_free = sorted({r for _, _, es in fm.u_cols for r, _ in es if r not in free_part})
        dep_of = {r: row("dep", j, 0, -INF, 0.0) for j, r in enumerate(self.dep_free)}
        self.pd_row = [[row("pd", p, i, -INF, 1.0) for i in range(dp.days.size)] for p, dp in
                       enumerate(dps)]  # fmt: skip
        self.week_row = [[row("week", p, j, -INF, dp.limit) for j in range(dp.n_weeks)] for p, dp
                         in enumerate(dps)]  # fmt: skip
        n_lag = lags.n_rows if lags is not None else 0
        self.lag_row = [row("lag", j, 0, lags.lower[j], lags.upper[j]) for j in range(n_lag)]
        lp = highspy.HighsLp()
        lp.num_row_ = len(lo)
        lp.row_lower_ = np.array(lo)
        lp.row_upper_ = np.array(hi)
        self.h.passModel(lp)
        self.sync_row: dict[tuple[int, int], int] = {}
        self.n_parts, self.n_dep, self.n_sync = n_parts, len(self.dep_free), n_sync
        self.u_cols = []
        for v, pen, es in fm.u_cols:
            entries = [(free_part[r], c) if r in free_part else (dep_of[r], c) for r, c in es]
            self.u_cols.append((v, pen, entries))
            self._add_col(pen, entries)
        self.n_z = lags.z.shape[1] if lags is not None else 0
        if self.n_z:  # the cumulative coverage z of the lag rows, in [0, 1]
            z = lags.z
            rows = np.asarray(self.lag_row, dtype=np.int32)[z.indices]
            n = self.n_z
            self.h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), z.nnz,
                           z.indptr[:-1].astype(np.int32), rows, z.data.astype(float))  # fmt: skip
        self.columns: set[tuple[int, int, frozenset[int]]] = set()
        self.n_cols = len(self.u_cols) + self.n_z

    def _add_col(self, cost: float, entries: list[tuple[int, float]]) -> None:
        idx = np.array([r for r, _ in entries], dtype=np.int32)
        val = np.array([c for _, c in entries], dtype=float)
        self.h.addCol(float(cost), 0.0, INF, len(idx), idx, val)

    def _sync(self, key: int, day: int) -> int:
        if (key, day) not in self.sync_row:
            self.h.addRow(0.0, 0.0, 0, np.array([], dtype=np.int32), np.array([]))
            self.kind.append(("sync", key, day))
            self.sync_row[(key, day)] = self.h.getNumRow() - 1
        return self.sync_row[(key, day)]

    def add(self, dp: _DayPerson, f: _Found) -> bool:
        key = (dp.index, f.day, frozenset(f.nodes))
        if key in self.columns:
            return False
        self.columns.add(key)
        entries: dict[int, float] = defaultdict(float)
        day = int(dp.days[f.day])
        for a in f.nodes:
            entries[self.part_row[dp.part[a]]] += 1.0
            if dp.sync[a] >= 0:
                entries[self._sync(int(dp.sync[a]), day)] += dp.sign[a]
            if dp.weekly[a]:
                entries[self.week_row[dp.index][dp.week_of_day[f.day]]] += 1.0
            if dp.cov is not None and dp.cov[a, f.day] >= 0:
                entries[self.lag_row[dp.cov[a, f.day]]] += 1.0
        entries[self.pd_row[dp.index][f.day]] += 1.0
        self._add_col(f.travel, sorted(entries.items()))
        self.n_cols += 1
        return True

    def solve(self) -> tuple[float, _Duals, np.ndarray]:
        if self.lags is not None:
            self.h.clearSolver()  # from scratch (__init__)
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"day master LP: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        y = np.asarray(sol.row_dual, dtype=float)
        y = self.duals(y)
        return self.h.getInfo().objective_function_value, y, np.asarray(sol.col_value)

    def duals(self, y: np.ndarray) -> _Duals:
        """The master's row duals as :class:`_Duals` (``<=`` rows clipped to ``y <= 0``)."""
        n_days = self.dps[0].pn.masks.shape[1] if self.dps else 0
        d = self.zero(n_days)
        for r, (kind, a, b) in enumerate(self.kind):
            v = float(y[r])
            if kind == "part":
                d.part[a] = v
            elif kind == "dep":
                d.dep[a] = min(v, 0.0)
            elif kind == "pd":
                d.pd[a][b] = min(v, 0.0)
            elif kind == "week":
                d.week[a][b] = min(v, 0.0)
            elif kind == "lag":
                d.lag[a] = v
            else:
                d.sync[a, b] = v
        if self.lags is not None:
            d.lag = self.lags.clip(d.lag)
        return d

    def zero(self, n_days: int) -> _Duals:
        return _Duals(
            np.zeros(self.n_parts),
            np.zeros(self.n_dep),
            np.zeros((self.n_sync, n_days)),
            [np.zeros(dp.days.size) for dp in self.dps],
            [np.zeros(dp.n_weeks) for dp in self.dps],
            np.zeros(self.lags.n_rows if self.lags is not None else 0),
        )

    def u_value(self, y: _Duals) -> float:
        """``sum_v min(0, reduced cost of u_v)``, ``y . b`` of the cover, person-day and
        week rows (sync and dependency rows have b = 0), and the lag rows' share
        (:meth:`LagRows.rhs_value`)."""
        value = float(y.part.sum())
        value += sum(float(pd.sum()) for pd in y.pd)
        value += sum(float(wk.sum()) * dp.limit for wk, dp in zip(y.week, self.dps, strict=True))
        for _, pen, entries in self.u_cols:
            red = pen
            for r, c in entries:
                kind, a, _ = self.kind[r]
                red -= c * (y.part[a] if kind == "part" else y.dep[a])
            value += min(0.0, red)
        if self.lags is not None:
            value += self.lags.rhs_value(y.lag)
        return value


def _centre_from_free(master: _DayMaster, free: FreeState, keys: dict, n_days: int) -> _Duals:
    """The day-free duals spread over the days (module doc, warm start)."""
    fm, y = free.master, free.y
    d = master.zero(n_days)
    d.part[:] = y[np.asarray(fm.part_row)]
    d.dep[:] = np.minimum(y[np.asarray(master.dep_free, dtype=int)], 0.0)
    for k, node in enumerate(fm.nodes):
        if fm.node_sync[k] >= 0:
            d.sync[keys[(node.visit, node.slot)], :] = y[fm.node_sync[k]]
    for p, dp in enumerate(master.dps):
        d.pd[p][:] = min(float(y[fm.cap_row[dp.pn.person]]), 0.0)
        d.week[p][:] = min(float(y[fm.week_row[dp.pn.person]]), 0.0)
    return d


def _place_free_columns(master: _DayMaster, free: FreeState, dps: list[_DayPerson], k: int):
    """Start the master from the day-free optimum's routes, each on up to ``k`` of the days
    it fits. Days are chosen by a random priority per session slot (per route when it has no
    session), so a team member's and a trainer's routes with one session tend to share
    days (min-hash); any choice keeps the bound valid."""
    n_days = free.builder.cal.n_days
    by_person = {dp.pn.person: dp for dp in dps}
    local = {dp.pn.person: {int(g): a for a, g in enumerate(dp.pn.ids)} for dp in dps}
    values = free.values
    for (person, nodes), col in sorted(free.master.columns.items(), key=lambda kv: kv[1]):
        if col >= values.size or values[col] <= 1e-9:
            continue
        dp = by_person[person]
        mine = tuple(sorted(local[person][g] for g in nodes))
        days = np.flatnonzero(dp.avail[list(mine)].all(axis=0))
        sessions = [int(dp.sync[a]) for a in mine if dp.sync[a] >= 0]
        seed = 1_000_003 + sessions[0] if sessions else hash(mine) % 1_000_003
        prio = np.random.default_rng(seed).random(n_days)[dp.days[days]]
        for i in days[np.argsort(prio)[:k]]:
            master.add(dp, _Found(int(i), mine, float(free.master.cost[col]), 0.0))


# ------------------------------------------------------------------------------ the bound


def day_indexed_bound(
    problem: Problem,
    *,
    time_limit: float = 900,
    progress: Callable[[dict], None] | None = None,
    keep: int = 400,
    budget: int = 1000,
    alpha: float = 0.8,
    free_share: float = 0.25,
    warm_days: int = 60,
    lags: bool = False,
) -> BoundResult:
    """A lower bound on the objective of every valid plan from the day-indexed relaxation (D)
    (module doc): the day-free column generation (at most ``free_share`` of ``time_limit``),
    then column generation on (D) until the pricing proves the master optimal or the time
    limit passes. The bound is the best of the day-free bound and every Lagrangian bound of
    (D). ``keep``: routes added per person and iteration; ``budget``: exactly enumerated
    middle nodes per person and iteration; ``alpha``: the Wentges smoothing weight;
    ``warm_days``: days on which each route of the day-free optimum starts the master;
    ``lags``: add the lags as time-indexed rows (:mod:`optimizer.solve.lowerbound_lags`)."""
    began = time.perf_counter()

    def free_progress(event: dict) -> None:
        if progress is not None:
            progress({**event, "relaxation": "free"})

    free_result, free = free_bound_state(
        problem, time_limit=time_limit * free_share, progress=free_progress, began=began
    )
    history = [dict(e, relaxation="free") for e in free_result.history]
    nodes = free.builder.nodes
    keys: dict[tuple[str, int], int] = {}
    for node in nodes:
        if problem.visits[node.visit].stage is Stage.SESSION:
            keys.setdefault((node.visit, node.slot), len(keys))
    minutes = problem.travel.minutes.astype(float)
    metric = bool(
        all((minutes[:, k][:, None] + minutes[k][None, :] >= minutes).all() for k in
            range(minutes.shape[0]))
    )  # fmt: skip
    dps = [_day_person(problem, p, pn, free, keys, metric) for p, pn in enumerate(free.people)]
    n_days = free.builder.cal.n_days
    rows = _lag_rows(problem, free, dps) if lags else None
    master = _DayMaster(problem, free, dps, len(keys), rows)
    centre = _centre_from_free(master, free, keys, n_days)
    # warm start: the day-free optimum's routes on the days they fit; the centre's own bound
    # is at least the day-free bound (module doc), which stands for it until a priced point
    # beats it
    _place_free_columns(master, free, dps, warm_days)
    centre_bound = best = free_result.bound
    lp_value, optimal, values, iteration = np.inf, False, np.empty(0), 0
    smooth = True
    while True:
        iteration += 1
        tick = time.perf_counter()
        lp_value, y_lp, values = master.solve()
        master_s = time.perf_counter() - tick
        y_price = centre.mix(y_lp, alpha) if smooth else y_lp
        bound, least, added = _iterate(problem, master, dps, y_price, keep, budget)
        pricing_s = time.perf_counter() - tick - master_s
        if bound > centre_bound:
            centre, centre_bound = y_price, bound
        best = max(best, bound)
        optimal = (not smooth and least >= -EPS) or lp_value - best <= 1e-6 * max(
            1.0, abs(lp_value)
        )
        smooth = added > 0 or not smooth  # a smoothed mis-price: price the master duals next
        record_iteration(
            history,
            progress,
            began,
            iteration,
            lp_value,
            bound,
            best,
            master.n_cols,
            least,
            added,
            master_s=round(master_s, 2),
            pricing_s=round(pricing_s, 2),
            smoothed=y_price is not y_lp,
            relaxation="day",
        )
        if optimal or time.perf_counter() - began >= time_limit:
            break
        if added == 0 and y_price is y_lp:
            break  # nothing to add at the master duals and no proof: stop (not expected)
    u = len(master.u_cols)
    unplanned = float(values[:u].sum()) if values.size else 0.0
    penalty = float(sum(values[i] * c[1] for i, c in enumerate(master.u_cols)))
    return replace(
        free_result,
        bound=float(best),
        lp_value=float(lp_value),
        travel_bound=(
            float(best)
            if unplanned < 1e-6 and optimal
            else free_result.travel_bound
            if best <= free_result.bound
            else None
        ),
        unplanned_lp=unplanned,
        penalty_lp=penalty,
        iterations=iteration,
        columns=master.n_cols,
        seconds=round(time.perf_counter() - began, 2),
        lp_optimal=optimal,
        relaxation=RELAXATION_LAGS if lags else RELAXATION,
        history=tuple(history),
    )


def _lag_rows(problem: Problem, free: FreeState, dps: list[_DayPerson]) -> LagRows:
    """The lag rows over the days each part has a node on, with each person's coverage
    table (``_DayPerson.cov``) filled in."""
    n_days = free.builder.cal.n_days
    has = np.zeros((len(free.builder.parts), n_days), dtype=bool)
    for node in free.builder.nodes:
        for mask in node.days.values():
            has[node.part] |= np.asarray(mask, dtype=bool)
    rows = lag_rows(problem, free.builder.parts, [np.flatnonzero(h) for h in has])
    for dp in dps:
        cov = rows.cov_rows(dp.part, dp.days)
        dp.cov = np.where(dp.avail, cov, -1)
    return rows


def _iterate(
    problem: Problem,
    master: _DayMaster,
    dps: list[_DayPerson],
    y: _Duals,
    keep: int | None,
    budget: int,
    theta: float = -EPS,
) -> tuple[float, float, int]:
    """Price every person-day at ``y``: (Lagrangian bound, least reduced-cost bound, columns
    added: up to ``keep`` per person of reduced cost below ``theta``)."""
    bound = master.u_value(y)
    least, added = 0.0, 0
    for dp in dps:
        lower, found = _price_person(problem, dp, y, budget, theta)
        bound += float(np.minimum(lower, 0.0).sum())
        least = min(least, float(lower.min()) if lower.size else 0.0)
        found.sort(key=lambda f: f.reduced)
        added += sum(master.add(dp, f) for f in found[:keep])
    return bound, least, added
