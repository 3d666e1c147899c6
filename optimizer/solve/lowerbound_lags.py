"""The lags between an organisation's stages as time-indexed rows of the day-indexed relaxation
(D) (:mod:`optimizer.solve.lowerbound_day`; docs/lower_bound.md, "Lags as time-indexed rows
in (D)").

**Rows.** For each *tracked part* ``p`` (an intake's team part, a session's team part, a
training's trainer part) and each of its days ``t`` (the days on which some person can do
it), a continuous ``z_p(t)`` in [0, 1] is the part's coverage up to and including day ``t``,
by the *coverage row* ``sum(routes on t that cover p) - z_p(t) + z_p(t') = 0`` with ``t'``
the part's day before ``t`` (none for its first day). ``Z_p(t)`` is ``z_p`` of the part's
last day on or before ``t`` (0 before its first day): the part's coverage up to ``t``. With
``L = session_lag_min_days``, ``U = session_lag_max_days`` and ``K = training_lag_min_days``,
per organisation with an intake ``I``, a session ``S`` and trainings ``T``:

- *session after intake*: ``Z_S(t) - Z_I(t - L) <= 0`` for every day ``t`` of ``S`` (a
  session on or before ``t`` needs the intake on or before ``t - L``);
- *session not too late*: ``Z_I(t) - Z_S(t + U) + Z_S(last) <= 1`` for every day ``t`` of
  ``I`` with ``t + U`` before ``S``'s last day (``Z_S(last)`` is 1 when the session is
  planned: then an intake on or before ``t`` needs the session on or before ``t + U``; when
  the session is not planned the row is ``Z_I(t) <= 1``);
- *training after session*: ``Z_T(t) - Z_S(t - K) <= 0`` for every day ``t`` of ``T``.

``Z_p`` only changes on ``p``'s days, so these rows imply the same rows at every other day.

**Validity.** In a valid plan each part is covered once, on one day, or not at all, so
``Z_p(t)`` is 1 from the part's day on and 0 before, and every row is one of the lag rules of
docs/rules.md (the validator's ``session-lag``, ``training-lag``). A session's trainer part is
not tracked: (D)'s synchronisation rows put it on the team part's day. So adding the rows to
(D) keeps every valid plan feasible at its own cost, and the LP stays a lower bound. In the
LP a part may be spread over several days; the cumulative form (not a single row over the
mean days) keeps a late fraction of a session from paying for an early intake.

**Lagrangian bound.** The ``z`` are columns of cost 0 in [0, 1]; at duals ``y`` their
contribution is ``sum min(0, -y . z-column)``, and the rows' right-hand sides add ``y . b``
(only the *session not too late* rows have ``b = 1``).

Units: day indices of :class:`optimizer.solve.slots.Calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from optimizer.domain import Problem, Role, Stage, Visit


@dataclass
class LagRows:
    """The rows and ``z`` columns above, in local numbering (row ``j`` of :attr:`upper`).

    ``cov[part] = (first row, the part's days)``: a route covering ``part`` on its ``k``-th day
    enters coverage row ``first row + k`` with coefficient 1 (:meth:`cov_rows`);
    :attr:`lower`/:attr:`upper` are the row bounds (coverage rows ``[0, 0]``, lag rows
    ``(-inf, b]``); :attr:`z` is the rows x ``z`` columns matrix (each ``z`` in [0, 1], cost
    0)."""

    cov: dict[int, tuple[int, np.ndarray]]
    lower: np.ndarray
    upper: np.ndarray
    z: sparse.csc_matrix

    def cov_rows(self, parts: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Coverage row of each part (rows of the result) on each day (columns); -1 where the
        part is not tracked or the day is outside its range."""
        out = np.full((parts.size, days.size), -1, dtype=np.int64)
        for k, part in enumerate(parts):
            if int(part) in self.cov:
                first, own = self.cov[int(part)]
                at = np.clip(np.searchsorted(own, days), 0, own.size - 1)
                out[k] = np.where(own[at] == days, first + at, -1)
        return out

    @property
    def n_rows(self) -> int:
        return int(self.upper.size)

    def rhs_value(self, y: np.ndarray) -> float:
        """``y . b`` of the lag rows plus ``sum min(0, reduced cost of z)`` (module doc)."""
        finite = np.isfinite(self.upper)
        reduced = -(self.z.T @ y)
        return float(y[finite] @ self.upper[finite]) + float(np.minimum(reduced, 0.0).sum())

    def clip(self, y: np.ndarray) -> np.ndarray:
        """Duals with the signs the rows need (``<=`` rows ``y <= 0``, equalities free)."""
        return np.where(np.isfinite(self.lower), y, np.minimum(y, 0.0))


class _Builder:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.entries: list[tuple[int, int, float]] = []  # (row, z, coefficient)
        self.n_z = 0

    def row(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.upper) - 1

    def add(self, row: int, terms: list[tuple[int, float]]) -> None:
        self.entries.extend((row, z, c) for z, c in terms)


def lag_rows(
    problem: Problem, parts: list[tuple[str, Role]], part_days: list[np.ndarray]
) -> LagRows:
    """The lag rows of ``problem``; ``parts[i]`` is (visit id, role) of part ``i`` and
    ``part_days[i]`` the sorted day indices on which some person can do it (empty: never)."""
    rules = problem.rules
    index = {part: i for i, part in enumerate(parts)}
    b = _Builder()
    cov: dict[int, tuple[int, np.ndarray]] = {}
    first_z: dict[int, int] = {}

    def track(visit_id: str, role: Role) -> int | None:
        i = index.get((visit_id, role))
        if i is None or not part_days[i].size:
            return None
        if i not in cov:
            first_z[i] = b.n_z
            cov[i] = (len(b.upper), part_days[i])
            for k in range(part_days[i].size):
                z = b.n_z + k
                b.add(b.row(0.0, 0.0), [(z, -1.0)] + ([(z - 1, 1.0)] if k else []))
            b.n_z += part_days[i].size
        return i

    def cum(i: int, t: int) -> list[tuple[int, float]]:
        """``Z_i(t)`` as z terms (empty: the constant 0)."""
        k = int(np.searchsorted(part_days[i], t, side="right"))
        return [(first_z[i] + k - 1, 1.0)] if k else []

    def neg(terms: list[tuple[int, float]]) -> list[tuple[int, float]]:
        return [(z, -c) for z, c in terms]

    for org in sorted({v.org for v in problem.visits.values()}):
        intake = track(Visit.make_id(org, Stage.INTAKE), Role.TEAM)
        session = track(Visit.make_id(org, Stage.SESSION), Role.TEAM)
        if intake is not None and session is not None:
            hi = int(part_days[session][-1])
            for t in part_days[session]:
                b.add(
                    b.row(-np.inf, 0.0),
                    cum(session, t) + neg(cum(intake, t - rules.session_lag_min_days)),
                )
            for t in part_days[intake]:
                if t + rules.session_lag_max_days < hi:
                    terms = cum(intake, t) + neg(cum(session, t + rules.session_lag_max_days))
                    b.add(b.row(-np.inf, 1.0), terms + cum(session, hi))
        if session is None:
            continue
        trainings = (
            v for v in problem.visits.values() if v.org == org and v.stage is Stage.TRAINING
        )
        for visit in sorted(trainings, key=lambda v: v.id):
            training = track(visit.id, Role.TRAINER)
            if training is None:
                continue
            for t in part_days[training]:
                b.add(
                    b.row(-np.inf, 0.0),
                    cum(training, t) + neg(cum(session, t - rules.training_lag_min_days)),
                )
    rows, cols, vals = zip(*b.entries, strict=True) if b.entries else ((), (), ())
    z = sparse.csc_matrix((vals, (rows, cols)), shape=(len(b.upper), b.n_z))
    return LagRows(cov, np.array(b.lower), np.array(b.upper), z)
