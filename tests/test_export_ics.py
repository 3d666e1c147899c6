"""ICS export: one calendar per person that parses, with Europe/Amsterdam times right across
the DST switch, stable UIDs, SEQUENCE, cancelled events and nothing confidential."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain import Kind, Organisation, Person, Point, Role, Stage, Status
from optimizer.export.ics import person_calendars, version_calendars, write_person_calendars
from optimizer.plan.store import PlanStore, RunInfo, StoredAppointment, uid_for_visit
from optimizer.timeaxis import AMSTERDAM, TimeAxis

AXIS = TimeAxis(date(2024, 1, 1))
STAMP = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
ORGS = {
    "GM0363": Organisation(
        "GM0363", "Amsterdam", Kind.GEMEENTE, "PV27", "Noord-Holland", Point(4.9, 52.37),
        "noord", address="Amstel 1, 1011 PN Amsterdam",
    ),
    "PV26": Organisation(
        "PV26", "Utrecht", Kind.PROVINCIE, "PV26", "Utrecht", Point(5.1, 52.08), "midden"
    ),
}  # fmt: skip
PEOPLE = {
    "T2": Person("T2", "Anna de Vries", Role.TEAM, Point(4.9, 52.4), "Amsterdam"),
    "T3": Person("T3", "Bram Bakker", Role.TEAM, Point(5.1, 52.1), "Utrecht"),
    "R5": Person("R5", "Carla Jansen", Role.TRAINER, Point(5.0, 52.0), "Gouda"),
    "R6": Person("R6", "Dirk Smit", Role.TRAINER, Point(6.0, 52.0), "Zwolle"),
}
ALLOWED = {
    "UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "GEO",
    "DESCRIPTION", "STATUS", "TRANSP", "CATEGORIES", "X-OPTIMIZER-VISIT",
}  # fmt: skip


def stored(org, stage, people, day, hh, mm=0, length=150, status=Status.PLANNED, sequence=0):
    start = AXIS.at(day, hh * 60 + mm)
    visit = f"{org}:{stage}"
    return StoredAppointment(
        visit, org, stage, people, start, start + length, status, uid_for_visit(visit), sequence
    )


BEFORE_SWITCH = stored("GM0363", Stage.SESSION, ("T2", "R5"), date(2024, 3, 28), 19)
AFTER_SWITCH = stored("PV26", Stage.SESSION, ("T3", "R5"), date(2024, 4, 2), 19,
                      status=Status.CONFIRMED, sequence=2)  # fmt: skip
INTAKE = stored("PV26", Stage.INTAKE, ("T3",), date(2024, 3, 11), 9, 30, 90, Status.PROPOSED)


def events_of(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["X-OPTIMIZER-VISIT"]): e for e in cal.walk("VEVENT")}


def parsed(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def test_one_parsable_calendar_per_person_with_vtimezone(tmp_path: Path) -> None:
    paths = write_person_calendars(
        [BEFORE_SWITCH, AFTER_SWITCH, INTAKE],
        axis=AXIS, organisations=ORGS, people=PEOPLE, out=tmp_path, stamp=STAMP,
    )  # fmt: skip
    assert sorted(p.name for p in paths) == ["R5.ics", "R6.ics", "T2.ics", "T3.ics"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    counts = {}
    for path in paths:
        cal = parsed(path)
        [tz] = cal.walk("VTIMEZONE")
        assert str(tz["TZID"]) == "Europe/Amsterdam"
        assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
        counts[path.stem] = len(cal.walk("VEVENT"))
    assert counts == {"T2": 1, "T3": 2, "R5": 2, "R6": 0}


def test_evening_sessions_in_the_week_of_the_dst_switch_are_at_19_local(tmp_path: Path) -> None:
    [path] = [
        p
        for p in write_person_calendars(
            [BEFORE_SWITCH, AFTER_SWITCH],
            axis=AXIS,
            organisations=ORGS,
            people=PEOPLE,
            out=tmp_path,
            stamp=STAMP,
        )  # fmt: skip
        if p.stem == "R5"
    ]
    text = path.read_text()
    assert "DTSTART;TZID=Europe/Amsterdam:20240328T190000" in text
    assert "DTSTART;TZID=Europe/Amsterdam:20240402T190000" in text
    cal = parsed(path)
    events = events_of(cal)
    before = events["GM0363:session"].decoded("DTSTART")
    after = events["PV26:session"].decoded("DTSTART")
    for moment, day in ((before, date(2024, 3, 28)), (after, date(2024, 4, 2))):
        local = moment.astimezone(AMSTERDAM)
        assert (local.date(), local.hour, local.minute) == (day, 19, 0)
    assert before.utcoffset() == timedelta(hours=1) and after.utcoffset() == timedelta(hours=2)
    assert events["PV26:session"].decoded("DTEND") - after == timedelta(minutes=150)
    # a client that knows only the embedded VTIMEZONE gets the same instants
    embedded = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    for moment in (before, after):
        naive = moment.replace(tzinfo=None)
        assert naive.replace(tzinfo=embedded).astimezone(UTC) == moment.astimezone(UTC)


def test_status_location_summary_and_description() -> None:
    gone = stored("PV26", Stage.TRAINING, ("T3",), date(2024, 5, 6), 10, 0, 180, sequence=1)
    cal = person_calendars(
        [AFTER_SWITCH, INTAKE], axis=AXIS, organisations=ORGS, people=PEOPLE,
        cancelled=[gone], stamp=STAMP,
    )["T3"]  # fmt: skip
    events = events_of(cal)
    assert {v: str(e["STATUS"]) for v, e in events.items()} == {
        "PV26:intake": "TENTATIVE",
        "PV26:session": "CONFIRMED",
        "PV26:training": "CANCELLED",
    }
    assert events["PV26:training"]["SEQUENCE"] == 1
    intake = events["PV26:intake"]
    assert str(intake["SUMMARY"]) == "Intake Utrecht"
    assert str(intake["LOCATION"]) == "Provinciehuis Utrecht"
    description = str(events["PV26:session"]["DESCRIPTION"])
    assert "council session" in description and "Provincie Utrecht (PV26)" in description
    assert "Bram Bakker (team member), Carla Jansen (trainer)" in description
    amsterdam = events_of(person_calendars([BEFORE_SWITCH], axis=AXIS, organisations=ORGS,
                                           people=PEOPLE, stamp=STAMP)["T2"])  # fmt: skip
    assert str(amsterdam["GM0363:session"]["LOCATION"]) == (
        "Gemeentehuis Amsterdam, Amstel 1, 1011 PN Amsterdam"
    )


def _run(fingerprint: str) -> RunInfo:
    return RunInfo(STAMP, date(2024, 3, 1), fingerprint)


def test_store_versions_export_stable_uids_raised_sequence_and_nothing_confidential(
    tmp_path: Path,
) -> None:
    session = BEFORE_SWITCH.appointment
    intake = INTAKE.appointment
    secret = "threatened by a resident, police informed"
    with PlanStore(tmp_path / "plans.sqlite") as store:
        store.save_version([session, intake], as_of=date(2024, 3, 1), run=_run("a"),
                           axis_origin=AXIS.origin, summary={"n": 2})  # fmt: skip
        store.set_status(intake.visit_id, Status.CANCELLED, at=date(2024, 3, 2),
                         source="cli", note=secret)  # fmt: skip
        moved = replace(session, start=session.start + 1440, end=session.end + 1440)
        second = store.save_version(
            [moved], as_of=date(2024, 3, 2), run=_run("b"), axis_origin=AXIS.origin,
            summary={"n": 1, "unplanned": {intake.visit_id: f"incident: {secret}"}},
        )  # fmt: skip
        plan = store.load_version(second)
    calendars = version_calendars(plan, organisations=ORGS, people=PEOPLE)
    t2 = events_of(calendars["T2"])["GM0363:session"]
    assert str(t2["UID"]) == uid_for_visit("GM0363:session") and t2["SEQUENCE"] == 1
    assert t2.decoded("DTSTART").date() == date(2024, 3, 29)
    t3 = events_of(calendars["T3"])["PV26:intake"]
    assert str(t3["STATUS"]) == "CANCELLED" and t3["SEQUENCE"] == 1
    for cal in calendars.values():
        text = cal.to_ical().decode()
        assert "threat" not in text.lower() and "incident" not in text.lower()
        assert "police" not in text.lower()
        for event in cal.walk("VEVENT"):
            assert set(event.keys()) <= ALLOWED


def test_rewriting_replaces_files_without_leaving_temporaries(tmp_path: Path) -> None:
    write_person_calendars([INTAKE], axis=AXIS, organisations=ORGS, people={}, out=tmp_path)
    moved = replace(INTAKE, start=INTAKE.start + 60, end=INTAKE.end + 60, sequence=1)
    [path] = write_person_calendars([moved], axis=AXIS, organisations=ORGS, people={}, out=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["T3.ics"]
    event = events_of(parsed(path))["PV26:intake"]
    assert event.decoded("DTSTART").hour == 10 and event["SEQUENCE"] == 1


def test_cli_export_ics_uses_real_town_halls_and_scenario_names(
    tmp_path: Path, shared_data: Path
) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        f"""
[data]
boundaries_dir = "{shared_data / "boundaries"}"
store = "store/plans.sqlite"

[[team]]
id = "T2"
name = "Anna de Vries"
base = "GM0363"

[[trainers]]
id = "R5"
name = "Carla Jansen"
base = "GM0344"
skills = ["session"]
"""
    )
    with PlanStore(tmp_path / "store" / "plans.sqlite") as store:
        store.save_version([BEFORE_SWITCH.appointment], as_of=date(2024, 3, 1), run=_run("a"),
                           axis_origin=AXIS.origin, summary={})  # fmt: skip
    result = CliRunner().invoke(
        app, ["export", "ics", "--scenario", str(scenario), "--out", str(tmp_path / "ics")]
    )
    assert result.exit_code == 0, result.output
    cal = parsed(tmp_path / "ics" / "R5.ics")
    event = events_of(cal)["GM0363:session"]
    assert str(event["SUMMARY"]) == "Session Amsterdam"
    assert str(event["LOCATION"]).startswith("Gemeentehuis Amsterdam")
    assert "Anna de Vries (team member), Carla Jansen (trainer)" in str(event["DESCRIPTION"])
    assert "Noord-Holland" in str(event["DESCRIPTION"])
