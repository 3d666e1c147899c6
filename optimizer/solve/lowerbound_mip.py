"""A lower bound beyond the LP of the day-free relaxation (R): reduced-cost column enumeration
and an integer program with day-linking rows (docs/lower_bound.md, "Integer bound with
day-linking rows").

**Why.** The LP optimum of (R) (:mod:`optimizer.solve.lowerbound`) and of the day-indexed
relaxation (D) are both far below the planner's plans, while the integer optimum of (R) is not
a plan either: its routes, linked by the sessions they share (a team member's and a trainer's
route covering one session are on one day), form groups that must lie on one day, and many of
those groups need one person twice that day or an intake and its session on one day. Linear
rows that forbid this are satisfied by fractional mixtures at little cost, so the LP hardly
moves; in an integer program they bind.

**The bound.** Let ``L`` be the Lagrangian bound of (R) at duals ``y`` (module
:mod:`optimizer.solve.lowerbound`; at the LP optimum ``L`` = LP(R)) and ``delta >= 0``. Every
valid plan maps to an integer solution ``x`` of (R) with the plan's travel (plus its penalties)
as cost, and ``c.x >= L + rc_j`` for any route ``j`` it uses (weak duality, as in the
Lagrangian bound: the person's other routes cost at least the least reduced cost each). So a
plan that uses a route with ``rc_j > delta`` costs more than ``L + delta``; every other plan
is a solution of the integer program (P) over the routes with ``rc_j <= delta`` (all of
them, enumerated exactly: every single, pair and triple of every person in every order) with
the rows of (R) and the day-linking rows below, so it costs at least any lower bound ``B`` of
(P): its LP optimum, or the dual bound HiGHS proves for (P) (valid at any time limit). Hence
every valid plan costs at least ``min(B, L + delta)``, and never less than ``L``.

**Day-linking rows** (each holds for every valid plan; a team route and a trainer route that
cover the same session in the same slot are *linked*: both people are at that session, so the
two routes are on one day):

- *stage clash*: a team route with session slot ``X`` and a stage of organisation ``A``, and a
  trainer route with ``X`` and another stage of ``A`` cannot both be used (a session is >= 28
  days after its intake, a training >= 14 days after its session; an intake and a training
  only clash when ``A`` has a session). Row per (``X``, ``A``, team stage, trainer stage):
  the team routes of the first kind plus the trainer routes of the second kind ``<= 1`` (at
  most one team route and one trainer route cover ``X``).
- *one route a day*: a route of one role covering session slots ``X`` and ``Y`` puts both
  sessions on one day; then a person of the other role cannot cover ``X`` and ``Y`` in two
  different routes (two routes on one day). Row per (``X``, ``Y``, person ``q``): the routes of
  the first role with ``X`` and ``Y`` + ``q``'s routes with exactly one of ``X``, ``Y``
  ``<= 2``. For binary values this is the rule: when the first term is 1 the second is at
  most 1, and each term is at most 1 by the cover rows.

Units: minutes of travel plus the objective's penalties.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

import highspy
import numpy as np

from optimizer.domain import Problem, Role, Stage, Visit
from optimizer.solve.lowerbound import (
    EPS,
    BoundResult,
    _Master,
    _PersonNodes,
    _price,
    _Route,
    _timed,
    free_bound_state,
    record_iteration,
)
from optimizer.solve.mip import INF, _highs, run_for

RELAXATION = (
    "integer program over the day-free routes of reduced cost <= delta at the LP optimum of "
    "(R), with stage-clash and one-route-a-day rows between routes linked by a session; "
    "bound min(MIP dual bound, LP + delta)"
)


def _packed(pn: _PersonNodes) -> np.ndarray:
    """Each node's day mask as bits (nodes x words, uint8)."""
    return np.packbits(pn.masks > 0.5, axis=1)


def enumerate_routes(
    problem: Problem, pn: _PersonNodes, weight: np.ndarray, mu: float, delta: float
) -> dict[frozenset[int], float]:
    """Every route of ``pn`` (local node sets) whose reduced cost ``travel - sum(weight) - mu``
    is at most ``delta`` in its cheapest order, with that order's travel (minutes)
    (:func:`each_route`)."""
    out: dict[frozenset[int], float] = {}

    def put(members: list[np.ndarray], travel: np.ndarray) -> None:
        for *key, tr in zip(*(m.tolist() for m in members), travel.tolist(), strict=True):
            k = frozenset(key)
            if tr < out.get(k, np.inf):
                out[k] = tr

    each_route(problem, pn, weight, mu, delta, put)
    return out


def each_route(
    problem: Problem,
    pn: _PersonNodes,
    weight: np.ndarray,
    mu: float,
    delta: float,
    put: Callable[[list[np.ndarray], np.ndarray], None],
) -> None:
    """Hand ``put(members, travel)`` every ordered route of ``pn`` (singles, pairs, triples:
    arrays of local nodes per position, travel minutes) whose reduced cost
    ``travel - sum(weight) - mu`` is at most ``delta``; a node set may come in several orders.

    Exact: singles and ordered pairs by their tables; an ordered triple ``a -> b -> c`` costs
    ``left[a] + right[c] - w_b - mu`` with ``left[a] = t(h,a) + t(a,b) - w_a`` and
    ``right[c] = t(b,c) + t(c,h) - w_c``; a middle ``b`` (an end ``a``, ``c``) whose least
    completion is above ``delta`` has no such triple. Every candidate is checked for the
    organisations, a common day of all three nodes and the timing (as the pricing does)."""
    rc1 = pn.single - weight - mu
    a = np.flatnonzero(rc1 <= delta)
    if a.size:
        put([a], pn.single[a])
    stops = problem.rules.max_visits_per_day
    if stops >= 2:
        rc2 = pn.pair - weight[:, None] - weight[None, :] - mu
        a, b = np.nonzero(rc2 <= delta)
        if a.size:
            put([a, b], pn.pair[a, b])
    if stops >= 3:
        _enumerate_triples(problem, pn, weight, mu, delta, put)


def _enumerate_triples(problem, pn: _PersonNodes, weight, mu, delta, put) -> None:
    rules = problem.rules
    t = problem.travel.minutes.astype(float)[np.ix_(pn.loc, pn.loc)]
    ab_ok = np.isfinite(pn.pair)
    lw = np.where(ab_ok, pn.t_out[:, None] + t - weight[:, None], np.inf)  # rows a, cols b
    rw = np.where(ab_ok, t + pn.t_back[None, :] - weight[None, :], np.inf)  # rows b, cols c
    min_l, min_r = lw.min(axis=0), rw.min(axis=1)
    bits = _packed(pn)
    for b in np.flatnonzero(min_l + min_r - weight - mu <= delta):
        base = -weight[b] - mu
        a_idx = np.flatnonzero(lw[:, b] + min_r[b] + base <= delta)
        c_idx = np.flatnonzero(min_l[b] + rw[b, :] + base <= delta)
        if not a_idx.size or not c_idx.size:
            continue
        rc = lw[a_idx, b][:, None] + rw[b, c_idx][None, :] + base
        ok = pn.common[np.ix_(a_idx, c_idx)] & (rc <= delta)
        ia, ic = np.nonzero(ok)
        if not ia.size:
            continue
        a, c = a_idx[ia], c_idx[ic]
        keep = _timed(
            rules, pn.t_out[a], pn.t_back[c], [t[a, b], t[b, c]],
            [pn.lo[a], pn.lo[b], pn.lo[c]], [pn.hi[a], pn.hi[b], pn.hi[c]],
            [pn.dur[a], pn.dur[b], pn.dur[c]],
        )  # fmt: skip
        a, c = a[keep], c[keep]
        shared = (bits[a] & bits[b][None, :] & bits[c]).any(axis=1)
        a, c = a[shared], c[shared]
        if a.size:
            travel = pn.t_out[a] + t[a, b] + t[b, c] + pn.t_back[c]
            put([a, np.full(a.size, b), c], travel)


# ------------------------------------------------------------------------------ linking rows


def _linking_rows(problem: Problem, master: _Master) -> list[tuple[list[int], float]]:
    """The stage-clash and one-route-a-day rows over the master's routes (module doc):
    (columns, upper bound), every coefficient 1."""
    nodes = master.nodes
    visits = problem.visits
    role_of = {p.id: p.role for p in problem.people.values()}
    session = [visits[n.visit].stage is Stage.SESSION for n in nodes]
    # per route: its session slots and its (org, stage) pairs
    by_slot_stage: dict[tuple, list[int]] = defaultdict(list)
    pair_cols: dict[tuple, list[int]] = defaultdict(list)
    person_slot: dict[tuple, list[tuple[int, frozenset]]] = defaultdict(list)
    for (person, ks), col in master.columns.items():
        role = role_of[person]
        slots = {(nodes[k].visit, nodes[k].slot) for k in ks if session[k]}
        stages = {(nodes[k].org, visits[nodes[k].visit].stage) for k in ks}
        for x in slots:
            for org, stage in stages:
                if org != visits[x[0]].org:
                    by_slot_stage[(x, org, role, stage)].append(col)
            person_slot[(person, x)].append((col, frozenset(slots)))
        for x, y in itertools.combinations(sorted(slots), 2):
            pair_cols[(x, y, role)].append(col)
    rows: list[tuple[list[int], float]] = []
    stages_all = (Stage.INTAKE, Stage.SESSION, Stage.TRAINING)
    for (x, org, role, stage), cols in by_slot_stage.items():
        if role is not Role.TEAM:
            continue
        for other in stages_all:
            if other is stage or not _apart(problem, org, stage, other):
                continue
            mates = by_slot_stage.get((x, org, Role.TRAINER, other))
            if mates:
                rows.append((sorted(set(cols) | set(mates)), 1.0))
    people = {Role.TEAM: [], Role.TRAINER: []}
    for p in sorted(problem.people.values(), key=lambda p: p.id):
        people[p.role].append(p.id)
    for (x, y, role), cols in pair_cols.items():
        other = Role.TRAINER if role is Role.TEAM else Role.TEAM
        for q in people[other]:
            split = [
                c
                for s in (x, y)
                for c, slots in person_slot.get((q, s), [])
                if (x in slots) != (y in slots)
            ]
            if split:
                rows.append((sorted(set(cols) | set(split)), 2.0))
    return rows


def _apart(problem: Problem, org: str, first: Stage, second: Stage) -> bool:
    """Whether two stages of ``org`` are never on one day: a session is >= 28 days after its
    intake, a training >= 14 days after its session when the organisation has one."""
    stages = {first, second}
    if Stage.SESSION in stages:
        return True
    return Visit.make_id(org, Stage.SESSION) in problem.visits


# ------------------------------------------------------------------------------ the bound


def mip_bound(
    problem: Problem,
    *,
    time_limit: float = 900,
    delta: float = 20.0,
    max_routes: int = 300_000,
    free_share: float = 0.3,
    linking: bool = True,
    progress: Callable[[dict], None] | None = None,
) -> BoundResult:
    """``min(B, L + delta)`` of the module doc: the day-free column generation (at most
    ``free_share`` of ``time_limit``; when it does not reach the LP optimum the bound is its
    Lagrangian bound), the routes of reduced cost <= ``delta`` enumerated exactly, then the
    LP relaxation of the program with the day-linking rows (``linking``), and only when its
    optimum is below ``L + delta`` the integer program in HiGHS for the remaining time (``B``
    is the better of the two lower bounds; HiGHS's dual bound is valid at any time limit).
    When more than ``max_routes`` routes qualify, ``delta`` is lowered to keep the
    ``max_routes`` of least reduced cost (all routes at or below the lowered ``delta`` are
    kept, so the bound stays valid)."""
    began = time.perf_counter()
    free, state = free_bound_state(
        problem, time_limit=time_limit * free_share, progress=progress, began=began
    )
    history = list(free.history)
    if not free.lp_optimal:
        return free
    fm = state.master
    lagrange = fm.dual_value(state.y)
    found: list[tuple[float, float, _PersonNodes, frozenset[int]]] = []
    for pn in state.people:
        w, mu = fm.weights(pn, state.y)
        least, _ = _price(problem, pn, w, mu, 0)
        lagrange += fm.cap[pn.person] * min(0.0, least)
        for local, travel in enumerate_routes(problem, pn, w, mu, delta).items():
            found.append((travel - float(w[list(local)].sum()) - mu, travel, pn, local))
    if len(found) > max_routes:  # keep the routes below the (max_routes + 1)-th reduced cost
        rc = np.array([f[0] for f in found])
        cut = np.partition(rc, max_routes)[max_routes]
        found = [f for f in found if f[0] < cut]
        delta = max((f[0] for f in found), default=0.0)
    master = _Master(problem, state.builder, state.people)
    for _, travel, pn, local in found:
        nodes = tuple(int(pn.ids[a]) for a in sorted(local))
        master.add(_Route(pn.person, nodes, travel, 0.0), pn.role)
    enum_s = time.perf_counter() - began
    rows = _linking_rows(problem, master) if linking else []
    for cols, upper in rows:
        idx = np.asarray(cols, dtype=np.int32)
        master.h.addRow(-INF, upper, idx.size, idx, np.ones(idx.size))
    dual, primal, status = _root_lp(master, max(1.0, time_limit - (time.perf_counter() - began)))
    if dual < lagrange + delta:  # the LP relaxation does not settle it: the integer program
        left = max(1.0, time_limit - (time.perf_counter() - began))
        mip_dual, primal, status = _solve_mip(master, left)
        dual = max(dual, mip_dual)
    bound = max(lagrange, min(dual, lagrange + delta))
    record_iteration(
        history, progress, began, len(history) + 1, dual, bound, bound,
        master.n_cols, 0.0, len(found), relaxation="mip", mip_dual=dual,
        mip_primal=primal if primal < INF else None, mip_status=status,
        linking_rows=len(rows), enumerate_s=round(enum_s, 2), lagrange=lagrange, delta=delta,
    )  # fmt: skip
    return replace(
        free,
        bound=float(bound),
        travel_bound=None if free.travel_bound is None else float(bound),
        iterations=free.iterations + 1,
        columns=master.n_cols,
        seconds=round(time.perf_counter() - began, 2),
        relaxation=RELAXATION,
        history=tuple(history),
    )


def _root_lp(master: _Master, time_limit: float) -> tuple[float, float, str]:
    """(a lower bound from the LP relaxation, inf, its status): the LP optimum less a
    relative 1e-6, or -inf when the LP was not solved to optimality in ``time_limit``."""
    run_for(master.h, time_limit)
    status = master.h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return -np.inf, INF, "LP: " + master.h.modelStatusToString(status)
    value = float(master.h.getInfo().objective_function_value)
    return value - 1e-6 * max(1.0, abs(value)), INF, "LP optimal"


def _solve_mip(master: _Master, time_limit: float) -> tuple[float, float, str]:
    """(HiGHS's dual bound, the best integer objective or inf, the model status) of the
    master with every route variable integer."""
    lp = master.h.getLp()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
    h = _highs(time_limit)
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        value = float(info.objective_function_value)
        return float(info.mip_dual_bound) - EPS * max(1.0, abs(value)), value, status
    primal = float(info.objective_function_value) if info.primal_solution_status else INF
    return float(info.mip_dual_bound), primal, status
