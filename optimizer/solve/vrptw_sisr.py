"""Slack Induction by String Removals (SISR) for the VRPTW, in numpy.

Christiaens & Vanden Berghe (2020), "Slack induction by string removals for vehicle routing
problems", Transportation Science 54(2): ruin by removing a few strings (runs of consecutive
clients, or a run with a kept middle part) from routes near a random client, recreate by greedy
insertion with blinks (every position is skipped with a small probability), accept by simulated
annealing on the total distance.

Insertion positions are checked for time windows and capacity in O(1) each from two schedules
per route (earliest start of service forward, latest start backward); all positions of all
routes are evaluated at once as numpy arrays, one row per vehicle. Units are those of the
instance (distances = travel times, integers).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import numpy as np

_BIG = np.int64(1) << 50
"""Departure time of an unused slot: it makes every insertion there infeasible."""


@dataclass(frozen=True)
class SisrSettings:
    """Parameters of :func:`sisr` (the paper's names in brackets).

    ``mean_removed`` [c̄] average number of clients removed, ``max_string`` [L_max],
    ``split_rate`` probability of the split-string removal, ``split_depth`` [β],
    ``blink`` [blink rate]; temperatures ``t_start``/``t_end`` in distance units, cooled
    exponentially over the time budget; ``absent_cost`` the price of leaving a client out
    (in a capped fleet), as a multiple of its depot round trip.
    """

    mean_removed: float = 10.0
    max_string: int = 10
    split_rate: float = 0.5
    split_depth: float = 0.01
    blink: float = 0.01
    t_start: float = 100.0
    t_end: float = 1.0
    absent_cost: float = 0.3


class SisrData:
    """The instance as integer arrays and plain lists (fast scalar access in Python loops)."""

    def __init__(self, dist, windows, service, demand, capacity: int, vehicles: int):
        self.n = int(dist.shape[0])
        self.dist = np.ascontiguousarray(dist, dtype=np.int64)
        self.dist_in = np.ascontiguousarray(self.dist.T)  # row c: distance from every node to c
        self.early = windows[:, 0].astype(np.int64)
        self.late = windows[:, 1].astype(np.int64)
        self.service = service.astype(np.int64)
        self.demand = demand.astype(np.int64)
        self.capacity = int(capacity)
        self.vehicles = int(vehicles)
        self.d = self.dist.tolist()
        self.e = self.early.tolist()
        self.l_ = self.late.tolist()
        self.s = self.service.tolist()
        self.q = self.demand.tolist()
        order = np.argsort(self.dist[1:, 1:] + self.dist[1:, 1:].T, axis=1, kind="stable") + 1
        self.adjacent = order.tolist()  # adjacent[c - 1]: clients by distance from c (c first)


class _Solution:
    """Routes plus, per vehicle row, the insertion slots as arrays.

    Slot j of row r is the arc from position j to j + 1 of ``[0, *route, 0]``: ``pred``/
    ``succ`` nodes, ``dep`` the earliest time to leave ``pred`` (start of service + service),
    ``lat`` the latest start of service at ``succ``, ``arc`` the distance pred -> succ.
    """

    def __init__(self, data: SisrData, routes: list[list[int]]):
        self.data = data
        rows, width = data.vehicles, data.n + 1
        used = [list(r) for r in routes if r]
        self.routes = used + [[] for _ in range(rows - len(used))]
        self.used = len(used)  # routes 0 .. used - 1 are not empty, the others are
        self.pred = np.zeros((rows, width), dtype=np.int64)
        self.succ = np.zeros((rows, width), dtype=np.int64)
        self.dep = np.full((rows, width), _BIG, dtype=np.int64)
        self.lat = np.zeros((rows, width), dtype=np.int64)
        self.arc = np.zeros((rows, width), dtype=np.int64)
        self.load = np.zeros(rows, dtype=np.int64)
        self.where = [-1] * data.n
        self.length = [0] * rows
        for r in range(rows):
            self.refresh(r)
        self.cost = sum(self.length)

    def copy(self) -> _Solution:
        other = object.__new__(_Solution)
        other.data = self.data
        other.routes = [r[:] for r in self.routes]
        for name in ("pred", "succ", "dep", "lat", "arc", "load"):
            setattr(other, name, getattr(self, name).copy())
        other.where = self.where[:]
        other.length = self.length[:]
        other.used = self.used
        other.cost = self.cost
        return other

    def refresh(self, r: int) -> int:
        """Recompute row ``r`` from its route; its distance, or -1 when it is infeasible."""
        data = self.data
        d, e, late, s = data.d, data.e, data.l_, data.s
        route = self.routes[r]
        path = [0, *route, 0]
        k = len(path) - 1
        deps = [0] * k
        arcs = [0] * k
        t = e[0]
        feasible = True
        for j in range(k):
            a, b = path[j], path[j + 1]
            deps[j] = dep = t + s[a]
            arcs[j] = arc = d[a][b]
            t = dep + arc
            if t < e[b]:
                t = e[b]
            elif t > late[b]:
                feasible = False
        lats = [0] * k
        t = late[0]
        for j in range(k - 1, -1, -1):
            lats[j] = t
            a = path[j]
            t = min(late[a], t - arcs[j] - s[a])
        self.pred[r, :k] = path[:-1]
        self.succ[r, :k] = path[1:]
        self.dep[r, :k] = deps
        self.dep[r, k:] = _BIG
        self.lat[r, :k] = lats
        self.arc[r, :k] = arcs
        q = data.q
        self.load[r] = sum([q[c] for c in route])
        where = self.where
        for c in route:
            where[c] = r
        self.length[r] = length = sum(arcs)
        return length if feasible else -1

    def compact(self) -> None:
        """Move emptied routes behind the others (rows copied, the last one refreshed)."""
        r = 0
        while r < self.used:
            if self.routes[r]:
                r += 1
                continue
            last = self.used - 1
            if r < last:
                self.routes[r], self.routes[last] = self.routes[last], self.routes[r]
                for name in ("pred", "succ", "dep", "lat", "arc", "load"):
                    array = getattr(self, name)
                    array[r] = array[last]
                self.length[r] = self.length[last]
                for c in self.routes[r]:
                    self.where[c] = r
                self.refresh(last)
            self.used -= 1


_PENALTY_PERIOD = 100
"""Iterations between adjustments of the price of a client left out."""


class _Random:
    """Fast scalar draws (Python's generator) and a pool of blinks (numpy), from one seed."""

    def __init__(self, rng: np.random.Generator, blink: float):
        self.py = random.Random(int(rng.integers(1 << 62)))
        self.blinks = rng.random(1 << 16) >= blink  # True: the slot is looked at

    def keep(self, shape: tuple[int, int]) -> np.ndarray:
        size = shape[0] * shape[1]
        start = self.py.randrange(len(self.blinks) - size)
        return self.blinks[start : start + size].reshape(shape)


def _ruin(sol: _Solution, rnd: random.Random, settings: SisrSettings) -> tuple[list[int], set[int]]:
    """SISR string removal; the removed clients and the rows touched (routes already cut)."""
    data = sol.data
    used = sol.routes[: sol.used]
    mean_len = sum(len(r) for r in used) / max(len(used), 1)
    l_max = min(settings.max_string, mean_len)
    k_max = 4 * settings.mean_removed / (1 + l_max) - 1
    strings = int(rnd.uniform(1, k_max + 1))
    seed = rnd.randrange(1, data.n)
    removed: list[int] = []
    touched: set[int] = set()
    for c in data.adjacent[seed - 1]:
        if len(touched) >= strings:
            break
        r = sol.where[c]
        if r < 0 or r in touched:
            continue
        route = sol.routes[r]
        length = int(rnd.uniform(1, min(len(route), l_max) + 1))
        pos = route.index(c)
        if length < len(route) and rnd.random() < settings.split_rate:
            cut = _split_string(route, pos, length, rnd, settings.split_depth)
        else:
            first = pos - rnd.randrange(length)
            first = min(max(first, 0), len(route) - length)
            cut = route[first : first + length]
        cut_set = set(cut)
        sol.routes[r] = [x for x in route if x not in cut_set]
        for x in cut:
            sol.where[x] = -1
        removed += cut
        touched.add(r)
    return removed, touched


def _split_string(
    route: list[int], pos: int, length: int, rnd: random.Random, depth: float
) -> list[int]:
    """Clients of a string of ``length + m`` around ``pos`` minus ``m`` kept in its middle."""
    m = 1
    while length + m < len(route) and rnd.random() > depth:
        m += 1
    total = length + m
    first = pos - rnd.randrange(total)
    first = min(max(first, 0), len(route) - total)
    string = route[first : first + total]
    keep = rnd.randrange(length + 1)
    return string[:keep] + string[keep + m :]


def _order(data: SisrData, removed: list[int], rnd: random.Random) -> list[int]:
    """Insertion order: random (4), demand (4), far from depot (2), close to depot (1)."""
    pick = rnd.randrange(11)
    if pick < 4:
        rnd.shuffle(removed)
        return removed
    if pick < 8:
        return sorted(removed, key=lambda c: -data.q[c])
    if pick < 10:
        return sorted(removed, key=lambda c: -data.d[0][c])
    return sorted(removed, key=lambda c: data.d[0][c])


def _insert_one(sol: _Solution, c: int, rnd: _Random, max_routes: int) -> bool:
    """Insert ``c`` at its cheapest feasible slot (each skipped with the blink probability);
    a new route only while fewer than ``max_routes`` are used. False when nowhere fits."""
    data = sol.data
    used = sol.used
    rows = used + 1 if used < max_routes and used < len(sol.routes) else used
    if rows == 0:
        return False
    width = max(len(r) for r in sol.routes[:rows]) + 1
    d_in = data.dist_in[c][sol.pred[:rows, :width]]
    d_out = data.dist[c][sol.succ[:rows, :width]]
    start = np.maximum(sol.dep[:rows, :width] + d_in, data.e[c])
    ok = start <= np.minimum(sol.lat[:rows, :width] - (data.s[c] + d_out), data.l_[c])
    ok &= rnd.keep(ok.shape)
    ok &= (sol.load[:rows] <= data.capacity - data.q[c])[:, None]
    delta = np.where(ok, d_in + d_out - sol.arc[:rows, :width], _BIG)
    flat = int(delta.argmin())
    r, j = divmod(flat, width)
    if not ok[r, j]:
        return False
    sol.routes[r].insert(j, c)
    if r == used:
        sol.used += 1
    sol.refresh(r)
    sol.cost = sum(sol.length)
    return True


def _recreate(sol: _Solution, removed: list[int], rnd: _Random, max_routes: int) -> list[int]:
    """Greedy blink insertion of ``removed``; the clients that fit nowhere."""
    return [
        c for c in _order(sol.data, removed, rnd.py) if not _insert_one(sol, c, rnd, max_routes)
    ]


def _ruined(
    sol: _Solution, rnd: _Random, settings: SisrSettings
) -> tuple[_Solution, list[int]] | None:
    """A ruined copy of ``sol`` and its removed clients; None if a cut route turned late."""
    new = sol.copy()
    removed, touched = _ruin(new, rnd.py, settings)
    for r in touched:
        if new.refresh(r) < 0:  # possible only if travel times break the triangle inequality
            return None
    new.compact()
    new.cost = sum(new.length)
    return new, removed


def sisr(
    data: SisrData,
    routes: list[list[int]],
    deadline: float,
    rng: np.random.Generator,
    settings: SisrSettings = SisrSettings(),
    max_routes: int | None = None,
    pool: list[int] | None = None,
) -> list[list[int]] | None:
    """SISR with simulated annealing from ``routes`` until ``deadline`` (``perf_counter``),
    with at most ``max_routes`` vehicles (default: the fleet); the best routes that serve
    every client (None if none did).

    ``pool`` are clients not in ``routes``: they are offered again at every recreate, and
    each one still left out costs its depot round trip x a weight in the annealing (first
    ``settings.absent_cost``, then adapted every 100 iterations so that about half of the
    recreated solutions serve everyone), so the search may pass through solutions that do
    not serve everyone (how a capped fleet is reached and searched)."""
    cap = data.vehicles if max_routes is None else max_routes
    rnd = _Random(rng, settings.blink)
    price = (data.dist[0] + data.dist[:, 0]).tolist()
    weight = settings.absent_cost
    current = _Solution(data, routes)
    pool = list(pool or [])
    best = None if pool else current
    begin = time.perf_counter()
    span = max(deadline - begin, 1e-3)
    ratio = settings.t_end / settings.t_start
    complete = tried = 0
    while (now := time.perf_counter()) < deadline:
        temp = settings.t_start * ratio ** ((now - begin) / span)
        step = _ruined(current, rnd, settings)
        if step is None:
            continue
        new, removed = step
        left = _recreate(new, removed + pool, rnd, cap)
        threshold = current.cost + weight * sum(price[c] for c in pool)
        threshold -= temp * math.log(1.0 - rnd.py.random())
        if new.cost + weight * sum(price[c] for c in left) < threshold:
            current, pool = new, left
            if not left and (best is None or new.cost < best.cost):
                best = new
        tried += 1
        complete += not left
        if tried == _PENALTY_PERIOD:  # aim at about half of the recreated solutions complete
            share = complete / tried
            weight *= 1.25 if share < 0.4 else (0.8 if share > 0.6 else 1.0)
            complete = tried = 0
    return None if best is None else [r[:] for r in best.routes if r]


def fewer_routes(
    routes: list[list[int]], rng: np.random.Generator
) -> tuple[list[list[int]], list[int]]:
    """One route fewer: the routes without a random one, and that route's clients."""
    used = [list(r) for r in routes if r]
    drop = int(rng.integers(len(used)))
    return used[:drop] + used[drop + 1 :], used[drop]
