"""Status updates from the drop folder: replies of town halls read by the nightly run.

The drop folder holds:

- ``*.csv``: one status change a row, ``code,stage,status[,date][,note]``, separated by ``,``
  or ``;`` (UTF-8, an Excel BOM is fine). An optional header row (one that has ``stage`` or
  ``status``) names the columns, then in any order (``organisation`` for ``code``).
  ``date`` is when the change took effect (``YYYY-MM-DD`` or ``DD-MM-YYYY``); Dutch words
  are understood for stages and statuses (``sessie``, ``bevestigd``, ``geannuleerd``, ...).
  Empty lines and lines starting with ``#`` are skipped.
- ``*.ics``: replies. Each VEVENT names its visit with ``X-OPTIMIZER-VISIT`` or carries the
  UID our export wrote (:func:`~optimizer.plan.store.uid_for_visit`). With ``METHOD:REPLY``
  the attendee's ``PARTSTAT`` counts: ``ACCEPTED`` -> confirmed, ``DECLINED`` -> cancelled
  (the date was refused, the visit needs a new one; refusing a whole stage is ``declined``
  in a CSV). Otherwise ``STATUS:CONFIRMED`` -> confirmed, ``STATUS:CANCELLED`` -> cancelled.
  Tentative answers change nothing.
- ``orgs/<CODE>.ics|csv`` and ``people/<ID>.ics|csv``: new availability calendars, returned
  as paths for the calendar loader (same layout as the scenario's ``calendars_dir``).

A bad row is reported as ``"file:line: what is wrong"`` and skipped; the rest is returned.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import icalendar

from optimizer.domain import Stage, Status, Visit
from optimizer.plan.store import PlanStore, TransitionError, uid_for_visit
from optimizer.timeaxis import AMSTERDAM

CODE = re.compile(r"^(GM\d{4}|PV\d{2})$")
CALENDAR_FOLDERS = ("orgs", "people")
COLUMNS = ("code", "stage", "status", "date", "note")

STAGE_WORDS = {s.value: s for s in Stage} | {
    "kennismaking": Stage.INTAKE,
    "sessie": Stage.SESSION,
    "raadssessie": Stage.SESSION,
}
STATUS_WORDS = {s.value: s for s in Status} | {
    "canceled": Status.CANCELLED,
    "gepland": Status.PLANNED,
    "voorgesteld": Status.PROPOSED,
    "bevestigd": Status.CONFIRMED,
    "gedaan": Status.DONE,
    "uitgevoerd": Status.DONE,
    "geannuleerd": Status.CANCELLED,
    "afgezegd": Status.CANCELLED,
    "afgewezen": Status.DECLINED,
}
_PARTSTAT = {"ACCEPTED": Status.CONFIRMED, "DECLINED": Status.CANCELLED}
_ICS_STATUS = {"CONFIRMED": Status.CONFIRMED, "CANCELLED": Status.CANCELLED}
_NO_CHANGE = {"TENTATIVE", "NEEDS-ACTION", "DELEGATED"}
_HEADER_ALIASES = {"organisation": "code", "organization": "code", "org": "code"}


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One status change read from a file; ``source`` is ``"file:line"``; ``at`` the local
    date it took effect, if the file said."""

    visit_id: str
    status: Status
    at: date | None
    note: str
    source: str


class DropFolder(NamedTuple):
    """What the drop folder holds: the updates, the problems (``"file:line: ..."``), the
    calendar files to import, and every file that was read (to archive afterwards)."""

    updates: list[StatusUpdate]
    problems: list[str]
    calendars: list[Path]
    files: list[Path]


class _Bad(ValueError):
    """A row problem (message without the file:line prefix)."""


# ---------------------------------------------------------------------------------------------
# The folder


def read_drop_folder(folder: Path, known_visits: Collection[str]) -> DropFolder:
    """Read every status file and find every calendar file in ``folder`` (not recursive
    except ``orgs/`` and ``people/``). Files are read in name order. A missing folder is an
    empty drop."""
    result = DropFolder([], [], [], [])
    if not folder.is_dir():
        return result
    known = frozenset(known_visits)
    orgs = {visit.split(":", 1)[0] for visit in known}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            if path.name in CALENDAR_FOLDERS:
                _calendar_files(path, orgs, result)
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            updates, problems = read_status_csv(path, known)
        elif suffix == ".ics":
            updates, problems = read_status_ics(path, known)
        else:
            result.problems.append(f"{path}:1: not a CSV or ICS file, ignored")
            continue
        result.files.append(path)
        result.updates.extend(updates)
        result.problems.extend(problems)
    return result


def _calendar_files(folder: Path, orgs: Collection[str], result: DropFolder) -> None:
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in (".ics", ".csv"):
            result.problems.append(f"{path}:1: not a CSV or ICS calendar, ignored")
        elif folder.name == "orgs" and orgs and path.stem.upper() not in orgs:
            result.problems.append(f"{path}:1: {path.stem} is not an organisation to visit")
        else:
            result.calendars.append(path)
            result.files.append(path)


def apply_updates(
    store: PlanStore, updates: Iterable[StatusUpdate], *, today: date | None = None
) -> tuple[list[StatusUpdate], list[str]]:
    """Record each update in the store, in order; ``at`` defaults to ``today``. Returns the
    updates that changed a status, and a problem line for each refused one."""
    when = today or datetime.now(AMSTERDAM).date()
    applied: list[StatusUpdate] = []
    problems: list[str] = []
    for update in updates:
        try:
            changed = store.set_status(
                update.visit_id,
                update.status,
                at=update.at or when,
                source=update.source,
                note=update.note,
            )
        except TransitionError as exc:
            problems.append(f"{update.source}: {exc}")
            continue
        if changed:
            applied.append(update)
    return applied, problems


# ---------------------------------------------------------------------------------------------
# CSV


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return ";" if line.count(";") > line.count(",") else ","
    return ","


def read_status_csv(
    path: Path, known_visits: Collection[str]
) -> tuple[list[StatusUpdate], list[str]]:
    """Status updates of one CSV file, and a ``"file:line: ..."`` line per bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}:1: cannot read the file: {exc}"]
    delimiter = _delimiter(text)
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    columns: tuple[str, ...] = COLUMNS
    updates: list[StatusUpdate] = []
    problems: list[str] = []
    first = True
    for row in reader:
        line = reader.line_num
        if columns == COLUMNS and len(row) > len(COLUMNS):  # an unquoted delimiter in the note
            row = [*row[:4], delimiter.join(row[4:])]
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        lowered = [cell.lower() for cell in cells]
        if first and ("stage" in lowered or "status" in lowered):
            columns = tuple(_HEADER_ALIASES.get(cell, cell) for cell in lowered)
            missing = [c for c in COLUMNS[:3] if c not in columns]
            if missing:
                return [], [f"{path}:{line}: header lacks column(s) {', '.join(missing)}"]
            first = False
            continue
        first = False
        try:
            updates.append(_csv_update(cells, columns, known_visits, f"{path}:{line}"))
        except _Bad as exc:
            problems.append(f"{path}:{line}: {exc}")
    return updates, problems


def _csv_update(
    cells: list[str], columns: tuple[str, ...], known: Collection[str], source: str
) -> StatusUpdate:
    if len(cells) < 3:
        raise _Bad(f"expected code,stage,status[,date][,note], got {len(cells)} field(s)")
    values = dict(zip(columns, cells, strict=False))
    visit_id = _visit(values.get("code", ""), values.get("stage", ""), known)
    status = _word(values.get("status", ""), STATUS_WORDS, "status")
    return StatusUpdate(
        visit_id, status, _date(values.get("date", "")), values.get("note", ""), source
    )


def _visit(code: str, stage_text: str, known: Collection[str]) -> str:
    code = code.upper()
    if not CODE.match(code):
        raise _Bad(f"{code!r} is not a municipality (GM####) or province (PV##) code")
    stage = _word(stage_text, STAGE_WORDS, "stage")
    visit_id = Visit.make_id(code, stage)
    if visit_id not in known:
        raise _Bad(f"no {stage} of {code} is to be planned (unknown visit {visit_id})")
    return visit_id


def _word(text: str, words: dict, what: str):
    value = words.get(text.strip().lower())
    if value is None:
        choices = ", ".join(sorted({str(v) for v in words.values()}))
        raise _Bad(f"unknown {what} {text!r} (one of {choices})")
    return value


def _date(text: str) -> date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise _Bad(f"date {text!r} is not YYYY-MM-DD")


# ---------------------------------------------------------------------------------------------
# ICS


def read_status_ics(
    path: Path, known_visits: Collection[str]
) -> tuple[list[StatusUpdate], list[str]]:
    """Status updates of one ICS reply file (see the module docstring)."""
    try:
        raw = path.read_bytes()
        calendars = icalendar.Calendar.from_ical(raw, multiple=True)
    except (OSError, ValueError) as exc:
        return [], [f"{path}:1: not a readable iCalendar file: {exc}"]
    lines = [
        number
        for number, text in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1)
        if text.strip().upper() == "BEGIN:VEVENT"
    ]
    by_uid = {uid_for_visit(v): v for v in known_visits}
    updates: list[StatusUpdate] = []
    problems: list[str] = []
    events = [
        (str(cal.get("METHOD", "")).upper(), event)
        for cal in calendars
        for event in cal.walk("VEVENT")
    ]
    for index, (method, event) in enumerate(events):
        source = f"{path}:{lines[index] if index < len(lines) else 1}"
        try:
            update = _ics_update(event, method, known_visits, by_uid, source)
        except _Bad as exc:
            problems.append(f"{source}: {exc}")
            continue
        if update is not None:
            updates.append(update)
    return updates, problems


def _ics_update(
    event: icalendar.Event,
    method: str,
    known: Collection[str],
    by_uid: dict[str, str],
    source: str,
) -> StatusUpdate | None:
    visit_id = str(event.get("X-OPTIMIZER-VISIT", "")).strip()
    uid = str(event.get("UID", "")).strip()
    if not visit_id:
        visit_id = by_uid.get(uid, "")
        if not visit_id:
            raise _Bad(f"event UID {uid!r} is not an appointment of the optimizer")
    elif visit_id not in known:
        raise _Bad(f"unknown visit {visit_id!r}")
    status = _reply_status(event) if method == "REPLY" else _event_status(event)
    if status is None:
        return None
    stamp = event.get("DTSTAMP")
    at = None
    if stamp is not None and isinstance(stamp.dt, datetime):
        moment = stamp.dt
        at = (moment.astimezone(AMSTERDAM) if moment.tzinfo else moment).date()
    return StatusUpdate(visit_id, status, at, str(event.get("COMMENT", "")), source)


def _reply_status(event: icalendar.Event) -> Status | None:
    attendees = event.get("ATTENDEE")
    if attendees is None:
        raise _Bad("a REPLY without ATTENDEE")
    if not isinstance(attendees, list):
        attendees = [attendees]
    answers = {str(a.params.get("PARTSTAT", "NEEDS-ACTION")).upper() for a in attendees}
    for answer in ("DECLINED", "ACCEPTED"):
        if answer in answers:
            return _PARTSTAT[answer]
    if answers <= _NO_CHANGE:
        return None
    raise _Bad(f"unknown PARTSTAT {', '.join(sorted(answers))}")


def _event_status(event: icalendar.Event) -> Status | None:
    text = str(event.get("STATUS", "")).upper()
    if not text:
        raise _Bad("no STATUS (CONFIRMED or CANCELLED) and no METHOD:REPLY")
    if text == "TENTATIVE":
        return None
    if text not in _ICS_STATUS:
        raise _Bad(f"unknown STATUS {text}")
    return _ICS_STATUS[text]
