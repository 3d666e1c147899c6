"""The plan store: schema migrations, versions, UIDs/SEQUENCE, statuses, the run lock, and
atomicity under SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from optimizer.domain import Appointment, Stage, Status
from optimizer.errors import StoreError
from optimizer.plan.store import (
    PlanStore,
    RunInfo,
    TransitionError,
    transition_problem,
    uid_for_visit,
)
from optimizer.timeaxis import TimeAxis

ORIGIN = date(2024, 1, 1)
AXIS = TimeAxis(ORIGIN)
REPO = Path(__file__).resolve().parents[1]


def at(day: date, hh: int, mm: int = 0) -> int:
    return AXIS.at(day, hh * 60 + mm)


def appt(org: str, stage: Stage, people: tuple[str, ...], day: date, hh: int, length: int = 90):
    start = at(day, hh)
    return Appointment(f"{org}:{stage}", org, stage, people, start, start + length)


def run(fingerprint: str = "f") -> RunInfo:
    return RunInfo(
        started_at=datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
        as_of=date(2024, 3, 1),
        fingerprint=fingerprint,
        kpis={"travel_min": 123},
        duration_s=1.5,
    )


def save(store: PlanStore, appointments, fingerprint: str = "f", origin: date = ORIGIN) -> int:
    return store.save_version(
        appointments,
        as_of=date(2024, 3, 1),
        run=run(fingerprint),
        axis_origin=origin,
        summary={"n": len(appointments)},
    )


PLAN = [
    appt("GM0363", Stage.INTAKE, ("T2",), date(2024, 3, 12), 9),
    appt("GM0363", Stage.SESSION, ("T2", "R5"), date(2024, 4, 16), 19, 150),
    appt("GM0014", Stage.INTAKE, ("T1",), date(2024, 3, 13), 13),
]


@pytest.fixture
def store(tmp_path: Path):
    with PlanStore(tmp_path / "plans.sqlite") as s:
        yield s


# ---------------------------------------------------------------------------------------------
# Schema


def test_new_store_is_at_the_latest_schema_in_wal_mode(store: PlanStore) -> None:
    assert store.schema_version == len(PlanStore.MIGRATIONS)
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "plan_versions", "appointments", "status_events", "calendar_imports"} <= tables


class _StoreV2(PlanStore):
    MIGRATIONS = (*PlanStore.MIGRATIONS, ("ALTER TABLE runs ADD COLUMN host TEXT",))


def test_migration_upgrades_an_old_store_and_keeps_its_versions(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite"
    with PlanStore(path) as old:
        version = save(old, PLAN)
    with _StoreV2(path) as new:
        assert new.schema_version == len(PlanStore.MIGRATIONS) + 1
        assert len(new.load_version(version).appointments) == len(PLAN)
        columns = {r[1] for r in new._con.execute("PRAGMA table_info(runs)")}
        assert "host" in columns


def test_a_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite"
    _StoreV2(path).close()
    with pytest.raises(StoreError, match="newer than this optimizer"):
        PlanStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite"
    path.write_text("not sqlite at all " * 100)
    with pytest.raises(StoreError, match="not a usable plan store"):
        PlanStore(path)


def test_opening_a_missing_store_without_create_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no plan store"):
        PlanStore(tmp_path / "none.sqlite", create=False)


# ---------------------------------------------------------------------------------------------
# Versions, UIDs, SEQUENCE


def test_saved_version_reads_back_with_run_and_summary(store: PlanStore) -> None:
    assert store.latest_version() is None
    version = save(store, PLAN)
    assert store.latest_version() == version
    plan = store.load_version(version)
    assert {a.appointment for a in plan.appointments} == set(PLAN)
    assert plan.summary == {"n": 3} and plan.axis_origin == ORIGIN and plan.cancelled == ()
    [record] = store.runs()
    assert record.version_id == version and record.info.kpis == {"travel_min": 123}
    assert record.info.fingerprint == "f" and record.info.duration_s == 1.5


def test_two_appointments_for_one_visit_are_refused(store: PlanStore) -> None:
    with pytest.raises(ValueError, match="GM0363:intake"):
        save(store, [PLAN[0], PLAN[0]])
    assert store.latest_version() is None


def test_uid_is_stable_and_sequence_rises_only_on_change(store: PlanStore) -> None:
    first = store.load_version(save(store, PLAN))
    same = store.load_version(save(store, PLAN))
    moved_session = appt("GM0363", Stage.SESSION, ("T2", "R5"), date(2024, 4, 18), 13, 150)
    other_people = appt("GM0014", Stage.INTAKE, ("T3",), date(2024, 3, 13), 13)
    changed = store.load_version(save(store, [PLAN[0], moved_session, other_people]))

    def by_visit(plan):
        return {a.visit_id: a for a in plan.appointments}

    for visit_id, a in by_visit(first).items():
        assert a.uid == uid_for_visit(visit_id) == by_visit(same)[visit_id].uid
        assert a.uid == by_visit(changed)[visit_id].uid
        assert a.sequence == by_visit(same)[visit_id].sequence == 0
    assert by_visit(changed)["GM0363:intake"].sequence == 0
    assert by_visit(changed)["GM0363:session"].sequence == 1
    assert by_visit(changed)["GM0014:intake"].sequence == 1


def test_status_change_raises_sequence(store: PlanStore) -> None:
    save(store, PLAN)
    first = PLAN[0]
    confirmed = replace(first, status=Status.CONFIRMED)
    plan = store.load_version(save(store, [confirmed, *PLAN[1:]]))
    by_visit = {a.visit_id: a for a in plan.appointments}
    assert by_visit[first.visit_id].sequence == 1
    assert by_visit[first.visit_id].status is Status.CONFIRMED


def test_a_visit_that_disappears_stays_as_cancelled_tombstone_until_replanned(
    store: PlanStore,
) -> None:
    save(store, PLAN)
    gone = store.load_version(save(store, PLAN[:2]))
    [tomb] = gone.cancelled
    assert tomb.visit_id == "GM0014:intake" and tomb.status is Status.CANCELLED
    assert tomb.sequence == 1 and tomb.uid == uid_for_visit("GM0014:intake")
    still_gone = store.load_version(save(store, PLAN[:2]))
    assert still_gone.cancelled == (tomb,)
    back = appt("GM0014", Stage.INTAKE, ("T1",), date(2024, 3, 20), 10)
    replanned = store.load_version(save(store, [*PLAN[:2], back]))
    assert replanned.cancelled == ()
    again = {a.visit_id: a for a in replanned.appointments}["GM0014:intake"]
    assert again.uid == tomb.uid and again.sequence == 2 and again.status is Status.PLANNED


def test_declined_visit_becomes_a_declined_tombstone(store: PlanStore) -> None:
    save(store, PLAN)
    store.set_status("GM0363:session", Status.DECLINED, at=date(2024, 3, 2), source="test")
    plan = store.load_version(save(store, [PLAN[0], PLAN[2]]))
    assert [(a.visit_id, a.status) for a in plan.cancelled] == [("GM0363:session", Status.DECLINED)]


def test_versions_on_different_axes_compare_in_wall_clock_time(store: PlanStore) -> None:
    save(store, PLAN)
    later_origin = date(2024, 3, 1)
    shift = (later_origin - ORIGIN).days * 1440
    shifted = [
        Appointment(a.visit_id, a.org, a.stage, a.people, a.start - shift, a.end - shift)
        for a in PLAN
    ]
    plan = store.load_version(save(store, shifted, origin=later_origin))
    assert all(a.sequence == 0 for a in plan.appointments)
    assert plan.on_axis(AXIS).appointments[0].start in {a.start for a in PLAN}


# ---------------------------------------------------------------------------------------------
# Statuses


def test_status_history_and_current_statuses(store: PlanStore) -> None:
    visit = "GM0363:session"
    assert store.set_status(visit, Status.PROPOSED, at=date(2024, 3, 1), source="cli")
    assert store.set_status(visit, "confirmed", at=date(2024, 3, 5), source="a.csv:2", note="ok")
    assert not store.set_status(visit, Status.CONFIRMED, at=date(2024, 3, 6), source="cli")
    assert store.current_statuses() == {visit: Status.CONFIRMED}
    history = store.status_history(visit)
    assert [(e.status, e.at, e.source) for e in history] == [
        (Status.PROPOSED, "2024-03-01", "cli"),
        (Status.CONFIRMED, "2024-03-05", "a.csv:2"),
    ]
    assert history[-1].note == "ok"


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (Status.CONFIRMED, Status.PLANNED, False),
        (Status.CONFIRMED, Status.PROPOSED, False),
        (Status.DONE, Status.PLANNED, False),
        (Status.DONE, Status.CONFIRMED, False),
        (Status.CONFIRMED, Status.CANCELLED, True),
        (Status.DONE, Status.DECLINED, True),
        (Status.PROPOSED, Status.PLANNED, True),
        (Status.CANCELLED, Status.PLANNED, True),
        (Status.CONFIRMED, Status.DONE, True),
    ],
)
def test_status_transitions(store: PlanStore, old: Status, new: Status, allowed: bool) -> None:
    assert (transition_problem(old, new) is None) is allowed
    store.set_status("PV26:intake", old, at=date(2024, 3, 1), source="t")
    if allowed:
        assert store.set_status("PV26:intake", new, at=date(2024, 3, 2), source="t")
        assert store.current_statuses()["PV26:intake"] is new
    else:
        with pytest.raises(TransitionError, match=f"from {old} back to {new}"):
            store.set_status("PV26:intake", new, at=date(2024, 3, 2), source="t")
        assert store.current_statuses()["PV26:intake"] is old


def test_calendar_imports_are_recorded_with_their_hash(store: PlanStore, tmp_path: Path) -> None:
    ics = tmp_path / "GM0363.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    store.record_calendar_import(ics, kind="org")
    [record] = store.calendar_imports()
    assert record.path == str(ics) and record.kind == "org" and len(record.sha256) == 64
    assert store.was_imported(record.sha256)
    assert not store.was_imported("0" * 64)


# ---------------------------------------------------------------------------------------------
# Run lock and crashes (child processes)


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


TRY_LOCK = """
    import sys
    from optimizer.errors import StoreError
    from optimizer.plan.store import PlanStore
    store = PlanStore(sys.argv[1])
    try:
        with store.run_lock():
            print("got the lock")
    except StoreError as exc:
        print(exc)
        sys.exit(3)
"""


def test_a_second_run_is_refused_while_one_holds_the_lock(store: PlanStore) -> None:
    with store.run_lock():
        child = _python(TRY_LOCK, str(store.path))
        out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    assert "another nightly run" in out and f"pid {os.getpid()}, started at" in out
    assert str(store.path) in out
    child = _python(TRY_LOCK, str(store.path))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0 and "got the lock" in out, err


SAVE_FOREVER = """
    import sys
    from datetime import date, datetime, UTC
    from optimizer.domain import Appointment, Stage
    from optimizer.plan.store import PlanStore, RunInfo
    n = int(sys.argv[2])
    store = PlanStore(sys.argv[1])
    store._con.execute("PRAGMA cache_size=50")  # spill uncommitted pages to the WAL early
    with store.run_lock():
        print("locked", flush=True)
        for round_ in range(10**6):
            plan = [
                Appointment(f"X{i}:intake", f"X{i}", Stage.INTAKE, ("T1",),
                            600 + round_ + i, 690 + round_ + i)
                for i in range(n)
            ]
            run = RunInfo(datetime.now(UTC), date(2024, 3, 1), f"round {round_}")
            store.save_version(plan, as_of=date(2024, 3, 1), run=run,
                               axis_origin=date(2024, 1, 1), summary={"n": n})
"""


def _writer_busy(path: Path) -> bool:
    """Whether another connection holds the write lock (is inside a transaction)."""
    con = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()
    return False


@pytest.mark.parametrize("moment", ["inside a transaction", "after a random delay"])
def test_kill_during_save_leaves_previous_version_intact(store: PlanStore, moment: str) -> None:
    first = save(store, PLAN)
    wal = store.path.with_name(store.path.name + "-wal")
    committed = wal.stat().st_size
    child = _python(SAVE_FOREVER, str(store.path), "20000")
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    deadline = time.monotonic() + 30
    if moment == "inside a transaction":
        # uncommitted pages already on disk, and the writer still inside its transaction
        while not (wal.stat().st_size > committed + 256 * 1024 and _writer_busy(store.path)):
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.002)
    else:
        time.sleep(0.05 + (os.getpid() % 7) * 0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with PlanStore(store.path) as after:
        versions = after.versions()
        assert versions[0] == first
        for version in versions:
            plan = after.load_version(version)
            assert len(plan.appointments) == plan.summary["n"]
        assert {a.appointment for a in after.load_version(first).appointments} == set(PLAN)
        assert all(r.version_id is not None for r in after.runs())
        with after.run_lock():
            new = save(after, PLAN)
        assert new == after.latest_version() > versions[-1]
        assert len(after.load_version(new).appointments) == len(PLAN)


# ---------------------------------------------------------------------------------------------
# Commands


def _scenario(tmp_path: Path) -> Path:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text('[data]\nstore = "plans/plans.sqlite"\n')
    return scenario


def test_cli_status_set_records_history_and_refuses_going_back(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from optimizer.cli import app

    scenario = str(_scenario(tmp_path))
    runner = CliRunner()
    ok = runner.invoke(app, ["status", "set", "GM0363", "session", "confirmed", "--date",
                             "2024-03-05", "--note", "phoned", "--scenario", scenario])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    back = runner.invoke(app, ["status", "set", "gm0363", "session", "planned", "-s", scenario])
    assert isinstance(back.exception, TransitionError)
    assert "confirmed back to planned" in str(back.exception)
    bad = runner.invoke(app, ["status", "set", "GM363", "session", "done", "-s", scenario])
    assert bad.exit_code == 2 and "GM363" in bad.output
    with PlanStore(tmp_path / "plans" / "plans.sqlite") as store:
        [event] = store.status_history("GM0363:session")
    assert (event.status, event.at, event.source, event.note) == (
        Status.CONFIRMED, "2024-03-05", "cli", "phoned"
    )  # fmt: skip
    shown = runner.invoke(app, ["status", "show", "GM0363", "-s", scenario])
    assert shown.exit_code == 0 and "GM0363:session" in shown.output and "phoned" in shown.output


def test_cli_diff_shows_last_night_in_words_with_real_names(tmp_path: Path, shared_data) -> None:
    from typer.testing import CliRunner

    from optimizer.cli import app

    scenario = _scenario(tmp_path)
    with PlanStore(tmp_path / "plans" / "plans.sqlite") as s:
        save(s, PLAN)
        moved = replace(PLAN[1], start=at(date(2024, 4, 18), 13, 30))
        save(s, [PLAN[0], replace(moved, end=moved.start + 150)])
    result = CliRunner().invoke(app, ["diff", "--scenario", str(scenario)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Version 1 -> 2"
    assert (
        "- GM0363 Amsterdam session moved from Tue 2024-04-16 19:00 to Thu 2024-04-18 13:30; "
        "tell: T2, R5"
    ) in lines
    assert any(line.startswith("- GM0014 Groningen intake on Wed 2024-03-13 13:00 cancelled")
               for line in lines)  # fmt: skip
