"""Keep each person's CalDAV calendar equal to the current plan.

One account on the server (``url``, ``username``, ``password``) holds one calendar per person,
whose id (the last segment of its URL) and display name are the person id; it is created when
missing, and calendars of other ids are left alone. Each appointment is one calendar object
resource (a VCALENDAR with the Europe/Amsterdam VTIMEZONE and one VEVENT) keyed by its UID.
For each person, :func:`publish`

- creates the events whose UID is not on the server,
- updates those whose SEQUENCE or content (time, summary, location, description, status)
  differs, storing the plan's SEQUENCE as it is (the client does not bump it),
- deletes the events whose UID is not in the plan, duplicates of a UID, and the plan's
  ``STATUS:CANCELLED`` events (an appointment that disappeared is removed from the server;
  the ICS files keep it as cancelled).

Afterwards the server's calendar holds exactly the person's current appointments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import caldav
import icalendar
from caldav.lib import error as dav_error

from optimizer.errors import NetworkError

COMPARED = ("SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS")
"""The VEVENT properties whose difference makes an update (DTSTAMP is not one of them)."""


@dataclass
class PersonSync:
    """What one person's calendar needed: numbers of events."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class PublishSummary:
    """Per person id, what :func:`publish` did."""

    people: dict[str, PersonSync] = field(default_factory=dict)

    def total(self, what: str) -> int:
        """Sum of ``created``, ``updated``, ``deleted`` or ``unchanged`` over everyone."""
        return sum(getattr(sync, what) for sync in self.people.values())

    def __str__(self) -> str:
        lines = [
            f"{pid}: {s.created} created, {s.updated} updated, {s.deleted} deleted, "
            f"{s.unchanged} unchanged"
            for pid, s in self.people.items()
        ]
        return "\n".join(lines)


def _value(event: icalendar.cal.Component, name: str) -> Any:
    if name not in event:
        return None
    if name in ("DTSTART", "DTEND"):
        moment = event.decoded(name)
        return moment, getattr(moment, "utcoffset", lambda: None)()
    if name == "SEQUENCE":
        return int(event.decoded(name))
    return str(event.get(name))


def content_key(event: icalendar.cal.Component) -> tuple:
    """What must agree between the plan's event and the server's for no update."""
    return tuple(_value(event, name) for name in COMPARED)


def _resource(timezones: list[icalendar.cal.Component], event: icalendar.Event) -> bytes:
    """One calendar object resource: a VCALENDAR with the time zone and one VEVENT."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//Ondersteuningsteam Weerbaar Bestuur//optimizer//NL")
    cal.add("VERSION", "2.0")
    for timezone in timezones:
        cal.add_component(timezone)
    cal.add_component(event)
    return cal.to_ical()


def _calendar_id(calendar: caldav.Calendar) -> str:
    return str(calendar.url).rstrip("/").rsplit("/", 1)[-1]


def _server_events(calendar: caldav.Calendar) -> dict[str, list]:
    found: dict[str, list] = {}
    for obj in calendar.get_events():
        uid = str(obj.icalendar_component.get("UID", ""))
        found.setdefault(uid, []).append(obj)
    return found


def sync_calendar(calendar: caldav.Calendar, plan: icalendar.Calendar) -> PersonSync:
    """Make one server calendar hold exactly the non-cancelled VEVENTs of ``plan``."""
    timezones = list(plan.walk("VTIMEZONE"))
    wanted = {
        str(event["UID"]): event
        for event in plan.walk("VEVENT")
        if str(event.get("STATUS", "")).upper() != "CANCELLED"
    }
    sync = PersonSync()
    for uid, objects in _server_events(calendar).items():
        keep = objects[:1] if uid in wanted else []
        for obj in objects[len(keep) :]:
            obj.delete()
            sync.deleted += 1
        if not keep:
            continue
        event = wanted.pop(uid)
        if content_key(keep[0].icalendar_component) == content_key(event):
            sync.unchanged += 1
            continue
        keep[0].data = _resource(timezones, event)
        keep[0].save(increase_seqno=False)
        sync.updated += 1
    for event in wanted.values():
        calendar.add_event(_resource(timezones, event).decode(), increase_seqno=False)
        sync.created += 1
    return sync


def publish(
    url: str,
    *,
    username: str | None,
    password: str | None,
    calendars: Mapping[str, icalendar.Calendar],
) -> PublishSummary:
    """Make each person's calendar on the CalDAV server equal to ``calendars[person id]``.

    Raises :class:`~optimizer.errors.NetworkError` when the server cannot be reached or
    refuses the account.
    """
    summary = PublishSummary()
    try:
        with caldav.DAVClient(url=url, username=username, password=password) as client:
            principal = client.principal()
            existing = {_calendar_id(c): c for c in principal.calendars()}
            for pid, plan in calendars.items():
                calendar = existing.get(pid) or principal.make_calendar(name=pid, cal_id=pid)
                summary.people[pid] = sync_calendar(calendar, plan)
    except dav_error.AuthorizationError as exc:
        raise NetworkError(f"the CalDAV server at {url} refused the account: {exc}") from exc
    except (dav_error.DAVError, OSError) as exc:
        raise NetworkError(f"CalDAV server at {url}: {exc}") from exc
    return summary
