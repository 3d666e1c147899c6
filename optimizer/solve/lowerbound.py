"""A lower bound on the objective that holds for every plan obeying the rules, by column
generation on a relaxation of the whole problem (docs/lower_bound.md has the derivation).

**The exact problem as a set partitioning.** A plan is a set of *person-day routes*: one person,
one working day, home -> at most ``max_visits_per_day`` appointments -> home. Its objective
(:mod:`optimizer.solve.objective`) is the travel minutes of its routes, plus 100,000 (5,000) per
required (optional) visit left unplanned, plus the disruption and earliness terms, which are
>= 0. A visit needs *parts*: an intake one team member, a session one team member and one
trainer (together), a training one trainer with its skill. Every valid plan therefore picks
routes that cover each part of each planned visit once and no part of an unplanned one.

**The relaxation (R).** Every relaxation step below only *adds* choices or *drops* rules, so the
optimum of (R) is <= the objective of every valid plan, and so is the optimum of its LP.

1. *Day identity dropped.* A column is a route of one person through a set of at most 3
   *nodes*, without a date. A node is a part of a visit in a *slot* (office hours for intakes
   and trainings, the afternoon or the evening for a session). A route may use a set of nodes
   only if (a) each node has a day on which the visit has a start range in its slot
   (:func:`optimizer.solve.slots.start_ranges`: working days, office hours / afternoon /
   evening, council days, recess, the mayor's busy blocks for intakes, explicit availability,
   the deadline, the requested window) on which the person is free for some start in it
   (``Person.available``/``unavailable``) that they can reach from home at or after
   ``work_start`` and leave in time to be home by ``evening_end``, within
   ``max_work_min_per_day`` (least travel over any chain of legs, :func:`shortest_paths`),
   (b) all its nodes share such a day, (c) no two
   nodes belong to one organisation (an intake and its session are >= 28 days apart, a
   session and its training >= 14 days; a team member never does a training, a trainer never
   an intake), (d) the
   order of the route can be timed on one day with each node's start inside the *hull* of
   its start ranges over all its days (a superset of the start minutes of any one day):
   leave home at or after ``work_start``, arrive before each start, leave when the previous
   ends, back home by ``evening_end``, at most ``max_work_min_per_day`` from leaving home
   to coming back (the least possible working time of that order, found by starting the
   first visit as late as the others allow). The route costs the travel of its cheapest
   feasible order. Every day route of a valid plan satisfies (a)-(d), with the same travel.
2. *Rows.* Each part is covered once, or its visit is unplanned (``u_v`` in every part row
   of ``v``, at the objective's penalty). A session's team-member and trainer coverage in
   each slot are equal (*slot synchronisation*: in a valid plan both are at the same
   session at the same time). A person uses at most as many routes as the days on which
   they can do anything (one route per person-day, summed). A team member has at most
   ``max_evenings_per_week`` routes with an evening session per ISO week in which they can
   work, a trainer at most ``max_sessions_per_week`` sessions (both summed over the weeks;
   a route with an evening session always ends after 17:30, so it is an evening). A session
   is unplanned if its intake is, a training if its organisation's session is
   (``u_intake <= u_session <= u_training``).
3. *Valid day restrictions* (stated by the rules, so nothing is lost): a session's days lie in
   [first possible intake day + 28, last possible intake day + 182] of its organisation, a
   training's days on or after the first possible session day + 14 (when the organisation
   has a session). Pinned appointments keep their people, day and start.
4. *Dropped*: the disruption and earliness terms (>= 0), the exact lags between the chosen
   dates, the exact weekly limits, and the one-route-per-person-*day* rule (only its sum
   over the days is kept).

**Column generation with complete pricing.** The restricted master LP (HiGHS, simplex) starts
from every single-node route. Pricing is exact over all routes of (R): for each person, every
single, every ordered pair and every ordered triple with a common day is priced
(numpy, a triple's middle node at a time, skipping a middle node whose best left and right
halves cannot make a negative reduced cost). The best routes of negative reduced cost join the
master. With the master's duals ``y`` (sign-corrected), every iteration yields a valid bound
(Lagrangian / weak duality):

    bound = y . b + sum_persons cap_p * min(0, least reduced cost of p)
                  + sum_visits min(0, reduced cost of u_v)

since every column of person ``p`` has reduced cost >= the least one and at most ``cap_p`` of
them are used, and ``u_v <= 1``. When no route has negative reduced cost the bound equals the
LP optimum of (R), which is then proven (``lp_optimal``).

The *day-indexed* relaxation (D) (``full_problem_bound(..., relaxation="day")``,
:mod:`optimizer.solve.lowerbound_day`) keeps the day of every route: one route per person-day,
session synchronisation per day, weekly limits per ISO week; it starts from this module's
column generation (:func:`free_bound_state`).

Units: minutes of travel plus the objective's penalties (travel-minute equivalents); day
indices and minutes of the day (:mod:`optimizer.timeaxis`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import highspy
import numpy as np

from optimizer.domain import Interval, Person, Problem, Role, Skill, Stage, Visit, base_id
from optimizer.solve import objective
from optimizer.solve.mip import INF, _highs
from optimizer.solve.slots import Calendar, by_day, start_ranges, subtract
from optimizer.timeaxis import MINUTES_PER_DAY

RELAXATION = (
    "day-free route relaxation: person routes of <= 3 (visit part, slot) nodes with pairwise "
    "common days, hull time windows and the day limits; cover rows, slot synchronisation of "
    "sessions, per-person day/evening/session capacities, stage dependencies"
)
SEPARATE = (
    "the day-free route relaxation on separate days per stage: no route holds two stages "
    "(an intake and a session, or a session and a training, never on one person's day); a "
    "lower bound only for plans that keep the stages on separate days, not for every plan"
)
OFFICE, AFTERNOON, EVENING = 0, 1, 2
EPS = 1e-6


@dataclass(frozen=True)
class BoundResult:
    """A lower bound on the objective of every valid plan (travel minutes + penalties).

    ``bound``: the best valid bound found (objective units); ``lp_value``: the last restricted
    master's optimum (equal to ``bound`` when ``lp_optimal``); ``unplanned_lp``: the master's
    sum of unplanned-visit variables and ``penalty_lp`` their penalty; ``travel_bound``: a
    bound on the travel minutes of every plan that plans every visit, given when the LP
    plans everything (then it is ``bound``), else None (see :meth:`travel_bound_given`).
    """

    bound: float
    lp_value: float
    travel_bound: float | None
    unplanned_lp: float
    penalty_lp: float
    iterations: int
    columns: int
    seconds: float
    lp_optimal: bool
    relaxation: str = RELAXATION
    nodes: int = 0
    history: tuple[dict, ...] = field(default=(), repr=False)

    def travel_bound_given(self, penalty: float) -> float:
        """A bound on the travel minutes of every valid plan whose penalties for unplanned
        visits total ``penalty`` (objective = travel + penalty >= ``bound``)."""
        return self.bound - penalty


# ------------------------------------------------------------------------------ nodes


@dataclass
class _Node:
    """One part of a visit in one slot, with the days each person can do it on."""

    part: int
    visit: str
    org: str
    role: Role
    slot: int
    loc: int
    dur: int
    lo: int
    hi: int
    days: dict[str, np.ndarray]
    """Person id -> bool mask over day indices."""


def _person_free_days(person: Person, n_days: int) -> tuple[bool, dict[int, list[Interval]]]:
    """(free on an untouched day, {day: free intervals} for days the calendars touch)."""
    whole = [(0, n_days * MINUTES_PER_DAY)]
    if person.available is None:
        touched = by_day(person.unavailable)
        free = by_day(subtract(whole, person.unavailable))
        return True, {d: free.get(d, []) for d in touched}
    free = by_day(subtract(list(person.available), person.unavailable))
    return False, free


def _fits(
    ranges: list[tuple[int, int]], free: list[Interval], dur: int, reach: tuple[int, int]
) -> bool:
    """Some start in ``ranges`` and in ``reach`` (earliest, latest start minute) gives
    ``[s, s + dur)`` inside one free interval."""
    for lo, hi in ranges:
        lo, hi = max(lo, reach[0]), min(hi, reach[1])
        for a, b in free:
            s = max(lo, a)
            if s <= hi and s + dur <= b:
                return True
    return False


def shortest_paths(minutes: np.ndarray) -> np.ndarray:
    """The least travel minutes between every two places over any chain of legs (the matrix
    closed under the triangle inequality, Floyd-Warshall): a lower bound on the travel
    between them in any route, whatever it visits on the way."""
    dist = np.asarray(minutes, dtype=np.int64).copy()
    for k in range(dist.shape[0]):
        np.minimum(dist, dist[:, k : k + 1] + dist[k : k + 1, :], out=dist)
    return dist


def _slot_of(problem: Problem, visit: Visit, minute: int) -> int:
    if visit.stage is not Stage.SESSION:
        return OFFICE
    return EVENING if minute % MINUTES_PER_DAY >= problem.rules.evening[0] else AFTERNOON


def _eligible(problem: Problem, visit: Visit, role: Role) -> list[Person]:
    people = [p for p in problem.people.values() if p.role is role]
    if role is Role.TEAM:
        return people
    need = Skill.SESSION if visit.stage is Stage.SESSION else visit.skill or Skill.GROUP_TRAINING
    return [p for p in people if need in p.skills]


def _parts(visit: Visit) -> list[Role]:
    if visit.stage is Stage.INTAKE:
        return [Role.TEAM]
    if visit.stage is Stage.SESSION:
        return [Role.TEAM, Role.TRAINER]
    return [Role.TRAINER]


class _Builder:
    """Nodes of every visit part (module doc, step 1 (a) and step 3)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.cal = Calendar.of(problem)
        n = self.cal.n_days
        self.free = {p.id: _person_free_days(p, n) for p in problem.people.values()}
        self.closure = shortest_paths(problem.travel.minutes)
        self.pins = {a.visit_id: a for a in problem.pins}
        self.parts: list[tuple[str, Role]] = []
        self.nodes: list[_Node] = []

    def build(self) -> None:
        order = {Stage.INTAKE: 0, Stage.SESSION: 1, Stage.TRAINING: 2}
        visits = sorted(self.problem.visits.values(), key=lambda v: (order[v.stage], v.id))
        first_day: dict[tuple[str, Stage], tuple[int, int]] = {}
        for visit in visits:
            window = self._window(visit, first_day)
            for role in _parts(visit):
                self.parts.append((visit.id, role))
                part = len(self.parts) - 1
                if visit.id in self.pins:
                    self._pinned(visit, role, part)
                elif window is not None:
                    self._free(visit, role, part, window)
            days = [
                np.flatnonzero(m)
                for node in self.nodes
                if node.visit == visit.id
                for m in node.days.values()
            ]
            days = [d for d in days if d.size]
            if days:
                both = np.concatenate(days)
                first_day[(visit.org, visit.stage)] = (int(both.min()), int(both.max()))

    def _window(
        self, visit: Visit, first_day: dict[tuple[str, Stage], tuple[int, int]]
    ) -> tuple[int, int] | None:
        """Day indices the rules leave to ``visit`` given its earlier stages (step 3)."""
        rules, problem = self.problem.rules, self.problem
        if visit.stage is Stage.SESSION:
            intake = first_day.get((visit.org, Stage.INTAKE))
            if Visit.make_id(visit.org, Stage.INTAKE) not in problem.visits or intake is None:
                return None
            return intake[0] + rules.session_lag_min_days, intake[1] + rules.session_lag_max_days
        has_session = Visit.make_id(visit.org, Stage.SESSION) in problem.visits
        if visit.stage is Stage.TRAINING and has_session:
            session = first_day.get((visit.org, Stage.SESSION))
            if session is None:
                return None
            return session[0] + rules.training_lag_min_days, self.cal.n_days - 1
        return 0, self.cal.n_days - 1

    def _pinned(self, visit: Visit, role: Role, part: int) -> None:
        pin = self.pins[visit.id]
        for pid in pin.people:
            person = self.problem.people.get(pid)
            if person is None or person.role is not role:
                continue
            mask = np.zeros(self.cal.n_days, dtype=bool)
            day = pin.start // MINUTES_PER_DAY
            if 0 <= day < self.cal.n_days:
                mask[day] = True
            minute = pin.start % MINUTES_PER_DAY
            self._add(visit, role, part, _slot_of(self.problem, visit, pin.start), minute, minute,
                      pin.end - pin.start, {pid: mask})  # fmt: skip

    def _free(self, visit: Visit, role: Role, part: int, window: tuple[int, int]) -> None:
        ranges = start_ranges(self.problem, visit, self.cal)
        by_slot: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(dict)
        for day, rs in ranges.items():
            if window[0] <= day <= window[1]:
                for r in rs:
                    by_slot[_slot_of(self.problem, visit, r[0])].setdefault(day, []).append(r)
        people = _eligible(self.problem, visit, role)
        for slot, days in sorted(by_slot.items()):
            masks = {}
            for person in people:
                mask = self._person_days(person, visit, days)
                if mask.any():
                    masks[person.id] = mask
            if not masks:
                continue
            starts = [r for rs in days.values() for r in rs]
            lo = min(a % MINUTES_PER_DAY for a, _ in starts)
            hi = max(a % MINUTES_PER_DAY + (b - a) for a, b in starts)
            self._add(visit, role, part, slot, lo, hi, visit.duration_min, masks)

    def _person_days(
        self, person: Person, visit: Visit, days: dict[int, list[tuple[int, int]]]
    ) -> np.ndarray:
        """Days on which ``person`` can do ``visit`` alone: a start in the day's ranges that
        the person is free for, reached from home at or after ``work_start`` and left in time
        to be home by ``evening_end``, within ``max_work_min_per_day`` (least travel over any
        chain of legs, so a route through other visits cannot do better)."""
        rules = self.problem.rules
        default, special = self.free[person.id]
        dur = visit.duration_min
        index = self.problem.travel.index
        home, there = index[base_id(person.id)], index[visit.org]
        out, back = int(self.closure[home, there]), int(self.closure[there, home])
        mask = np.zeros(self.cal.n_days, dtype=bool)
        if out + dur + back > rules.max_work_min_per_day:
            return mask
        for day, rs in days.items():
            base = day * MINUTES_PER_DAY
            reach = (base + rules.work_start + out, base + rules.evening_end - back - dur)
            free = special[day] if day in special else [(base, base + MINUTES_PER_DAY)]
            mask[day] = (day in special or default) and _fits(rs, free, dur, reach)
        return mask

    def _add(self, visit, role, part, slot, lo, hi, dur, masks) -> None:
        loc = self.problem.travel.index[visit.org]
        self.nodes.append(_Node(part, visit.id, visit.org, role, slot, loc, dur, lo, hi, masks))


# ------------------------------------------------------------------------------ pricing


@dataclass
class _PersonNodes:
    """One person's nodes as arrays, with the pair tables of step 1 (b)-(d)."""

    person: str
    role: Role
    home: int
    ids: np.ndarray
    """Global node indices."""
    loc: np.ndarray
    dur: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    t_out: np.ndarray
    t_back: np.ndarray
    single: np.ndarray
    """Travel of the single-node route (inf when it cannot be timed)."""
    pair: np.ndarray
    """pair[a, b]: travel of home -> a -> b -> home (inf when that order cannot be timed)."""
    common: np.ndarray
    """common[a, c]: a and c share a day and not an organisation (any two nodes of a route)."""
    masks: np.ndarray
    """masks[a, d]: 1.0 when the person can do node a on day d (float32, for products)."""


def _timed(rules, t_out, t_back, legs: list, lo: list, hi: list, dur: list) -> np.ndarray:
    """Whether the order ``0 -> 1 -> ...`` can be timed in one day (broadcast arrays).

    Latest starts backwards from home by ``evening_end``; the first visit starts as late as the
    rest allows (which gives the least working time), the rest as early as possible; leave
    home at or after ``work_start``, work at most ``max_work_min_per_day``."""
    m = len(lo)
    latest = [None] * m
    latest[m - 1] = np.minimum(hi[m - 1], rules.evening_end - t_back - dur[m - 1])
    for i in range(m - 2, -1, -1):
        latest[i] = np.minimum(hi[i], latest[i + 1] - dur[i] - legs[i])
    ok = latest[0] >= np.maximum(lo[0], rules.work_start + t_out)
    for i in range(1, m):
        ok = ok & (lo[i] <= latest[i])
    s = latest[0]
    for i in range(1, m):
        s = np.maximum(lo[i], s + dur[i - 1] + legs[i - 1])
    work = s + dur[m - 1] + t_back - latest[0] + t_out
    return ok & (work <= rules.max_work_min_per_day)


def _person_nodes(
    problem: Problem, person: Person, nodes: list[_Node], mix_stages: bool = True
) -> _PersonNodes | None:
    """``person``'s nodes and pair tables; ``mix_stages=False`` keeps nodes of different
    stages off one route (relaxation ``separate``)."""
    mine = [k for k, node in enumerate(nodes) if person.id in node.days]
    if not mine:
        return None
    rules = problem.rules
    minutes = problem.travel.minutes.astype(float)
    home = problem.travel.index[base_id(person.id)]
    loc = np.array([nodes[k].loc for k in mine])
    dur = np.array([nodes[k].dur for k in mine], dtype=float)
    lo = np.array([nodes[k].lo for k in mine], dtype=float)
    hi = np.array([nodes[k].hi for k in mine], dtype=float)
    orgs = np.unique([nodes[k].org for k in mine], return_inverse=True)[1]
    masks = np.array([nodes[k].days[person.id] for k in mine], dtype=np.float32)
    common = (masks @ masks.T) > 0.5
    common &= orgs[:, None] != orgs[None, :]
    if not mix_stages:
        stage = np.unique([problem.visits[nodes[k].visit].stage for k in mine], return_inverse=True)
        common &= stage[1][:, None] == stage[1][None, :]
    t_out, t_back = minutes[home, loc], minutes[loc, home]
    ok1 = _timed(rules, t_out, t_back, [], [lo], [hi], [dur])
    single = np.where(ok1, t_out + t_back, np.inf)
    t = minutes[np.ix_(loc, loc)]
    c, r = (slice(None), None), (None, slice(None))
    ok2 = _timed(rules, t_out[c], t_back[r], [t], [lo[c], lo[r]], [hi[c], hi[r]], [dur[c], dur[r]])
    ok2 &= common & ok1[c] & ok1[r]
    pair = np.where(ok2, t_out[c] + t + t_back[r], np.inf)
    return _PersonNodes(
        person.id, person.role, home, np.array(mine), loc, dur, lo, hi, t_out, t_back,
        single, pair, common, masks,
    )  # fmt: skip


@dataclass
class _Route:
    person: str
    nodes: tuple[int, ...]
    """Global node indices, in the order priced."""
    travel: float
    reduced: float


def _price(
    problem: Problem, pn: _PersonNodes, weight: np.ndarray, mu: float, keep: int
) -> tuple[float, list[_Route]]:
    """The least reduced cost over every route of ``pn`` (exact) and up to ``keep`` distinct
    routes of negative reduced cost, best first. ``weight``: each local node's duals;
    ``mu``: the dual of the person's route count."""
    stops = problem.rules.max_visits_per_day
    found: list[tuple[float, float, tuple[int, ...]]] = []
    rc1 = pn.single - weight - mu
    best = float(rc1.min())
    _collect(found, rc1[:, None], pn.single[:, None], lambda a, b: (a,), keep)
    if stops >= 2:
        rc2 = pn.pair - weight[:, None] - weight[None, :] - mu
        best = min(best, float(rc2.min()))
        _collect(found, rc2, pn.pair, lambda a, b: (a, b), keep)
    if stops >= 3:
        best = min(best, _triples(problem, pn, weight, mu, found, keep, best))
    found.sort()
    routes, seen = [], set()
    for rc, travel, local in found:
        key = frozenset(local)
        if key in seen:
            continue
        seen.add(key)
        routes.append(_Route(pn.person, tuple(int(pn.ids[i]) for i in local), travel, rc))
        if len(routes) >= keep:
            break
    return best, routes


def _collect(found, rc: np.ndarray, travel: np.ndarray, key, keep: int) -> None:
    flat = rc.ravel()
    neg = np.flatnonzero(flat < -EPS)
    if neg.size > keep:
        neg = neg[np.argpartition(flat[neg], keep)[:keep]]
    n = rc.shape[1]
    for i in neg:
        a, b = divmod(int(i), n)
        found.append((float(flat[i]), float(travel[a, b]), key(a, b)))


def _triples(problem, pn: _PersonNodes, weight, mu, found, keep, best: float) -> float:
    """Least reduced cost of the triples when below ``best`` (else inf; exact), and their
    routes of reduced cost below half the least into ``found`` (a few per middle node).

    A triple a -> b -> c costs ``t(h,a) + t(a,b) + t(b,c) + t(c,h)``; for each middle node
    ``b`` the halves ``left[a] = t(h,a) + t(a,b) - w_a`` and ``right[c] = t(b,c) + t(c,h) - w_c``
    bound it from below, so middle nodes (and then a, c) that cannot reach the threshold are
    skipped without losing the least one."""
    rules = problem.rules
    minutes = problem.travel.minutes.astype(float)
    t = minutes[np.ix_(pn.loc, pn.loc)]
    ab_ok = np.isfinite(pn.pair)
    lw = np.where(ab_ok, pn.t_out[:, None] + t - weight[:, None], np.inf)  # rows a, cols b
    rw = np.where(ab_ok, t + pn.t_back[None, :] - weight[None, :], np.inf)  # rows b, cols c
    min_l = lw.min(axis=0)
    min_r = rw.min(axis=1)
    bound_b = min_l + min_r - weight - mu
    least = np.inf
    per_b = max(3, keep // 40)
    for b in np.argsort(bound_b):
        cut = 0.5 * min(best, least, 0.0)
        if not bound_b[b] < cut - EPS:
            break
        base = -weight[b] - mu
        a_idx = np.flatnonzero(lw[:, b] + min_r[b] + base < cut)
        c_idx = np.flatnonzero(min_l[b] + rw[b, :] + base < cut)
        if not a_idx.size or not c_idx.size:
            continue
        rc = lw[a_idx, b][:, None] + rw[b, c_idx][None, :] + base
        ok = pn.common[np.ix_(a_idx, c_idx)] & (rc < cut)
        if not ok.any():
            continue
        a2, c2 = a_idx[:, None], c_idx[None, :]
        ok &= _timed(
            rules, pn.t_out[a2], pn.t_back[c2], [t[a2, b], t[b, c2]],
            [pn.lo[a2], pn.lo[b], pn.lo[c2]], [pn.hi[a2], pn.hi[b], pn.hi[c2]],
            [pn.dur[a2], pn.dur[b], pn.dur[c2]],
        )  # fmt: skip
        if not ok.any():
            continue
        rows, cols = np.flatnonzero(ok.any(axis=1)), np.flatnonzero(ok.any(axis=0))
        shared = (pn.masks[a_idx[rows]] * pn.masks[b]) @ pn.masks[c_idx[cols]].T > 0.5
        ok[np.ix_(rows, cols)] &= shared  # a day on which all three can be done
        masked = np.where(ok, rc, np.inf)
        least = min(least, float(masked.min()))
        flat = masked.ravel()
        neg = np.flatnonzero(flat < -EPS)
        if neg.size > per_b:
            neg = neg[np.argpartition(flat[neg], per_b)[:per_b]]
        for i in neg:
            ia, ic = divmod(int(i), c_idx.size)
            a, c = int(a_idx[ia]), int(c_idx[ic])
            travel = pn.t_out[a] + t[a, b] + t[b, c] + pn.t_back[c]
            found.append((float(flat[i]), float(travel), (a, int(b), c)))
    return least


# ------------------------------------------------------------------------------ master


class _Master:
    """The restricted master LP (module doc, step 2) in HiGHS, grown column by column."""

    def __init__(self, problem: Problem, builder: _Builder, people: list[_PersonNodes]) -> None:
        self.problem = problem
        self.nodes = builder.nodes
        rules = problem.rules
        cal = builder.cal
        rows_lo: list[float] = []
        rows_hi: list[float] = []

        def row(lo: float, hi: float) -> int:
            rows_lo.append(lo)
            rows_hi.append(hi)
            return len(rows_lo) - 1

        self.part_row = [row(1.0, 1.0) for _ in builder.parts]
        sync: dict[tuple[str, int], int] = {}
        self.node_sync = np.full(len(self.nodes), -1)
        self.node_sign = np.zeros(len(self.nodes))
        for k, node in enumerate(self.nodes):
            if self.problem.visits[node.visit].stage is Stage.SESSION:
                key = (node.visit, node.slot)
                if key not in sync:
                    sync[key] = row(0.0, 0.0)
                self.node_sync[k] = sync[key]
                self.node_sign[k] = 1.0 if node.role is Role.TEAM else -1.0
        self.node_part = np.array([self.part_row[n.part] for n in self.nodes])
        self.node_evening = np.array([n.slot == EVENING for n in self.nodes])
        self.node_session = np.array([n.slot in (AFTERNOON, EVENING) for n in self.nodes])
        self.cap_row, self.week_row, self.cap = {}, {}, {}
        for pn in people:
            days = np.zeros(cal.n_days, dtype=bool)
            week_days = np.zeros(cal.n_days, dtype=bool)
            for k in pn.ids:
                days |= self.nodes[k].days[pn.person]
                if self.node_session[k] and (pn.role is Role.TRAINER or self.node_evening[k]):
                    week_days |= self.nodes[k].days[pn.person]
            self.cap[pn.person] = float(days.sum())
            self.cap_row[pn.person] = row(-INF, self.cap[pn.person])
            weeks = len({cal.iso_week(int(d)) for d in np.flatnonzero(week_days)})
            limit = rules.max_evenings_per_week if pn.role is Role.TEAM else (
                rules.max_sessions_per_week)  # fmt: skip
            self.week_row[pn.person] = row(-INF, float(limit * weeks))
        self.row_lo, self.row_hi = np.array(rows_lo), np.array(rows_hi)
        self.h = _highs(1e9)
        self.h.setOptionValue("solver", "simplex")
        lp = highspy.HighsLp()
        lp.num_row_ = len(rows_lo)
        lp.row_lower_ = self.row_lo
        lp.row_upper_ = self.row_hi
        self.h.passModel(lp)
        self._unplanned(builder)
        self.columns: dict[tuple[str, frozenset[int]], int] = {}
        self.cost: dict[int, float] = {}
        self.n_cols = len(self.u_cols)

    def _unplanned(self, builder: _Builder) -> None:
        """One ``u_v`` per visit at its penalty, in its part rows and the dependency rows."""
        parts_of: dict[str, list[int]] = defaultdict(list)
        for i, (visit, _) in enumerate(builder.parts):
            parts_of[visit].append(self.part_row[i])
        self.u_cols: list[tuple[str, float, list[tuple[int, float]]]] = []
        visits = self.problem.visits
        entries = {v: [(r, 1.0) for r in parts_of[v]] for v in visits}
        for org in sorted({v.org for v in visits.values()}):
            chain = [Visit.make_id(org, s) for s in (Stage.INTAKE, Stage.SESSION, Stage.TRAINING)]
            chain = [v for v in chain if v in visits]
            for first, then in zip(chain, chain[1:], strict=False):
                r = self.h.getNumRow()
                self.h.addRow(-INF, 0.0, 0, np.array([], dtype=np.int32), np.array([]))
                self.row_lo = np.append(self.row_lo, -INF)
                self.row_hi = np.append(self.row_hi, 0.0)
                entries[first].append((r, 1.0))
                entries[then].append((r, -1.0))
        for v, visit in sorted(visits.items()):
            pen = objective.unplanned_penalty(visit)
            self.u_cols.append((v, pen, entries[v]))
            self._add_col(pen, entries[v])

    def _add_col(self, cost: float, entries: list[tuple[int, float]]) -> None:
        idx = np.array([r for r, _ in entries], dtype=np.int32)
        val = np.array([c for _, c in entries], dtype=float)
        self.h.addCol(float(cost), 0.0, INF, len(idx), idx, val)

    def add(self, route: _Route, role: Role) -> bool:
        key = (route.person, frozenset(route.nodes))
        if key in self.columns:
            col = self.columns[key]
            if route.travel < self.cost[col] - 1e-9:  # a cheaper order of the same set
                self.cost[col] = route.travel
                self.h.changeColCost(col, route.travel)
                return True
            return False
        entries: dict[int, float] = defaultdict(float)
        for k in route.nodes:
            entries[int(self.node_part[k])] += 1.0
            if self.node_sync[k] >= 0:
                entries[int(self.node_sync[k])] += self.node_sign[k]
        entries[self.cap_row[route.person]] += 1.0
        nodes = list(route.nodes)
        if role is Role.TEAM and self.node_evening[nodes].any():
            entries[self.week_row[route.person]] += 1.0
        if role is Role.TRAINER and self.node_session[nodes].any():
            entries[self.week_row[route.person]] += float(self.node_session[nodes].sum())
        self.columns[key] = self.n_cols
        self.cost[self.n_cols] = route.travel
        self.n_cols += 1
        self._add_col(route.travel, sorted(entries.items()))
        return True

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(optimum, row duals with the signs weak duality needs, column values)."""
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP: {self.h.modelStatusToString(self.h.getModelStatus())}")
        sol = self.h.getSolution()
        y = np.asarray(sol.row_dual, dtype=float)
        y = np.where(np.isfinite(self.row_lo), y, np.minimum(y, 0.0))  # <= rows: y <= 0
        return self.h.getInfo().objective_function_value, y, np.asarray(sol.col_value)

    def weights(self, pn: _PersonNodes, y: np.ndarray) -> tuple[np.ndarray, float]:
        """Each node's dual weight for ``pn`` and the dual of its route-count row."""
        ids = pn.ids
        w = y[self.node_part[ids]].copy()
        has = self.node_sync[ids] >= 0
        w[has] += self.node_sign[ids][has] * y[self.node_sync[ids][has]]
        week = y[self.week_row[pn.person]]
        if pn.role is Role.TEAM:
            w[self.node_evening[ids]] += week
        else:
            w[self.node_session[ids]] += week
        return w, float(y[self.cap_row[pn.person]])

    def dual_value(self, y: np.ndarray) -> float:
        """``y . b`` plus ``min(0, reduced cost)`` of each ``u_v`` (``u_v <= 1``)."""
        rhs = np.where(np.isfinite(self.row_lo), self.row_lo, self.row_hi)
        value = float(y @ rhs)
        for _, pen, entries in self.u_cols:
            value += min(0.0, pen - sum(y[r] * c for r, c in entries))
        return value


# ------------------------------------------------------------------------------ the bound


def record_iteration(
    history: list[dict],
    progress: Callable[[dict], None] | None,
    began: float,
    iteration: int,
    lp_value: float,
    bound: float,
    best: float,
    columns: int,
    least: float,
    added: int,
    **extra,
) -> dict:
    """One column-generation iteration as a progress event: appended to ``history`` and
    handed to ``progress``; ``extra`` fields are added as they are."""
    event = {
        "iteration": iteration,
        "elapsed_s": round(time.perf_counter() - began, 2),
        "lp": float(lp_value),
        "bound": float(bound),
        "best_bound": float(best),
        "columns": columns,
        "least_reduced": float(least),
        "added": added,
        **extra,
    }
    history.append(event)
    if progress is not None:
        progress(event)
    return event


def full_problem_bound(
    problem: Problem,
    *,
    relaxation: str = "free",
    time_limit: float = 600,
    progress: Callable[[dict], None] | None = None,
    keep: int = 150,
) -> BoundResult:
    """A lower bound on the objective of every valid plan of ``problem`` (module doc).

    ``relaxation="free"``: column generation on the day-free relaxation (R) until no route
    has a negative reduced cost (the LP optimum of (R), ``lp_optimal``) or ``time_limit``
    seconds pass (then the best Lagrangian bound of the iterations).
    ``relaxation="day"``: the day-indexed relaxation (D) of
    :mod:`optimizer.solve.lowerbound_day`, warm-started from (R) (its bound is never below
    the day-free one); ``time_limit`` covers both; ``relaxation="day-lags"``: (D) with the lags
    between an organisation's stages as time-indexed rows (:mod:`optimizer.solve.lowerbound_lags`).
    ``relaxation="mip"``: the integer program
    over the routes of small reduced cost with day-linking rows of
    :mod:`optimizer.solve.lowerbound_mip` (never below the day-free bound).
    ``relaxation="separate"``: the day-free relaxation without routes that mix stages
    (:data:`SEPARATE`): what keeping intakes, sessions and trainings on separate person-days
    costs at least, an analysis of the decomposition, not a bound on every plan.
    ``progress(event)`` gets one dict per iteration (``iteration``, ``elapsed_s``, ``lp``,
    ``bound``, ``columns``, ``least_reduced``); ``keep`` caps the routes each person adds per
    iteration.
    """
    if relaxation in ("day", "day-lags"):
        from optimizer.solve.lowerbound_day import day_indexed_bound

        return day_indexed_bound(
            problem, time_limit=time_limit, progress=progress, lags=relaxation == "day-lags"
        )
    if relaxation == "mip":
        from optimizer.solve.lowerbound_mip import mip_bound

        return mip_bound(problem, time_limit=time_limit, progress=progress)
    if relaxation == "separate":
        result = free_bound_state(
            problem, time_limit=time_limit, progress=progress, keep=keep, mix_stages=False
        )[0]
        return replace(result, relaxation=SEPARATE)
    if relaxation != "free":
        raise ValueError(
            f"unknown relaxation {relaxation!r}; "
            "choose 'free', 'day', 'day-lags', 'mip' or 'separate'"
        )
    return free_bound_state(problem, time_limit=time_limit, progress=progress, keep=keep)[0]


@dataclass
class FreeState:
    """What the day-free column generation leaves for a warm start: its nodes, people,
    master and the duals of its last master (sign-corrected)."""

    builder: _Builder
    people: list[_PersonNodes]
    master: _Master
    y: np.ndarray
    began: float
    values: np.ndarray
    """The last master's column values (the first ``len(master.u_cols)`` are the ``u_v``)."""


def free_bound_state(
    problem: Problem,
    *,
    time_limit: float = 600,
    progress: Callable[[dict], None] | None = None,
    keep: int = 150,
    began: float | None = None,
    mix_stages: bool = True,
) -> tuple[BoundResult, FreeState]:
    """The day-free bound (:func:`full_problem_bound` with ``relaxation="free"``) and the
    state of its column generation; ``mix_stages=False``: relaxation ``separate``."""
    began = time.perf_counter() if began is None else began
    if problem.rules.max_visits_per_day > 3:
        raise ValueError("the route relaxation prices at most 3 visits a day")
    builder = _Builder(problem)
    builder.build()
    people = [
        pn
        for p in sorted(problem.people.values(), key=lambda p: p.id)
        if (pn := _person_nodes(problem, p, builder.nodes, mix_stages)) is not None
    ]
    master = _Master(problem, builder, people)
    for pn in people:
        for a in np.flatnonzero(np.isfinite(pn.single)):
            route = _Route(pn.person, (int(pn.ids[a]),), float(pn.single[a]), 0.0)
            master.add(route, pn.role)
    history: list[dict] = []
    best, lp_value, optimal, values, iteration = -np.inf, np.inf, False, np.empty(0), 0
    while True:
        iteration += 1
        lp_value, y, values = master.solve()
        bound = master.dual_value(y)
        least, added = 0.0, 0
        for pn in people:
            w, mu = master.weights(pn, y)
            rc, routes = _price(problem, pn, w, mu, keep)
            bound += master.cap[pn.person] * min(0.0, rc)
            least = min(least, rc)
            added += sum(master.add(r, pn.role) for r in routes)
        best = max(best, bound)
        record_iteration(
            history, progress, began, iteration, lp_value, bound, best, master.n_cols, least, added
        )
        optimal = least >= -EPS
        if optimal or added == 0 or time.perf_counter() - began >= time_limit:
            break
    unplanned = float(values[: len(master.u_cols)].sum()) if values.size else 0.0
    penalty = float(sum(values[i] * u[1] for i, u in enumerate(master.u_cols)))
    result = BoundResult(
        bound=float(best),
        lp_value=float(lp_value),
        travel_bound=float(best) if unplanned < 1e-6 else None,
        unplanned_lp=unplanned,
        penalty_lp=penalty,
        iterations=iteration,
        columns=master.n_cols,
        seconds=round(time.perf_counter() - began, 2),
        lp_optimal=optimal,
        nodes=len(builder.nodes),
        history=tuple(history),
    )
    return result, FreeState(builder, people, master, y, began, values)


def lp_day_kinds(problem: Problem, state: FreeState) -> dict[str, float]:
    """How the last master's LP solution spends the people's days: "<role>: <stages>" (the
    stages of a route's tasks in sorted order, e.g. ``"team: intake+intake+session"``) ->
    routes (LP values summed, so fractional), most first."""
    kinds: dict[str, float] = defaultdict(float)
    master = state.master
    for (person, nodes), col in master.columns.items():
        x = float(state.values[col]) if col < state.values.size else 0.0
        if x > 1e-9:
            stages = sorted(problem.visits[master.nodes[k].visit].stage.value for k in nodes)
            kinds[f"{problem.people[person].role.value}: {'+'.join(stages)}"] += x
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))
