"""The drop folder: status CSVs and ICS replies; bad rows reported with file:line and
skipped, the rest applied."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from optimizer.domain import Status
from optimizer.plan.status_updates import apply_updates, read_drop_folder
from optimizer.plan.store import PlanStore, uid_for_visit

KNOWN = {
    "GM0363:intake",
    "GM0363:session",
    "GM0014:intake",
    "GM0014:session",
    "PV26:intake",
    "PV26:training",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_bad_rows_are_reported_with_file_and_line_and_the_rest_kept(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "replies.csv",
        "GM0363,session,confirmed,2024-03-05,said yes by phone\n"
        "GM0363,sessoin,confirmed\n"
        "\n"
        "# a comment\n"
        "GM9999,intake,done\n"
        "GM0014,intake,maybe\n"
        "GM0014,session,declined,05-03-2024\n"
        "PV26,intake,done,yesterday\n"
        "PV26\n"
        "gm0014,intake,Done,,with a comma, in the note\n",
    )
    drop = read_drop_folder(tmp_path, KNOWN)
    assert [(u.visit_id, u.status, u.at, u.source) for u in drop.updates] == [
        ("GM0363:session", Status.CONFIRMED, date(2024, 3, 5), f"{csv}:1"),
        ("GM0014:session", Status.DECLINED, date(2024, 3, 5), f"{csv}:7"),
        ("GM0014:intake", Status.DONE, None, f"{csv}:10"),
    ]
    assert drop.updates[0].note == "said yes by phone"
    assert drop.updates[2].note == "with a comma, in the note"
    lines = [p.split(": ", 1)[0] for p in drop.problems]
    assert lines == [f"{csv}:{n}" for n in (2, 5, 6, 8, 9)]
    assert "unknown stage 'sessoin'" in drop.problems[0]
    assert "GM9999:intake" in drop.problems[1]
    assert "unknown status 'maybe'" in drop.problems[2]
    assert "date 'yesterday'" in drop.problems[3]
    assert "got 1 field" in drop.problems[4]
    assert drop.files == [csv]


def test_semicolon_csv_with_header_in_any_order_and_dutch_words(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "gemeenten.csv",
        "\ufeffstatus;code;stage;date\nbevestigd;GM0363;sessie;2024-03-05\nafgezegd;PV26;intake;\n",
    )
    drop = read_drop_folder(tmp_path, KNOWN)
    assert drop.problems == []
    assert [(u.visit_id, u.status, u.source) for u in drop.updates] == [
        ("GM0363:session", Status.CONFIRMED, f"{csv}:2"),
        ("PV26:intake", Status.CANCELLED, f"{csv}:3"),
    ]


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Town hall//EN
BEGIN:VEVENT
UID:{uid_session}
DTSTAMP:20240305T101500Z
DTSTART:20240312T180000Z
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
UID:someone-elses-event
DTSTAMP:20240305T101500Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:whatever
X-OPTIMIZER-VISIT:PV26:intake
DTSTAMP:20240306T230500Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:{uid_intake}
DTSTAMP:20240305T101500Z
END:VEVENT
END:VCALENDAR
"""

REPLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Mail client//EN
METHOD:REPLY
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20240307T080000Z
ATTENDEE;PARTSTAT={partstat}:mailto:griffie@example.nl
END:VEVENT
END:VCALENDAR
"""


def test_ics_statuses_by_uid_or_visit_property_with_line_numbers(tmp_path: Path) -> None:
    ics = write(
        tmp_path / "a_replies.ics",
        ICS.format(
            uid_session=uid_for_visit("GM0363:session"), uid_intake=uid_for_visit("GM0014:intake")
        ),
    )
    write(
        tmp_path / "b_accept.ics",
        REPLY.format(uid=uid_for_visit("GM0014:intake"), partstat="ACCEPTED"),
    )
    write(
        tmp_path / "c_decline.ics",
        REPLY.format(uid=uid_for_visit("PV26:training"), partstat="DECLINED"),
    )
    write(
        tmp_path / "d_maybe.ics",
        REPLY.format(uid=uid_for_visit("PV26:training"), partstat="TENTATIVE"),
    )
    drop = read_drop_folder(tmp_path, KNOWN)
    assert [(u.visit_id, u.status, u.at, Path(u.source).name) for u in drop.updates] == [
        ("GM0363:session", Status.CONFIRMED, date(2024, 3, 5), "a_replies.ics:4"),
        ("PV26:intake", Status.CANCELLED, date(2024, 3, 7), "a_replies.ics:15"),
        ("GM0014:intake", Status.CONFIRMED, date(2024, 3, 7), "b_accept.ics:5"),
        ("PV26:training", Status.CANCELLED, date(2024, 3, 7), "c_decline.ics:5"),
    ]
    assert len(drop.problems) == 2
    assert drop.problems[0].startswith(f"{ics}:10: ") and "someone-elses-event" in drop.problems[0]
    assert drop.problems[1].startswith(f"{ics}:21: ") and "no STATUS" in drop.problems[1]


def test_broken_ics_file_is_one_problem(tmp_path: Path) -> None:
    bad = write(tmp_path / "broken.ics", "this is not a calendar\n")
    drop = read_drop_folder(tmp_path, KNOWN)
    assert drop.updates == []
    assert [p.split(": ")[0] for p in drop.problems] == [f"{bad}:1"]


def test_availability_calendars_are_returned_for_import(tmp_path: Path) -> None:
    org = write(tmp_path / "orgs" / "GM0363.ics", "BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    person = write(tmp_path / "people" / "R5.csv", "start,end\n")
    unknown = write(tmp_path / "orgs" / "GM0001.ics", "")
    other = write(tmp_path / "notes.txt", "call back")
    drop = read_drop_folder(tmp_path, KNOWN)
    assert drop.calendars == [org, person]
    assert drop.problems == [
        f"{other}:1: not a CSV or ICS file, ignored",
        f"{unknown}:1: GM0001 is not an organisation to visit",
    ]


def test_missing_folder_is_an_empty_drop(tmp_path: Path) -> None:
    assert read_drop_folder(tmp_path / "none", KNOWN) == ([], [], [], [])


def test_updates_are_applied_and_refused_transitions_reported(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "drop" / "replies.csv",
        "GM0363,intake,done,2024-03-01\n"
        "GM0363,intake,planned\n"
        "GM0363,session,proposed\n"
        "GM0363,session,proposed\n",
    )
    drop = read_drop_folder(tmp_path / "drop", KNOWN)
    with PlanStore(tmp_path / "plans.sqlite") as store:
        applied, problems = apply_updates(store, drop.updates, today=date(2024, 3, 9))
        assert [u.source for u in applied] == [f"{csv}:1", f"{csv}:3"]
        assert len(problems) == 1 and problems[0].startswith(f"{csv}:2: ")
        assert "from done back to planned" in problems[0]
        assert store.current_statuses() == {
            "GM0363:intake": Status.DONE,
            "GM0363:session": Status.PROPOSED,
        }
        assert store.status_history("GM0363:session")[0].at == "2024-03-09"


def test_a_header_without_the_needed_columns_is_reported(tmp_path: Path) -> None:
    csv = write(tmp_path / "x.csv", "code,stage\nGM0363,intake,done\n")
    drop = read_drop_folder(tmp_path, KNOWN)
    assert drop.updates == []
    assert drop.problems == [f"{csv}:1: header lacks column(s) status"]


def test_a_header_may_say_organisation_for_code(tmp_path: Path) -> None:
    write(tmp_path / "x.csv", "Organisation,Stage,Status\nGM0363,intake,done\n")
    drop = read_drop_folder(tmp_path, KNOWN)
    assert drop.problems == []
    assert [(u.visit_id, u.status) for u in drop.updates] == [("GM0363:intake", Status.DONE)]
