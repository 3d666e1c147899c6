"""Publishing to a real CalDAV server: Radicale on loopback, read back with the caldav client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import caldav
import pytest

from optimizer.domain import Appointment, Kind, Organisation, Person, Point, Role, Stage
from optimizer.errors import NetworkError
from optimizer.export.caldav import publish
from optimizer.export.ics import version_calendars
from optimizer.plan.store import PlanStore, RunInfo, StoredPlan, uid_for_visit
from optimizer.timeaxis import AMSTERDAM, TimeAxis

AXIS = TimeAxis(date(2024, 1, 1))
USER, PASSWORD = "optimizer", "secret"
ORGS = {
    code: Organisation(
        code, name, Kind.GEMEENTE, "PV27", "Noord-Holland", Point(4.9, 52.4), "noord"
    )  # fmt: skip
    for code, name in (("GM0363", "Amsterdam"), ("GM0392", "Haarlem"), ("GM0361", "Alkmaar"))
}
PEOPLE = {
    "T2": Person("T2", "Anna de Vries", Role.TEAM, Point(4.9, 52.4), "Amsterdam"),
    "R5": Person("R5", "Carla Jansen", Role.TRAINER, Point(5.0, 52.0), "Gouda"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def radicale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Radicale server on 127.0.0.1 with its own storage folder; yields its URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "radicale", "--config", "",
            "--storage-filesystem-folder", str(tmp_path / "radicale"),
            "--auth-type", "none", "--auth-delay", "0",  # no 1 s delay after the 401
            "--server-hosts", f"127.0.0.1:{port}",
            "--logging-level", "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    message = f"radicale did not start: {server.stderr.read()!r}"
                    raise RuntimeError(message) from exc
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def appt(org: str, stage: Stage, people: tuple[str, ...], day: date, hh: int, length: int):
    start = AXIS.at(day, hh * 60)
    return Appointment(f"{org}:{stage}", org, stage, people, start, start + length)


def _save(store: PlanStore, appointments: list[Appointment]) -> StoredPlan:
    run = RunInfo(datetime.now(UTC), date(2024, 3, 1), "test")
    version = store.save_version(
        appointments, as_of=date(2024, 3, 1), run=run, axis_origin=AXIS.origin, summary={}
    )
    return store.load_version(version)


def _server_state(url: str) -> dict[str, list[tuple[str, int, datetime, str]]]:
    """Per calendar id: (UID, SEQUENCE, local start, STATUS) of every event on the server."""
    with caldav.DAVClient(url=url, username=USER, password=PASSWORD) as client:
        state = {}
        for calendar in client.principal().calendars():
            cal_id = str(calendar.url).rstrip("/").rsplit("/", 1)[-1]
            rows = []
            for obj in calendar.get_events():
                event = obj.icalendar_component
                rows.append((
                    str(event["UID"]), int(event["SEQUENCE"]),
                    event.decoded("DTSTART").astimezone(AMSTERDAM).replace(tzinfo=None),
                    str(event.get("STATUS", "")),
                ))  # fmt: skip
            state[cal_id] = sorted(rows)
        return state


def _expected(plan: StoredPlan) -> dict[str, list[tuple[str, int, datetime, str]]]:
    calendars = version_calendars(plan, organisations=ORGS, people=PEOPLE)
    expected = {}
    for pid, cal in calendars.items():
        expected[pid] = sorted(
            (str(e["UID"]), int(e["SEQUENCE"]),
             e.decoded("DTSTART").astimezone(AMSTERDAM).replace(tzinfo=None), str(e["STATUS"]))
            for e in cal.walk("VEVENT")
            if str(e["STATUS"]) != "CANCELLED"
        )  # fmt: skip
    return expected


def test_publish_makes_the_server_equal_to_the_plan_across_nights(
    radicale: str, tmp_path: Path
) -> None:
    intake = appt("GM0363", Stage.INTAKE, ("T2",), date(2024, 3, 12), 9, 90)
    session = appt("GM0392", Stage.SESSION, ("T2", "R5"), date(2024, 3, 28), 19, 150)
    training = appt("GM0361", Stage.TRAINING, ("R5",), date(2024, 4, 9), 10, 180)
    with PlanStore(tmp_path / "plans.sqlite") as store:
        night1 = _save(store, [intake, session, training])
        first = publish(
            radicale,
            username=USER,
            password=PASSWORD,
            calendars=version_calendars(night1, organisations=ORGS, people=PEOPLE),
        )
        assert first.total("created") == 4 and first.total("deleted") == 0
        assert _server_state(radicale) == _expected(night1)

        # night 2: the session moves after the DST switch, the training is cancelled,
        # an intake is added
        moved = replace(session, start=AXIS.at(date(2024, 4, 2), 19 * 60))
        moved = replace(moved, end=moved.start + 150)
        added = appt("GM0392", Stage.INTAKE, ("T2",), date(2024, 3, 14), 13, 90)
        night2 = _save(store, [intake, moved, added])
    calendars2 = version_calendars(night2, organisations=ORGS, people=PEOPLE)
    second = publish(radicale, username=USER, password=PASSWORD, calendars=calendars2)
    assert second.people["T2"].created == 1 and second.people["T2"].updated == 1
    assert second.people["T2"].unchanged == 1
    assert second.people["R5"].deleted == 1 and second.people["R5"].updated == 1

    state = _server_state(radicale)
    assert state == _expected(night2)
    for rows in state.values():
        assert all(n == 1 for n in Counter(uid for uid, *_ in rows).values())  # no duplicates
    assert uid_for_visit("GM0361:training") not in {
        uid for rows in state.values() for uid, *_ in rows
    }
    session_rows = [r for r in state["R5"] if r[0] == uid_for_visit("GM0392:session")]
    assert session_rows == [
        (uid_for_visit("GM0392:session"), 1, datetime(2024, 4, 2, 19, 0), "TENTATIVE")
    ]

    third = publish(radicale, username=USER, password=PASSWORD, calendars=calendars2)
    assert third.total("created") + third.total("updated") + third.total("deleted") == 0
    assert _server_state(radicale) == state


def test_publish_removes_events_added_by_hand(radicale: str, tmp_path: Path) -> None:
    intake = appt("GM0363", Stage.INTAKE, ("T2",), date(2024, 3, 12), 9, 90)
    with PlanStore(tmp_path / "plans.sqlite") as store:
        plan = _save(store, [intake])
    calendars = version_calendars(plan, organisations=ORGS, people=PEOPLE)
    publish(radicale, username=USER, password=PASSWORD, calendars=calendars)
    with caldav.DAVClient(url=radicale, username=USER, password=PASSWORD) as client:
        [t2] = [c for c in client.principal().calendars() if str(c.url).rstrip("/").endswith("T2")]
        t2.add_event(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x\r\nBEGIN:VEVENT\r\nUID:stray\r\n"
            "DTSTAMP:20240301T000000Z\r\nDTSTART:20240320T100000Z\r\n"
            "DTEND:20240320T110000Z\r\nSUMMARY:stray\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    summary = publish(radicale, username=USER, password=PASSWORD, calendars=calendars)
    assert summary.people["T2"].deleted == 1 and summary.people["T2"].unchanged == 1
    assert [uid for uid, *_ in _server_state(radicale)["T2"]] == [uid_for_visit(intake.visit_id)]


def test_unreachable_server_is_a_network_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}/"
    with pytest.raises(NetworkError, match="127.0.0.1"):
        publish(url, username=USER, password=PASSWORD, calendars={})


def test_cli_publish_sends_the_latest_version(radicale: str, tmp_path: Path, shared_data) -> None:
    from typer.testing import CliRunner

    from optimizer.cli import app

    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[[team]]\nid = "T2"\nname = "Anna de Vries"\nbase = "GM0363"\n'
        '[[trainers]]\nid = "R5"\nname = "Carla Jansen"\nbase = "GM0344"\n'
    )
    session = appt("GM0392", Stage.SESSION, ("T2", "R5"), date(2024, 3, 28), 19, 150)
    with PlanStore(tmp_path / "plans.sqlite") as store:
        plan = _save(store, [session])
    result = CliRunner().invoke(
        app,
        ["publish", "--url", radicale, "--user", USER, "--password", PASSWORD,
         "--scenario", str(scenario)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "T2: 1 created" in result.output and "R5: 1 created" in result.output
    assert _server_state(radicale) == _expected(plan)
