"""Stage 2 (:mod:`optimizer.solve.later`): its model rows, checked against the rules by brute
force, and its trainer days of a training before a nearby session."""

from __future__ import annotations

import itertools
import random
from datetime import date

import numpy as np
import pytest

from optimizer.domain import Rules
from optimizer.solve.later import LaterSettings, add_lag_rows, fill_lag_chain
from optimizer.solve.mip import SparseMip
from optimizer.solve.solve import SolveSettings
from tests.factories import tiny_problem
from tests.test_solver import day_of, solved, with_available


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


def training_near_a_session(session_span: tuple[str, str], training_span: tuple[str, str]):
    """Utrecht's session possible on 5 April only (``session_span``), De Bilt's training
    (requested in April) on 5 April (``training_span``) or all of 20 April; R1 is the one
    trainer with both skills."""
    problem = tiny_problem(
        orgs=["GM0344", "GM0310"],
        people=["T1", "R1"],
        sessions=("GM0344",),
        trainings={"GM0310": (date(2023, 4, 1), date(2023, 4, 30))},
    )
    problem = with_available(
        problem, "GM0344", ("2023-03-01", "09:00", "12:00"), ("2023-04-05", *session_span)
    )
    return with_available(
        problem,
        "GM0310",
        ("2023-03-01", "09:00", "17:00"),
        ("2023-04-05", *training_span),
        ("2023-04-20", "09:00", "17:00"),
    )


@pytest.mark.parametrize(
    ("session_span", "training_span"),
    [(("13:00", "17:00"), ("09:00", "12:30")), (("19:00", "22:30"), ("13:00", "17:00"))],
    ids=["before-an-afternoon-session", "before-an-evening-session"],
)
def test_stage_two_gives_a_training_before_a_nearby_session_on_the_trainers_day(
    session_span, training_span
):
    """Without the re-planning round, stage 2 itself puts De Bilt's training before Utrecht's
    session on 5 April, one trip for the trainer; without such candidates it takes 20 April."""
    problem = training_near_a_session(session_span, training_span)
    plan = solved(problem, settings=SolveSettings(host_intakes=False))
    training, session = plan.appointment("GM0310:training"), plan.appointment("GM0344:session")
    assert day_of(problem, plan, "GM0310:training") == date(2023, 4, 5)
    assert training.people == ("R1",) and session.people == ("T1", "R1")
    assert training.end <= session.start
    apart = SolveSettings(host_intakes=False, later=LaterSettings(training_before_session=False))
    separate = solved(problem, settings=apart)
    assert day_of(problem, separate, "GM0310:training") == date(2023, 4, 20)
    assert plan.travel_min < separate.travel_min


def test_the_round_keeps_a_training_that_stage_two_gave_before_a_session():
    """The re-planning round starts from stage 2's day of training and session and keeps it
    (its warm start holds the trainer's day as one column)."""
    problem = training_near_a_session(("13:00", "17:00"), ("09:00", "12:30"))
    plan = solved(problem)
    assert day_of(problem, plan, "GM0310:training") == date(2023, 4, 5)
    assert plan.appointment("GM0310:training").end <= plan.appointment("GM0344:session").start
