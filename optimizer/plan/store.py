"""The plan store: every plan version, the appointments' status history, the runs and the
calendars imported, in one SQLite database (stdlib :mod:`sqlite3`, WAL mode).

Guarantees:

- **Atomic versions.** :meth:`PlanStore.save_version` writes a run, a plan version and all of
  its appointments in one ``BEGIN IMMEDIATE ... COMMIT`` transaction. A crash or ``kill -9`` at
  any moment leaves the previous version intact and readable; the half-written one never
  becomes visible.
- **One nightly run at a time.** :meth:`PlanStore.run_lock` takes an exclusive, non-blocking
  ``flock`` on ``<db>.lock``; a second run gets a :class:`~optimizer.errors.StoreError` naming
  the pid and start time of the first. The kernel drops the lock when its holder dies.
- **Versioned schema.** ``schema_version`` holds the number of migrations applied; opening a
  store applies the missing ones in order; a store newer than the code is refused.

Times: appointment ``start_min``/``end_min`` are minutes on the :mod:`optimizer.timeaxis` axis
of the version's ``axis_origin`` (stored with the version); wall-clock timestamps are ISO 8601
strings in Europe/Amsterdam.

UIDs and SEQUENCE (for the calendars): every visit has **one UID for its whole life**,
``uuid5(UID_NAMESPACE, visit_id)`` (:func:`uid_for_visit`): a moved appointment keeps its UID,
and a cancelled visit that gets a new date later re-appears under the same UID. ``sequence``
starts at 0 and is raised by one in a new version whenever the start, end, people or status
differ from the previous version. A visit that was in the previous version but is missing from
the new one is kept in the new version as a *tombstone* (status ``cancelled``, or ``declined``
when that is its current status; sequence raised once), so calendars can show it as
cancelled; tombstones are carried forward unchanged until the visit is planned again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from optimizer.domain import Appointment, Stage, Status
from optimizer.errors import StoreError
from optimizer.timeaxis import AMSTERDAM, MINUTES_PER_DAY, TimeAxis

UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "optimizer.weerbaar-bestuur.nl")
"""Namespace of the appointments' UIDs (fixed forever: changing it changes every UID)."""

INACTIVE = frozenset({Status.CANCELLED, Status.DECLINED})
"""Statuses of appointments that no longer take place (tombstones in a version)."""

_V1 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        as_of TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        kpis_json TEXT NOT NULL DEFAULT '{}',
        duration_s REAL,
        status TEXT NOT NULL)""",
    """CREATE TABLE plan_versions (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        created_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        axis_origin TEXT NOT NULL,
        summary_json TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE appointments (
        version_id INTEGER NOT NULL REFERENCES plan_versions(id),
        visit_id TEXT NOT NULL,
        org TEXT NOT NULL,
        stage TEXT NOT NULL,
        people TEXT NOT NULL,
        start_min INTEGER NOT NULL,
        end_min INTEGER NOT NULL,
        status TEXT NOT NULL,
        uid TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        PRIMARY KEY (version_id, visit_id)) WITHOUT ROWID""",
    """CREATE TABLE status_events (
        id INTEGER PRIMARY KEY,
        visit_id TEXT NOT NULL,
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX status_events_by_visit ON status_events (visit_id, id)",
    """CREATE TABLE calendar_imports (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        kind TEXT NOT NULL)""",
    "CREATE INDEX calendar_imports_by_sha ON calendar_imports (sha256)",
)


class TransitionError(StoreError):
    """A status change the life cycle forbids (e.g. confirmed back to planned)."""


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class StoredAppointment:
    """An appointment as stored in a version: the domain fields plus the calendar identity.

    Has the same attribute names as :class:`~optimizer.domain.Appointment` (``start``/``end``
    in axis minutes of the version's axis), so it can be passed wherever one is read.
    """

    visit_id: str
    org: str
    stage: Stage
    people: tuple[str, ...]
    start: int
    end: int
    status: Status
    uid: str
    sequence: int

    @property
    def appointment(self) -> Appointment:
        return Appointment(
            self.visit_id, self.org, self.stage, self.people, self.start, self.end, self.status
        )

    @property
    def active(self) -> bool:
        """False for a tombstone (cancelled or declined)."""
        return self.status not in INACTIVE

    def shifted(self, minutes: int) -> StoredAppointment:
        return replace(self, start=self.start + minutes, end=self.end + minutes)


@dataclass(frozen=True)
class RunInfo:
    """One optimizer run: when (aware datetimes), on what inputs, with what result.

    ``fingerprint`` identifies the inputs (e.g. a hash of scenario, calendars and statuses);
    ``kpis`` is any JSON-serialisable mapping; ``duration_s`` is wall time in seconds.
    """

    started_at: datetime
    as_of: date
    fingerprint: str
    kpis: Mapping[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    finished_at: datetime | None = None
    status: str = "ok"


@dataclass(frozen=True)
class RunRecord:
    """A stored run; ``version_id`` is None for a run that saved no plan."""

    id: int
    info: RunInfo
    version_id: int | None


@dataclass(frozen=True)
class StoredPlan:
    """One plan version: the appointments that take place and the tombstones."""

    version_id: int
    run_id: int | None
    created_at: datetime
    as_of: date
    axis_origin: date
    summary: Mapping[str, Any]
    appointments: tuple[StoredAppointment, ...]
    """Appointments that take place (status planned, proposed, confirmed or done)."""
    cancelled: tuple[StoredAppointment, ...]
    """Tombstones: visits of earlier versions that no longer take place."""

    @property
    def axis(self) -> TimeAxis:
        return TimeAxis(self.axis_origin)

    def on_axis(self, axis: TimeAxis) -> StoredPlan:
        """The same plan with start/end re-expressed in minutes of ``axis``."""
        shift = (self.axis_origin - axis.origin).days * MINUTES_PER_DAY
        if shift == 0:
            return self
        return replace(
            self,
            axis_origin=axis.origin,
            appointments=tuple(a.shifted(shift) for a in self.appointments),
            cancelled=tuple(a.shifted(shift) for a in self.cancelled),
        )


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One entry of a visit's status history; ``at`` is when the change took effect."""

    id: int
    visit_id: str
    status: Status
    at: str
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class CalendarImport:
    id: int
    path: str
    sha256: str
    imported_at: str
    kind: str


# ---------------------------------------------------------------------------------------------
# Pure rules


def uid_for_visit(visit_id: str) -> str:
    """The calendar UID of a visit, the same in every version and every store."""
    return str(uuid.uuid5(UID_NAMESPACE, visit_id))


def transition_problem(old: Status | None, new: Status) -> str | None:
    """Why ``old -> new`` is not allowed, or None if it is.

    Cancelled and declined may be reached from any status; confirmed and done never go back
    to planned or proposed, and done never goes back to confirmed.
    """
    if old is None or old == new or new in INACTIVE:
        return None
    if old.fixed and new in (Status.PLANNED, Status.PROPOSED):
        return f"cannot go from {old} back to {new}"
    if old is Status.DONE and new is Status.CONFIRMED:
        return "cannot go from done back to confirmed"
    return None


def _changed(old: StoredAppointment, new: Appointment) -> bool:
    return (old.start, old.end, tuple(old.people), old.status) != (
        new.start,
        new.end,
        tuple(new.people),
        Status(new.status),
    )


def _now() -> str:
    return datetime.now(AMSTERDAM).isoformat(timespec="seconds")


def _iso(moment: date | datetime | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), default=str, sort_keys=True)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# The store


class PlanStore:
    """The SQLite plan store at ``path`` (created with its folder unless ``create=False``).

    Use as a context manager or call :meth:`close`. One instance per thread.
    """

    MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
    """Migration ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise StoreError(f"{self.path}: no plan store here (no plan was saved yet)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=FULL")
            self._con.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise StoreError(f"{self.path}: not a usable plan store: {exc}") from exc
        except BaseException:
            self._con.close()
            raise

    # -- housekeeping ---------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """Number of migrations applied to the database (0 for a new file)."""
        exists = self._con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if not exists:
            return 0
        row = self._con.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> PlanStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE``, then COMMIT, or ROLLBACK on error."""
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    def _migrate(self) -> None:
        known = len(self.MIGRATIONS)
        if self.schema_version == known:
            return
        with self._write() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = self.schema_version
            if current > known:
                raise StoreError(
                    f"{self.path}: the plan store has schema version {current}, newer than "
                    f"this optimizer knows ({known}); upgrade the optimizer"
                )
            for statements in self.MIGRATIONS[current:]:
                for statement in statements:
                    con.execute(statement)
            if current == 0:
                con.execute("INSERT INTO schema_version (version) VALUES (?)", (known,))
            elif current < known:
                con.execute("UPDATE schema_version SET version = ?", (known,))

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the exclusive nightly-run lock; raise StoreError at once if another has it."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                raise StoreError(
                    f"another nightly run ({holder or 'pid unknown'}) holds the lock on "
                    f"{self.path}; wait for it to finish"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started at {_now()}".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- runs and versions ----------------------------------------------------------------

    def _insert_run(self, con: sqlite3.Connection, run: RunInfo) -> int:
        cursor = con.execute(
            "INSERT INTO runs (started_at, finished_at, as_of, fingerprint, kpis_json, "
            "duration_s, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                _iso(run.started_at),
                _iso(run.finished_at),
                run.as_of.isoformat(),
                run.fingerprint,
                _json(run.kpis),
                run.duration_s,
                run.status,
            ),
        )
        return int(cursor.lastrowid)

    def record_run(self, run: RunInfo) -> int:
        """Record a run that saved no plan version (e.g. a failed one); returns its id."""
        with self._write() as con:
            return self._insert_run(con, run)

    def save_version(
        self,
        appointments: Sequence[Appointment],
        *,
        as_of: date,
        run: RunInfo,
        axis_origin: date,
        summary: Mapping[str, Any],
    ) -> int:
        """Store a new plan version with its run, atomically; returns the version id.

        ``appointments`` have start/end in minutes of the axis starting at ``axis_origin``;
        one per visit. Appointments given with status cancelled/declined are stored as
        tombstones. UIDs and sequences are assigned as described in the module docstring.
        """
        visit_ids = [a.visit_id for a in appointments]
        if len(set(visit_ids)) != len(visit_ids):
            twice = sorted({v for v in visit_ids if visit_ids.count(v) > 1})
            raise ValueError(f"more than one appointment for visit(s) {', '.join(twice)}")
        with self._write() as con:
            previous = self._previous_rows(con, axis_origin)
            run_id = self._insert_run(con, run)
            version_id = int(
                con.execute(
                    "INSERT INTO plan_versions (run_id, created_at, as_of, axis_origin, "
                    "summary_json) VALUES (?, ?, ?, ?, ?)",
                    (run_id, _now(), as_of.isoformat(), axis_origin.isoformat(), _json(summary)),
                ).lastrowid
            )
            rows = self._version_rows(appointments, previous, self._current(con))
            con.executemany(
                "INSERT INTO appointments (version_id, visit_id, org, stage, people, "
                "start_min, end_min, status, uid, sequence) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(version_id, *_row(a)) for a in rows],
            )
        return version_id

    def _previous_rows(
        self, con: sqlite3.Connection, axis_origin: date
    ) -> dict[str, StoredAppointment]:
        latest = con.execute("SELECT max(id) FROM plan_versions").fetchone()[0]
        if latest is None:
            return {}
        plan = self._load(con, int(latest)).on_axis(TimeAxis(axis_origin))
        return {a.visit_id: a for a in plan.appointments + plan.cancelled}

    @staticmethod
    def _version_rows(
        appointments: Sequence[Appointment],
        previous: Mapping[str, StoredAppointment],
        statuses: Mapping[str, Status],
    ) -> list[StoredAppointment]:
        rows = []
        for a in appointments:
            old = previous.get(a.visit_id)
            sequence = 0 if old is None else old.sequence + int(_changed(old, a))
            rows.append(
                StoredAppointment(
                    a.visit_id,
                    a.org,
                    Stage(a.stage),
                    tuple(a.people),
                    a.start,
                    a.end,
                    Status(a.status),
                    uid_for_visit(a.visit_id) if old is None else old.uid,
                    sequence,
                )
            )
        present = {a.visit_id for a in appointments}
        for visit_id, old in previous.items():
            if visit_id in present:
                continue
            if not old.active:
                rows.append(old)
                continue
            status = statuses.get(visit_id)
            gone = status if status in INACTIVE else Status.CANCELLED
            rows.append(replace(old, status=gone, sequence=old.sequence + 1))
        return rows

    def latest_version(self) -> int | None:
        """Id of the newest plan version, or None if none was saved."""
        row = self._con.execute("SELECT max(id) FROM plan_versions").fetchone()
        return None if row[0] is None else int(row[0])

    def versions(self) -> list[int]:
        """Ids of all plan versions, oldest first."""
        return [int(r[0]) for r in self._con.execute("SELECT id FROM plan_versions ORDER BY id")]

    def load_version(self, version_id: int) -> StoredPlan:
        """One stored plan version; StoreError if there is no such version."""
        return self._load(self._con, version_id)

    def _load(self, con: sqlite3.Connection, version_id: int) -> StoredPlan:
        head = con.execute(
            "SELECT run_id, created_at, as_of, axis_origin, summary_json FROM plan_versions "
            "WHERE id = ?",
            (version_id,),
        ).fetchone()
        if head is None:
            raise StoreError(f"{self.path}: no plan version {version_id}")
        stored = [
            StoredAppointment(
                visit_id,
                org,
                Stage(stage),
                tuple(json.loads(people)),
                start,
                end,
                Status(status),
                uid,
                sequence,
            )
            for visit_id, org, stage, people, start, end, status, uid, sequence in con.execute(
                "SELECT visit_id, org, stage, people, start_min, end_min, status, uid, sequence "
                "FROM appointments WHERE version_id = ? ORDER BY start_min, visit_id",
                (version_id,),
            )
        ]
        return StoredPlan(
            version_id=version_id,
            run_id=head[0],
            created_at=datetime.fromisoformat(head[1]),
            as_of=date.fromisoformat(head[2]),
            axis_origin=date.fromisoformat(head[3]),
            summary=json.loads(head[4]),
            appointments=tuple(a for a in stored if a.active),
            cancelled=tuple(a for a in stored if not a.active),
        )

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first, with the version it saved (if any)."""
        query = (
            "SELECT r.id, r.started_at, r.finished_at, r.as_of, r.fingerprint, r.kpis_json, "
            "r.duration_s, r.status, v.id FROM runs r LEFT JOIN plan_versions v "
            "ON v.run_id = r.id ORDER BY r.id"
        )
        return [
            RunRecord(
                id=row[0],
                info=RunInfo(
                    started_at=datetime.fromisoformat(row[1]),
                    finished_at=datetime.fromisoformat(row[2]) if row[2] else None,
                    as_of=date.fromisoformat(row[3]),
                    fingerprint=row[4],
                    kpis=json.loads(row[5]),
                    duration_s=row[6],
                    status=row[7],
                ),
                version_id=row[8],
            )
            for row in self._con.execute(query)
        ]

    # -- statuses -------------------------------------------------------------------------

    def set_status(
        self,
        visit_id: str,
        status: Status | str,
        *,
        at: date | datetime,
        source: str,
        note: str = "",
    ) -> bool:
        """Record a status change of a visit; False (nothing recorded) if it already has it.

        ``at`` is when the change took effect (a local date or an aware datetime); ``source``
        says where it came from (``"cli"``, ``"replies.csv:4"``); ``note`` is kept in the
        history only and never exported. Raises :class:`TransitionError` for a forbidden
        change (see :func:`transition_problem`).
        """
        new = Status(status)
        with self._write() as con:
            old = self._current(con).get(visit_id)
            problem = transition_problem(old, new)
            if problem:
                raise TransitionError(f"{visit_id}: {problem} (source {source})")
            if old == new:
                return False
            con.execute(
                "INSERT INTO status_events (visit_id, status, at, source, note) "
                "VALUES (?, ?, ?, ?, ?)",
                (visit_id, new.value, _iso(at), source, note),
            )
            return True

    @staticmethod
    def _current(con: sqlite3.Connection) -> dict[str, Status]:
        rows = con.execute(
            "SELECT visit_id, status FROM status_events WHERE id IN "
            "(SELECT max(id) FROM status_events GROUP BY visit_id) ORDER BY visit_id"
        )
        return {visit_id: Status(status) for visit_id, status in rows}

    def current_statuses(self) -> dict[str, Status]:
        """The latest recorded status of every visit that has a history."""
        return self._current(self._con)

    def status_history(self, visit_id: str) -> list[StatusEvent]:
        """Every status change of a visit, oldest first."""
        rows = self._con.execute(
            "SELECT id, visit_id, status, at, source, note FROM status_events "
            "WHERE visit_id = ? ORDER BY id",
            (visit_id,),
        )
        return [StatusEvent(i, v, Status(s), at, src, note) for i, v, s, at, src, note in rows]

    # -- calendar imports -----------------------------------------------------------------

    def record_calendar_import(
        self, path: Path | str, *, kind: str, sha256: str | None = None
    ) -> int:
        """Note that a calendar file was imported (``kind`` e.g. ``"org"``/``"person"``);
        the SHA-256 of its bytes is computed unless given. Returns the record id."""
        digest = sha256 or file_sha256(Path(path))
        with self._write() as con:
            cursor = con.execute(
                "INSERT INTO calendar_imports (path, sha256, imported_at, kind) "
                "VALUES (?, ?, ?, ?)",
                (str(path), digest, _now(), kind),
            )
            return int(cursor.lastrowid)

    def calendar_imports(self) -> list[CalendarImport]:
        rows = self._con.execute(
            "SELECT id, path, sha256, imported_at, kind FROM calendar_imports ORDER BY id"
        )
        return [CalendarImport(*row) for row in rows]

    def was_imported(self, sha256: str) -> bool:
        """Whether a file with these bytes was imported before."""
        row = self._con.execute(
            "SELECT 1 FROM calendar_imports WHERE sha256 = ? LIMIT 1", (sha256,)
        ).fetchone()
        return row is not None


def _row(a: StoredAppointment) -> tuple:
    return (
        a.visit_id,
        a.org,
        a.stage.value,
        json.dumps(list(a.people)),
        a.start,
        a.end,
        a.status.value,
        a.uid,
        a.sequence,
    )
