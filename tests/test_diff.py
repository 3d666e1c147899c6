"""What changed between two plans, in words, and who must be told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from optimizer.domain import Appointment, Kind, Organisation, Point, Stage, Status
from optimizer.plan.diff import diff_plans, format_diff, format_when
from optimizer.timeaxis import TimeAxis

AXIS = TimeAxis(date(2024, 1, 1))
ORGS = {
    "GM0363": Organisation(
        "GM0363", "Amsterdam", Kind.GEMEENTE, "PV27", "Noord-Holland", Point(4.9, 52.37), "noord"
    ),
    "PV26": Organisation(
        "PV26", "Utrecht", Kind.PROVINCIE, "PV26", "Utrecht", Point(5.1, 52.08), "midden"
    ),
}


def appt(org, stage, people, day, hh, mm=0, length=90, status=Status.PLANNED):
    start = AXIS.at(day, hh * 60 + mm)
    return Appointment(f"{org}:{stage}", org, stage, people, start, start + length, status)


SESSION = appt("GM0363", Stage.SESSION, ("T2", "R5"), date(2024, 3, 12), 19, length=150)
INTAKE = appt("PV26", Stage.INTAKE, ("T3",), date(2024, 3, 11), 9, 30)
TRAINING = appt("GM0014", Stage.TRAINING, ("R1",), date(2024, 5, 6), 10, length=180)


def test_identical_plans_have_no_changes() -> None:
    changes = diff_plans([SESSION, INTAKE], [INTAKE, SESSION])
    assert not changes
    assert format_diff(changes, AXIS, ORGS) == "No changes."


def test_added_moved_cancelled_and_people_changes_are_told_apart() -> None:
    shift = 2 * 1440 - 330
    moved = replace(SESSION, start=SESSION.start + shift, end=SESSION.end + shift)
    other_people = replace(INTAKE, people=("T1",))
    added = appt("GM0014", Stage.INTAKE, ("T1",), date(2024, 3, 20), 9)
    changes = diff_plans([SESSION, INTAKE, TRAINING], [moved, other_people, added])
    assert [c.visit_id for c in changes.moved] == ["GM0363:session"]
    assert [c.visit_id for c in changes.people_changed] == ["PV26:intake"]
    assert [c.visit_id for c in changes.cancelled] == ["GM0014:training"]
    assert [c.visit_id for c in changes.added] == ["GM0014:intake"]
    per_person = changes.per_person()
    assert set(per_person) == {"T1", "T2", "T3", "R1", "R5"}
    assert [c.kind for c in per_person["T1"]] == ["people", "added"]


def test_a_status_change_alone_is_not_a_change_and_tombstones_count_as_absent() -> None:
    confirmed = replace(SESSION, status=Status.CONFIRMED)
    assert not diff_plans([SESSION], [confirmed])
    tombstone = replace(INTAKE, status=Status.CANCELLED)
    changes = diff_plans([SESSION, INTAKE], [SESSION, tombstone])
    assert [c.visit_id for c in changes.cancelled] == ["PV26:intake"]
    assert [c.visit_id for c in diff_plans([tombstone], [INTAKE]).added] == ["PV26:intake"]


def test_moved_session_in_words_with_local_times_and_who_to_tell() -> None:
    sent = replace(SESSION, status=Status.PROPOSED)
    moved = replace(sent, start=AXIS.at(date(2024, 3, 14), 13 * 60 + 30))
    moved = replace(moved, end=moved.start + 150)
    text = format_diff(diff_plans([sent], [moved]), AXIS, ORGS)
    assert (
        "- GM0363 Amsterdam session moved from Tue 2024-03-12 19:00 to Thu 2024-03-14 13:30; "
        "tell: T2, R5, the municipality"
    ) in text.splitlines()
    assert text.splitlines()[0].startswith("0 added, 1 moved, 0 cancelled")


def test_the_organisation_is_told_only_of_dates_it_was_sent() -> None:
    moved = replace(INTAKE, start=INTAKE.start + 1440, end=INTAKE.end + 1440)
    planned_only = diff_plans([INTAKE], [moved]).who_to_tell()
    assert [(n.recipient, n.organisation) for n in planned_only] == [("T3", False)]
    proposed = replace(INTAKE, status=Status.PROPOSED)
    told = diff_plans([proposed], [moved]).who_to_tell()
    assert [(n.recipient, n.organisation, n.reason) for n in told] == [
        ("T3", False, "intake moved"),
        ("PV26", True, "intake moved"),
    ]
    cancelled = diff_plans([replace(INTAKE, status=Status.CONFIRMED)], []).who_to_tell()
    assert [(n.recipient, n.reason) for n in cancelled] == [
        ("T3", "intake cancelled"),
        ("PV26", "intake cancelled"),
    ]
    text = format_diff(diff_plans([proposed], []), AXIS, ORGS)
    assert "PV26 Utrecht intake on Mon 2024-03-11 09:30 cancelled; tell: T3, the province" in text


def test_people_swapped_are_told_whether_they_go_or_no_longer_go() -> None:
    swapped = replace(SESSION, people=("T2", "R7"))
    notices = {n.recipient: n.reason for n in diff_plans([SESSION], [swapped]).who_to_tell()}
    assert notices == {
        "T2": "other people at the session",
        "R5": "no longer going to the session",
        "R7": "now going to the session",
    }


def test_format_when_uses_local_wall_clock_across_the_dst_switch() -> None:
    before = AXIS.at(date(2024, 3, 28), 19 * 60)
    after = AXIS.at(date(2024, 4, 2), 19 * 60)
    assert format_when(AXIS, before) == "Thu 2024-03-28 19:00"
    assert format_when(AXIS, after) == "Tue 2024-04-02 19:00"
