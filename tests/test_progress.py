"""Where each organisation stands: stage statuses, next appointment, progress as of a date,
and the progress steps the HTML report's slider uses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from factories import plan_of, tiny_problem, valid_appointments

from optimizer.domain import Status, Unplanned
from optimizer.plan.progress import (
    PROGRESS,
    PROGRESS_COLOURS,
    PROGRESS_LABELS,
    is_held,
    organisation_progress,
    progress_steps,
)


@pytest.fixture(scope="module")
def problem():
    return tiny_problem()


def _plan(problem, statuses=None, drop=()):
    statuses = statuses or {}
    appointments = [
        replace(a, status=statuses.get(a.visit_id, a.status))
        for a in valid_appointments(problem)
        if a.visit_id not in drop
    ]
    unplanned = [Unplanned(v, f"reason for {v}") for v in drop]
    return plan_of(problem, appointments, unplanned=unplanned)


def _progress(problem, plan, as_of=None) -> dict[str, str]:
    frame = organisation_progress(problem, plan, as_of=as_of)
    return dict(zip(frame["code"], frame["progress"], strict=True))


def test_every_category_has_a_label_and_a_colour() -> None:
    assert set(PROGRESS_LABELS) == set(PROGRESS_COLOURS) == set(PROGRESS)
    assert len(set(PROGRESS_COLOURS.values())) == len(PROGRESS)


def test_fresh_plan_waits_for_every_first_stage_and_flags_unplanned(problem) -> None:
    plan = _plan(problem, drop=("GM0014:intake",))
    assert _progress(problem, plan) == {
        "GM0014": "unplanned",
        "GM0307": "intake",
        "GM0310": "intake",
        "GM0344": "intake",
        "GM0355": "intake",
    }
    frame = organisation_progress(problem, plan).set_index("code")
    assert frame.loc["GM0014", "intake_status"] == "unplanned"
    assert frame.loc["GM0014", "unplanned_reason"] == "reason for GM0014:intake"
    assert frame.loc["GM0310", "session_status"] == "-"  # De Bilt has no session
    utrecht = frame.loc["GM0344"]
    assert (utrecht["next_stage"], utrecht["next_date"], utrecht["next_time"]) == (
        "intake",
        date(2023, 3, 7),
        "11:00",
    )
    assert utrecht["session_people"] == "T1;R1"


def test_done_counts_as_held_without_a_date_and_declined_is_settled(problem) -> None:
    plan = _plan(
        problem,
        statuses={
            "GM0344:intake": Status.DONE,
            "GM0344:session": Status.DONE,
            "GM0344:training": Status.DECLINED,
            "GM0355:intake": Status.DONE,
        },
    )
    progress = _progress(problem, plan)
    assert progress["GM0344"] == "complete"
    assert progress["GM0355"] == "session"


def test_a_cancelled_appointment_leaves_the_visit_without_a_date(problem) -> None:
    plan = _plan(problem, statuses={"GM0307:session": Status.CANCELLED})
    assert _progress(problem, plan)["GM0307"] == "unplanned"
    cancelled = next(a for a in plan.appointments if a.visit_id == "GM0307:session")
    assert not is_held(cancelled, problem, date(2030, 1, 1))


def test_as_of_counts_visits_before_the_date_as_held(problem) -> None:
    plan = _plan(problem)
    assert _progress(problem, plan, date(2023, 3, 8)) == {
        "GM0014": "intake",
        "GM0307": "intake",  # its intake is on 03-08 itself: not yet held
        "GM0310": "complete",
        "GM0344": "session",
        "GM0355": "session",
    }
    assert set(_progress(problem, plan, date(2023, 6, 1)).values()) == {"complete"}


def test_progress_steps_agree_with_the_progress_on_every_day(problem) -> None:
    plan = _plan(problem, statuses={"GM0355:intake": Status.DONE}, drop=("GM0307:session",))
    steps = progress_steps(problem, plan)
    assert set(steps) == set(problem.organisations)
    first = date(2023, 3, 1)
    for k in range(0, 100):
        day = first + timedelta(days=k)
        expected = _progress(problem, plan, day)
        for code, own in steps.items():
            current = [p for since, p in own if since is None or since <= day][-1]
            assert current == expected[code], (code, day)
    assert steps["GM0307"] == [(None, "unplanned")]
    assert steps["GM0310"] == [(None, "intake"), (date(2023, 3, 8), "complete")]
