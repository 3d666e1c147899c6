"""One RFC 5545 calendar per team member and per trainer.

Each calendar holds a ``VTIMEZONE`` for Europe/Amsterdam (built by icalendar from the zoneinfo
database, covering the years of the plan) and one ``VEVENT`` per appointment of the person:

- ``UID``: the visit's UID, the same every night (:func:`optimizer.plan.store.uid_for_visit`);
  ``SEQUENCE``: raised by the store on every change;
- ``DTSTART``/``DTEND`` with ``TZID=Europe/Amsterdam``: the local wall-clock time of the axis;
- ``STATUS``: ``TENTATIVE`` (planned, proposed), ``CONFIRMED`` (confirmed, done) or
  ``CANCELLED`` (cancelled, declined, and appointments that disappeared from the plan);
- ``SUMMARY`` ("Intake Amsterdam"), ``LOCATION`` (the town hall's name and, when known, its
  address), ``GEO``, and a ``DESCRIPTION`` with the stage, the organisation and the people
  going; ``X-OPTIMIZER-VISIT`` carries the visit id so replies can be matched.

Nothing else is written: no notes of the status history, no reasons, no free text, so no
confidential information (incidents, threats) can leak into a calendar.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

import icalendar

from optimizer.domain import Kind, Organisation, Role, Stage, Status
from optimizer.plan.store import StoredAppointment, StoredPlan
from optimizer.timeaxis import TimeAxis

TZID = "Europe/Amsterdam"
PRODID = "-//Ondersteuningsteam Weerbaar Bestuur//optimizer//NL"

EVENT_STATUS = {
    Status.PLANNED: "TENTATIVE",
    Status.PROPOSED: "TENTATIVE",
    Status.CONFIRMED: "CONFIRMED",
    Status.DONE: "CONFIRMED",
    Status.CANCELLED: "CANCELLED",
    Status.DECLINED: "CANCELLED",
}
STAGE_TITLE = {Stage.INTAKE: "Intake", Stage.SESSION: "Session", Stage.TRAINING: "Training"}
STAGE_WORDS = {
    Stage.INTAKE: "intake with the mayor / King's Commissioner and the griffier",
    Stage.SESSION: "council session",
    Stage.TRAINING: "training",
}
ROLE_WORDS = {Role.TEAM: "team member", Role.TRAINER: "trainer"}


class PersonLike(Protocol):
    """What the export reads of a person (a :class:`~optimizer.domain.Person` will do)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person as the export needs them, when no full :class:`~optimizer.domain.Person` is
    at hand (e.g. built from the scenario's ``[[team]]`` and ``[[trainers]]``)."""

    name: str
    role: Role


# ---------------------------------------------------------------------------------------------
# Words


def organisation_title(code: str, org: Organisation | None) -> str:
    """``"Gemeente Amsterdam"`` / ``"Provincie Utrecht"``; the code if unknown."""
    if org is None:
        return code
    return f"{'Provincie' if org.kind is Kind.PROVINCIE else 'Gemeente'} {org.name}"


def town_hall(code: str, org: Organisation | None) -> str:
    """``"Gemeentehuis Amsterdam, Amstel 1, 1011 PN Amsterdam"`` (address when known)."""
    if org is None:
        return code
    hall = f"{'Provinciehuis' if org.kind is Kind.PROVINCIE else 'Gemeentehuis'} {org.name}"
    return f"{hall}, {org.address}" if org.address else hall


def _people_going(ids: Iterable[str], people: Mapping[str, PersonLike]) -> str:
    words = []
    for pid in ids:
        person = people.get(pid)
        words.append(f"{person.name} ({ROLE_WORDS[Role(person.role)]})" if person else pid)
    return ", ".join(words)


def _description(
    a: StoredAppointment, org: Organisation | None, people: Mapping[str, PersonLike]
) -> str:
    where = organisation_title(a.org, org)
    if org is not None:
        where += f" ({a.org}), province {org.province_name}"
    return "\n".join(
        [
            f"Stage: {STAGE_WORDS[Stage(a.stage)]}",
            f"Organisation: {where}",
            f"People going: {_people_going(a.people, people)}",
            f"Status: {Status(a.status).value}",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Components


def appointment_event(
    a: StoredAppointment,
    *,
    axis: TimeAxis,
    organisations: Mapping[str, Organisation],
    people: Mapping[str, PersonLike],
    stamp: datetime,
    cancelled: bool = False,
) -> icalendar.Event:
    """The VEVENT of one appointment; ``cancelled`` forces ``STATUS:CANCELLED``."""
    org = organisations.get(a.org)
    status = "CANCELLED" if cancelled else EVENT_STATUS[Status(a.status)]
    event = icalendar.Event()
    event.add("UID", a.uid)
    event.add("SEQUENCE", a.sequence)
    event.add("DTSTAMP", stamp.astimezone(UTC))
    event.add("DTSTART", axis.datetime_of(a.start))
    event.add("DTEND", axis.datetime_of(a.end))
    event.add("SUMMARY", f"{STAGE_TITLE[Stage(a.stage)]} {org.name if org else a.org}")
    event.add("LOCATION", town_hall(a.org, org))
    if org is not None:
        event.add("GEO", (org.location.lat, org.location.lon))
    event.add("DESCRIPTION", _description(a, org, people))
    event.add("STATUS", status)
    event.add("TRANSP", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    event.add("CATEGORIES", ["Weerbaar Bestuur", STAGE_TITLE[Stage(a.stage)]])
    event.add("X-OPTIMIZER-VISIT", a.visit_id)
    return event


def amsterdam_timezone(years: Iterable[int]) -> icalendar.Timezone:
    """The VTIMEZONE of Europe/Amsterdam covering the given years (from zoneinfo)."""
    span = sorted(set(years)) or [datetime.now(UTC).year]
    return icalendar.Timezone.from_tzid(
        TZID, first_date=date(span[0], 1, 1), last_date=date(span[-1] + 1, 12, 31)
    )


def _calendar(title: str, timezone: icalendar.Timezone) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("X-WR-CALNAME", title)
    cal.add("X-WR-TIMEZONE", TZID)
    cal.add_component(timezone)
    return cal


def person_calendars(
    appointments: Sequence[StoredAppointment],
    *,
    axis: TimeAxis,
    organisations: Mapping[str, Organisation],
    people: Mapping[str, PersonLike],
    cancelled: Sequence[StoredAppointment] = (),
    stamp: datetime | None = None,
) -> dict[str, icalendar.Calendar]:
    """One calendar per person of ``people`` (and per person id found in the appointments),
    keyed by person id. ``appointments`` with status cancelled/declined and all of
    ``cancelled`` (tombstones) become ``STATUS:CANCELLED`` events. ``stamp`` is the DTSTAMP
    (default: now)."""
    stamp = stamp or datetime.now(UTC)
    items = [(a, False) for a in appointments] + [(a, True) for a in cancelled]
    items.sort(key=lambda item: (item[0].start, item[0].visit_id))
    years = {axis.origin.year} | {axis.date_of(a.start).year for a, _ in items}
    timezone = amsterdam_timezone(years)
    ids = list(people) + sorted({p for a, _ in items for p in a.people} - set(people))
    calendars = {}
    for pid in ids:
        person = people.get(pid)
        calendars[pid] = _calendar(f"Weerbaar Bestuur: {person.name if person else pid}", timezone)
    for a, gone in items:
        event = appointment_event(
            a, axis=axis, organisations=organisations, people=people, stamp=stamp, cancelled=gone
        )
        for pid in a.people:
            calendars[pid].add_component(event)
    return calendars


def version_calendars(
    plan: StoredPlan,
    *,
    organisations: Mapping[str, Organisation],
    people: Mapping[str, PersonLike],
) -> dict[str, icalendar.Calendar]:
    """The person calendars of a stored plan version (DTSTAMP = the version's time)."""
    return person_calendars(
        plan.appointments,
        axis=plan.axis,
        organisations=organisations,
        people=people,
        cancelled=plan.cancelled,
        stamp=plan.created_at,
    )


# ---------------------------------------------------------------------------------------------
# Files


def calendar_filename(person_id: str) -> str:
    """``<person id>.ics`` with anything but letters, digits, ``-``, ``_`` and ``.`` as ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", person_id) + ".ics"


def write_atomically(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: readers see the
    old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_calendars(calendars: Mapping[str, icalendar.Calendar], out: Path) -> list[Path]:
    """Write each calendar to ``out/<person id>.ics`` atomically; returns the paths."""
    return [
        write_atomically(cal.to_ical(), out / calendar_filename(pid))
        for pid, cal in calendars.items()
    ]


def write_person_calendars(
    appointments: Sequence[StoredAppointment],
    *,
    axis: TimeAxis,
    organisations: Mapping[str, Organisation],
    people: Mapping[str, PersonLike],
    out: Path,
    cancelled: Sequence[StoredAppointment] = (),
    stamp: datetime | None = None,
) -> list[Path]:
    """:func:`person_calendars` written to ``out/<person id>.ics``; returns the paths."""
    calendars = person_calendars(
        appointments,
        axis=axis,
        organisations=organisations,
        people=people,
        cancelled=cancelled,
        stamp=stamp,
    )
    return write_calendars(calendars, out)
