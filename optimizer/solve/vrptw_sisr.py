"""Slack Induction by String Removals (SISR) for the VRPTW, in plain Python.

Christiaens & Vanden Berghe (2020), "Slack induction by string removals for vehicle routing
problems", Transportation Science 54(2): ruin by removing a few strings (runs of consecutive
clients, or a run with a kept middle part) from routes near a random client, recreate by greedy
insertion with blinks (every position is skipped with a small probability), accept by simulated
annealing on the total distance.

Representation (chosen for speed in the interpreter; numpy's per-call overhead dominated an
earlier array version): routes are doubly linked lists over *extended* node ids. Ids
``0 .. n-1`` are the instance's nodes (0, the depot, is never linked), route ``r`` starts at
the depot copy ``n + 2r`` and ends at ``n + 2r + 1``. Per node the search keeps the earliest
start of service (forward schedule) and the latest start of service that keeps the rest of
its route on time (backward schedule), so inserting a client between two nodes is checked for
time windows in O(1). Insertion positions are *granular*: a client is only tried directly
after one of its nearest possible predecessors or directly before one of its nearest possible
successors (``SisrSettings.neighbours`` each, pairs that no schedule can make feasible left
out), or alone on an empty route. Units are those of the instance (distances = travel times,
integers).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SisrSettings:
    """Parameters of :func:`sisr` (the paper's names in brackets).

    ``mean_removed`` [c̄] average number of clients removed, ``max_string`` [L_max],
    ``split_rate`` probability of the split-string removal, ``split_depth`` [β],
    ``blink`` [blink rate]; temperatures ``t_start``/``t_end`` in distance units, cooled
    exponentially over the time budget; ``absent_cost`` the price of leaving a client out
    (in a capped fleet), as a multiple of its depot round trip; ``neighbours`` the number of
    nearest predecessors and of nearest successors a client is tried next to;
    ``route_price`` a price per used route (distance units) that the annealing and the
    choice of opening a route add to the distance (positive: pressure towards fewer routes,
    negative: towards more); the best solution is still the one of least distance.
    """

    mean_removed: float = 10.0
    max_string: int = 10
    split_rate: float = 0.5
    split_depth: float = 0.01
    blink: float = 0.01
    t_start: float = 300.0
    t_end: float = 3.0
    absent_cost: float = 0.3
    neighbours: int = 25
    route_price: float = 0.0


class SisrData:
    """The instance as plain lists over extended node ids (see the module docstring).

    ``dist`` (n, n) integer distances = travel times, ``windows`` (n, 2) earliest/latest
    start of service, ``service`` (n,) durations, ``demand`` (n,), one ``capacity``,
    ``vehicles`` the fleet size; node 0 is the depot.
    """

    def __init__(self, dist, windows, service, demand, capacity: int, vehicles: int):
        dist = np.asarray(dist, dtype=np.int64)
        windows = np.asarray(windows, dtype=np.int64)
        n = int(dist.shape[0])
        self.n = n
        self.vehicles = int(vehicles)
        self.capacity = int(capacity)
        base = np.concatenate([np.arange(n), np.zeros(2 * self.vehicles, dtype=np.int64)])
        ext = dist[np.ix_(base, base)]
        service = np.asarray(service, dtype=np.int64).copy()
        service[0] = 0
        demand = np.asarray(demand, dtype=np.int64).copy()
        demand[0] = 0
        self.d: list[list[int]] = ext.tolist()
        self.d_in: list[list[int]] = ext.T.tolist()  # d_in[c][a]: distance a -> c
        self.e: list[int] = windows[base, 0].tolist()
        self.l_: list[int] = windows[base, 1].tolist()
        self.s: list[int] = service[base].tolist()
        self.q: list[int] = demand[base].tolist()
        clients = dist[1:, 1:]
        order = np.argsort(clients + clients.T, axis=1, kind="stable") + 1
        self.adjacent: list[list[int]] = [[]] + order.tolist()  # by distance, c itself first
        # c may directly follow a only if a's earliest departure reaches c before c closes.
        early, late, svc = windows[:, 0], windows[:, 1], service
        follows = (early[:, None] + svc[:, None] + dist <= late[None, :]) & ~np.eye(n, dtype=bool)
        follows[0, :] = follows[:, 0] = False
        self._pred_order = self._sorted(dist.T, follows.T)
        self._succ_order = self._sorted(dist, follows)

    @staticmethod
    def _sorted(weight: np.ndarray, allowed: np.ndarray) -> list[list[int]]:
        """Per node c: the nodes x with ``allowed[c, x]``, by increasing ``weight[c, x]``."""
        out: list[list[int]] = []
        for c in range(weight.shape[0]):
            cand = np.flatnonzero(allowed[c])
            out.append(cand[np.argsort(weight[c, cand], kind="stable")].tolist())
        return out

    def neighbours(self, k: int) -> tuple[list[list[int]], list[list[int]]]:
        """The ``k`` nearest possible predecessors and successors of every client."""
        return [p[:k] for p in self._pred_order], [s[:k] for s in self._succ_order]


_OUT = 1 << 60
"""Load and size of the pseudo-route ``vehicles`` that holds the clients left out: no client
is ever inserted next to them."""


class _State:
    """A solution as linked lists with schedules (see the module docstring).

    ``nxt``/``prv`` links (-1 at the route ends and for clients left out), ``rt`` route of
    every node (``vehicles``: left out), ``early``/``late`` earliest and latest start of
    service, ``load``/``size`` per route (plus the left-out pseudo-route), ``cost`` total
    distance, ``used`` non-empty routes.
    """

    __slots__ = ("nxt", "prv", "rt", "early", "late", "load", "size", "cost", "used")

    nxt: list[int]
    prv: list[int]
    rt: list[int]
    early: list[int]
    late: list[int]
    load: list[int]
    size: list[int]
    cost: int
    used: int

    @classmethod
    def build(cls, data: SisrData, routes: list[list[int]]) -> _State:
        """The state of ``routes`` (lists of clients); their schedules may be infeasible."""
        n, v = data.n, data.vehicles
        size = n + 2 * v
        st = cls()
        st.nxt, st.prv, st.rt = [-1] * size, [-1] * size, [v] * size
        st.early, st.late = data.e[:], data.l_[:]
        st.load, st.size = [0] * v + [_OUT], [0] * v + [_OUT]
        used = [r for r in routes if r]
        if len(used) > v:
            raise ValueError(f"{len(used)} routes for a fleet of {v} vehicles")
        for r in range(v):
            first, last = n + 2 * r, n + 2 * r + 1
            path = [first, *(used[r] if r < len(used) else []), last]
            for a, b in zip(path, path[1:], strict=False):
                st.nxt[a], st.prv[b] = b, a
            for x in path:
                st.rt[x] = r
            st.load[r] = sum(data.q[c] for c in path)
            st.size[r] = len(path) - 2
            _refresh(st, data, r)
        st.used = len(used)
        st.cost = sum(data.d[a][b] for a in range(size) if (b := st.nxt[a]) >= 0)
        return st

    def copy(self) -> _State:
        other = _State()
        other.nxt, other.prv, other.rt = self.nxt[:], self.prv[:], self.rt[:]
        other.early, other.late = self.early[:], self.late[:]
        other.load, other.size = self.load[:], self.size[:]
        other.cost, other.used = self.cost, self.used
        return other

    def route(self, data: SisrData, r: int) -> list[int]:
        """The clients of route ``r`` in visiting order."""
        out = []
        x = self.nxt[data.n + 2 * r]
        nxt = self.nxt
        while x < data.n:
            out.append(x)
            x = nxt[x]
        return out

    def routes(self, data: SisrData) -> list[list[int]]:
        """The non-empty routes."""
        return [self.route(data, r) for r in range(data.vehicles) if self.size[r]]


def _refresh(st: _State, data: SisrData, r: int) -> bool:
    """Recompute route ``r``'s schedules; False when a client starts after its window."""
    d, e, late_w, s = data.d, data.e, data.l_, data.s
    nxt, prv, early, late = st.nxt, st.prv, st.early, st.late
    first = data.n + 2 * r
    last = first + 1
    a, t, ok = first, early[first], True
    while a != last:
        b = nxt[a]
        t += s[a] + d[a][b]
        if t < e[b]:
            t = e[b]
        elif t > late_w[b]:
            ok = False
        early[b] = t
        a = b
    b, t = last, late[last]
    while b != first:
        a = prv[b]
        t -= d[a][b] + s[a]
        if t > late_w[a]:
            t = late_w[a]
        late[a] = t
        b = a
    return ok


def _insert(st: _State, data: SisrData, c: int, a: int, start: int) -> None:
    """Link client ``c`` after node ``a`` (service starting at ``start``), update schedules."""
    d, e, late_w, s = data.d, data.e, data.l_, data.s
    nxt, prv, early, late = st.nxt, st.prv, st.early, st.late
    b = nxt[a]
    r = st.rt[a]
    st.cost += d[a][c] + d[c][b] - d[a][b]
    nxt[a], prv[c], nxt[c], prv[b], st.rt[c] = c, a, b, c, r
    st.load[r] += data.q[c]
    if st.size[r] == 0:
        st.used += 1
    st.size[r] += 1
    early[c] = start
    t, x, y = start, c, b
    while y >= 0:  # forward: later starts only, stop when one is unchanged
        t += s[x] + d[x][y]
        if t < e[y]:
            t = e[y]
        if t == early[y]:
            break
        early[y] = t
        x, y = y, nxt[y]
    t = late[b] - d[c][b] - s[c]
    late[c] = t if t < late_w[c] else late_w[c]
    x, y = a, c
    while x >= 0:  # backward: earlier latest starts only
        t = late[y] - d[x][y] - s[x]
        if t > late_w[x]:
            t = late_w[x]
        if t == late[x]:
            break
        late[x] = t
        x, y = prv[x], x


def _remove(st: _State, data: SisrData, c: int) -> None:
    """Unlink client ``c`` (schedules of its route are stale until :func:`_refresh`)."""
    nxt, prv, d = st.nxt, st.prv, data.d
    a, b, r = prv[c], nxt[c], st.rt[c]
    st.cost -= d[a][c] + d[c][b] - d[a][b]
    nxt[a], prv[b] = b, a
    nxt[c] = prv[c] = -1
    st.rt[c] = data.vehicles
    st.load[r] -= data.q[c]
    st.size[r] -= 1
    if st.size[r] == 0:
        st.used -= 1


class _Search:
    """One SISR run's fixed parts: data, neighbour lists, random source, settings."""

    def __init__(self, data: SisrData, settings: SisrSettings, rng: np.random.Generator, cap: int):
        self.data = data
        self.settings = settings
        self.cap = cap
        self.rnd = random.Random(int(rng.integers(1 << 62)))
        self.preds, self.succs = data.neighbours(settings.neighbours)

    def ruin(self, st: _State) -> tuple[list[int], list[int]]:
        """SISR string removal; the removed clients and the routes touched."""
        data, rnd, settings = self.data, self.rnd, self.settings
        mean_len = (sum(st.size) - _OUT) / max(st.used, 1)
        l_max = min(settings.max_string, mean_len)
        k_max = 4 * settings.mean_removed / (1 + l_max) - 1
        strings = int(rnd.uniform(1, k_max + 1))
        seed = rnd.randrange(1, data.n)
        removed: list[int] = []
        touched: list[int] = []
        rt = st.rt
        for c in data.adjacent[seed]:
            if len(touched) >= strings:
                break
            r = rt[c]
            if r == data.vehicles or r in touched:
                continue
            route = st.route(data, r)
            length = int(rnd.uniform(1, min(len(route), l_max) + 1))
            pos = route.index(c)
            if length < len(route) and rnd.random() < settings.split_rate:
                cut = _split_string(route, pos, length, rnd, settings.split_depth)
            else:
                first = pos - rnd.randrange(length)
                first = min(max(first, 0), len(route) - length)
                cut = route[first : first + length]
            for x in cut:
                _remove(st, data, x)
            removed += cut
            touched.append(r)
        return removed, touched

    def order(self, removed: list[int]) -> list[int]:
        """Insertion order: random (4), demand (4), far from depot (2), close to depot (1)."""
        data, rnd = self.data, self.rnd
        pick = rnd.randrange(11)
        if pick < 4:
            rnd.shuffle(removed)
            return removed
        if pick < 8:
            return sorted(removed, key=lambda c: -data.q[c])
        if pick < 10:
            return sorted(removed, key=lambda c: -data.d[0][c])
        return sorted(removed, key=lambda c: data.d[0][c])

    def insert(self, st: _State, c: int) -> bool:
        """Insert ``c`` at its cheapest feasible granular position (each skipped with the blink
        probability), or alone on an empty route while fewer than ``cap`` are used; False
        when nowhere fits."""
        data = self.data
        d, s, e, late_w = data.d, data.s, data.e, data.l_
        nxt, prv, rt, early, late, load = st.nxt, st.prv, st.rt, st.early, st.late, st.load
        d_in, d_out = data.d_in[c], d[c]
        ec, lc, sc = e[c], late_w[c], s[c]
        room = data.capacity - data.q[c]
        blink, rand = self.settings.blink, self.rnd.random
        best, best_a, best_t = 1 << 60, -1, 0
        for a in self.preds[c]:
            if load[rt[a]] > room:
                continue
            b = nxt[a]
            delta = d_in[a] + d_out[b] - d[a][b]
            if delta >= best:
                continue
            t = early[a] + s[a] + d_in[a]
            if t > lc:
                continue
            if t < ec:
                t = ec
            if t + sc + d_out[b] > late[b] or rand() < blink:
                continue
            best, best_a, best_t = delta, a, t
        for b in self.succs[c]:
            if load[rt[b]] > room:
                continue
            a = prv[b]
            delta = d_in[a] + d_out[b] - d[a][b]
            if delta >= best:
                continue
            t = early[a] + s[a] + d_in[a]
            if t > lc:
                continue
            if t < ec:
                t = ec
            if t + sc + d_out[b] > late[b] or rand() < blink:
                continue
            best, best_a, best_t = delta, a, t
        if st.used < self.cap and room >= 0:
            a = data.n + 2 * st.size.index(0)
            delta = d_in[a] + d_out[a + 1] + self.settings.route_price
            t = max(early[a] + d_in[a], ec)
            if delta < best and t <= lc and t + sc + d_out[a + 1] <= late[a + 1]:
                best, best_a, best_t = delta, a, t
        if best_a < 0:
            return False
        _insert(st, data, c, best_a, best_t)
        return True

    def recreate(self, st: _State, removed: list[int]) -> list[int]:
        """Greedy blink insertion of ``removed``; the clients that fit nowhere."""
        return [c for c in self.order(removed) if not self.insert(st, c)]


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


_PENALTY_PERIOD = 100
"""Iterations between adjustments of the price of a client left out."""


def sisr(
    data: SisrData,
    routes: list[list[int]],
    deadline: float,
    rng: np.random.Generator,
    settings: SisrSettings = SisrSettings(),
    max_routes: int | None = None,
    pool: list[int] | None = None,
    stats: dict | None = None,
) -> list[list[int]] | None:
    """SISR with simulated annealing from ``routes`` until ``deadline`` (``perf_counter``),
    with at most ``max_routes`` vehicles (default: the fleet); the best routes that serve
    every client (None if none did).

    ``pool`` are clients not in ``routes``: they are offered again at every recreate, and
    each one still left out costs its depot round trip x a weight in the annealing (first
    ``settings.absent_cost``, then adapted every 100 iterations so that about half of the
    recreated solutions serve everyone), so the search may pass through solutions that do
    not serve everyone (how a capped fleet is reached and searched). ``stats``, when given,
    receives the number of ``iterations``.
    """
    cap = min(data.vehicles, data.vehicles if max_routes is None else max_routes)
    search = _Search(data, settings, rng, cap)
    rand = search.rnd.random
    price = [data.d[0][c] + data.d[c][0] for c in range(data.n)]
    weight = settings.absent_cost
    route_price = settings.route_price
    current = _State.build(data, routes)
    pool = list(pool or [])
    best = None if pool else current
    begin = time.perf_counter()
    span = max(deadline - begin, 1e-3)
    ratio = settings.t_end / settings.t_start
    complete = tried = iterations = 0
    while (now := time.perf_counter()) < deadline:
        iterations += 1
        temp = settings.t_start * ratio ** ((now - begin) / span)
        new = current.copy()
        removed, touched = search.ruin(new)
        if not all([_refresh(new, data, r) for r in touched]):
            continue  # only if travel times break the triangle inequality
        left = search.recreate(new, removed + pool)
        threshold = current.cost + route_price * current.used
        threshold += weight * sum(price[c] for c in pool) - temp * math.log(1.0 - rand())
        if not left and (best is None or new.cost < best.cost):
            best = new  # least distance, accepted or not (the annealing sees route prices)
        if new.cost + route_price * new.used + weight * sum(price[c] for c in left) < threshold:
            current, pool = new, left
        tried += 1
        complete += not left
        if tried == _PENALTY_PERIOD:  # aim at about half of the recreated solutions complete
            share = complete / tried
            weight *= 1.25 if share < 0.4 else (0.8 if share > 0.6 else 1.0)
            complete = tried = 0
    if stats is not None:
        stats["iterations"] = stats.get("iterations", 0) + iterations
    return None if best is None else best.routes(data)
