"""Stage 2's model rows (:mod:`optimizer.solve.later`), checked against the rules by brute
force."""

from __future__ import annotations

import itertools
import random

import numpy as np

from optimizer.domain import Rules
from optimizer.solve.later import add_lag_rows, fill_lag_chain
from optimizer.solve.mip import SparseMip


def test_training_lag_rows_allow_exactly_a_training_at_least_the_lag_after_its_session():
    """Every choice of at most one session and one training candidate (day indices drawn at
    random, some shared) has values of the rows' chain variables that keep every row exactly
    when the training is left out, or the session is planned and the training is at least
    ``training_lag_min_days`` after it (the chain at its largest, the session's running sum,
    is the one to try: a smaller one only tightens the training rows)."""
    rules = Rules()
    lag = rules.training_lag_min_days
    rng = random.Random(7)
    for _ in range(200):
        session_days = rng.sample(range(60), rng.randint(0, 6))
        training_days = rng.sample(range(60), rng.randint(1, 6))
        mip = SparseMip()
        sessions = [mip.add_var(1.0) for _ in session_days]
        trainings = [mip.add_var(1.0) for _ in training_days]
        day_of = dict(zip(sessions + trainings, session_days + training_days, strict=True))
        chain = add_lag_rows(mip, trainings, sessions, day_of, rules)
        for s, t in itertools.product([None, *sessions], [None, *trainings]):
            values = np.zeros(mip.n_vars)
            values[[v for v in (s, t) if v is not None]] = 1.0
            fill_lag_chain(values, chain)
            allowed = t is None or (s is not None and day_of[t] >= day_of[s] + lag)
            assert mip._feasible(values) == allowed, (s, t, day_of)
