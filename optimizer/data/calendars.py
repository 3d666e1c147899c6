"""Calendars: Dutch holidays, the council recess, and the ICS/CSV calendars of organisations
and people, turned into intervals on the time axis.

Units: every instant is an integer minute on the :class:`~optimizer.timeaxis.TimeAxis`
(Europe/Amsterdam wall clock, minutes since 00:00 of the axis origin); an interval is
half-open ``(start, end)``; every date is a local Europe/Amsterdam calendar date and every
``(first, last)`` date range is inclusive.

Holidays come from the ``holidays`` package:

- :func:`public_holidays` is ``holidays.NL`` in its ``public`` category. For 2022-2025 (package
  0.109) that is Nieuwjaarsdag, Goede Vrijdag, Eerste and Tweede Paasdag, Koningsdag,
  Hemelvaartsdag, Eerste and Tweede Pinksterdag, Eerste and Tweede Kerstdag, and Bevrijdingsdag
  only in lustrum years (2025, 2030, ...; in other years it is in the ``optional`` category).
  Goede Vrijdag *is* in the package's public category, although it is not in the Algemene
  termijnenwet and most Dutch employers do not give it off; following the package means no
  visits are planned on it.
- :func:`school_holidays` is ``holidays.NL(subdiv="Noord"|"Midden"|"Zuid",
  categories=("school",))``, which gives one entry per day; consecutive days of the same
  holiday are grouped into periods (the Christmas holiday across the new year too). Names are
  the package's Dutch names in lower case: ``herfstvakantie``, ``kerstvakantie``,
  ``voorjaarsvakantie``, ``meivakantie``, ``zomervakantie``. A CSV
  ``region,holiday,first_day,last_day`` overrides the package per (region, year of the first
  day).
- :func:`council_recess` is the summer and Christmas school holidays per region.

Calendar files (:func:`read_ics`, :func:`read_calendar_csv`) become a :class:`IcsCalendar`:
busy blocks, availability windows, council meeting days and whole busy days. The folder
loaders read ``<calendars_dir>/orgs/<CODE>.ics`` (+ any ``orgs/*.csv``) and
``<calendars_dir>/people/<ID>.ics`` (+ any ``people/*.csv``).

Speed: icalendar with recurring_ical_events reads about 3,000 events a second, a minute and a
half for the example scenario's 354 organisation calendars. Events in the common shapes
(Amsterdam, UTC or floating times, dates; series on the Amsterdam wall clock with RRULE,
EXDATE, RDATE) therefore go through a fast path (section "ICS: the fast path") that reads them
directly and expands series with dateutil's rrule, as recurring_ical_events does; everything
else, and every error, stays with icalendar. The tests check that both give the same result.

Cache: given a ``cache_dir`` the folder loaders keep what each file gave there and read it back
while the file (by content hash) and the axis, ``until`` and parser are unchanged, a few
milliseconds instead of a parse (section "the parsed-calendar cache"; ``OPTIMIZER_NO_CACHE=1``
switches it off).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import pickle
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn
from zoneinfo import ZoneInfo

import holidays
import icalendar
import recurring_ical_events
import x_wr_timezone
from dateutil.rrule import rruleset, rrulestr

from optimizer.domain import Interval, OrgCalendar, Person
from optimizer.errors import CalendarError, OptimizerError
from optimizer.timeaxis import AMSTERDAM, MINUTES_PER_DAY, TimeAxis

if TYPE_CHECKING:
    from optimizer.scenario import Scenario

REGIONS = ("noord", "midden", "zuid")
"""The school-holiday regions, as used in :attr:`Organisation.holiday_region`."""

SCHOOL_HOLIDAY_NAMES = (
    "herfstvakantie",
    "kerstvakantie",
    "voorjaarsvakantie",
    "meivakantie",
    "zomervakantie",
)
"""School holiday names (the ``holidays`` package's Dutch names, lower case)."""

RECESS_HOLIDAYS = ("zomervakantie", "kerstvakantie")
"""The school holidays during which councils are in recess (DESIGN.md §1)."""

_HOLIDAY_ALIASES = {
    "autumn": "herfstvakantie",
    "autumn break": "herfstvakantie",
    "christmas": "kerstvakantie",
    "christmas break": "kerstvakantie",
    "spring": "voorjaarsvakantie",
    "spring break": "voorjaarsvakantie",
    "may": "meivakantie",
    "may break": "meivakantie",
    "summer": "zomervakantie",
    "summer break": "zomervakantie",
}

AVAILABLE_CATEGORIES = frozenset({"available"})
"""ICS CATEGORIES (lower case) that mark an availability window instead of a busy block."""
COUNCIL_CATEGORIES = frozenset({"council-meeting"})
"""ICS CATEGORIES (lower case) that mark a council meeting (busy, and a council day)."""
COUNCIL_SUMMARY_PREFIXES = ("raadsvergadering", "statenvergadering")
"""An event whose SUMMARY starts with one of these (any case) is a council meeting."""
BUSY_FBTYPES = frozenset({"BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"})
"""FREEBUSY types that count as busy; ``FREE`` marks availability."""

CSV_KINDS = ("busy", "available", "council")
"""Values of the optional ``kind`` column of a calendar CSV (default ``busy``)."""

# Properties whose parse errors make an ICS event unusable (None: an unparseable line).
_USED_PROPERTIES = frozenset(
    {
        None,
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "FREEBUSY",
        "CATEGORIES",
        "SUMMARY",
        "TRANSP",
        "STATUS",
    }
)
_COUNCIL_NIGHT_MIN = 6 * 60
_COMPONENT_WORDS = {"VEVENT": "event", "VFREEBUSY": "free/busy", "VCALENDAR": "calendar"}
_DUTCH_FORMATS = ("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y")


# --------------------------------------------------------------------------- holidays


def public_holidays(start: date, end: date) -> frozenset[date]:
    """Dutch public holidays from ``start`` to ``end`` (inclusive): ``holidays.NL``, category
    ``public`` (see the module docstring for what that contains)."""
    if end < start:
        return frozenset()
    calendar = holidays.NL(years=range(start.year, end.year + 1))
    return frozenset(day for day in calendar if start <= day <= end)


@dataclass(frozen=True, slots=True)
class SchoolHoliday:
    """One school holiday of a region, ``first_day`` to ``last_day`` inclusive."""

    region: str
    name: str
    first_day: date
    last_day: date

    @property
    def year(self) -> int:
        """The school holiday's year: the year of its first day (Christmas belongs to
        the year it starts in)."""
        return self.first_day.year

    def overlaps(self, start: date, end: date) -> bool:
        return self.first_day <= end and self.last_day >= start


def _package_school_holidays(region: str, years: range) -> list[SchoolHoliday]:
    """The package's school-holiday days of one region grouped into periods."""
    days = holidays.NL(
        subdiv=region.capitalize(), categories=("school",), years=years, language="nl"
    )
    periods: list[SchoolHoliday] = []
    for day, name in sorted(days.items()):
        name = name.lower()
        last = periods[-1] if periods else None
        if last and last.name == name and last.last_day + timedelta(days=1) == day:
            periods[-1] = replace(last, last_day=day)
        else:
            periods.append(SchoolHoliday(region, name, day, day))
    return periods


def _holiday_name(text: str) -> str | None:
    name = text.strip().lower()
    name = _HOLIDAY_ALIASES.get(name, name)
    return name if name in SCHOOL_HOLIDAY_NAMES else None


def _parse_iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def read_school_holidays_csv(path: Path) -> list[SchoolHoliday]:
    """Read a school-holiday override CSV ``region,holiday,first_day,last_day`` (header
    required, ISO dates, ``,`` or ``;``). A bad row raises :class:`CalendarError` naming the
    file and line."""
    rows = _csv_rows(path, ("region", "holiday", "first_day", "last_day"), optional=())
    result = []
    for line, row in rows:
        region = row["region"].strip().lower()
        if region not in REGIONS:
            _fail(path, line, f"unknown region {row['region']!r} (expected {', '.join(REGIONS)})")
        name = _holiday_name(row["holiday"])
        if name is None:
            known = ", ".join(SCHOOL_HOLIDAY_NAMES)
            _fail(path, line, f"unknown holiday {row['holiday']!r} (expected one of {known})")
        first, last = _parse_iso_date(row["first_day"]), _parse_iso_date(row["last_day"])
        for column, value in (("first_day", first), ("last_day", last)):
            if value is None:
                _fail(path, line, f"{column} {row[column]!r} is not a date YYYY-MM-DD")
        if last < first:
            _fail(path, line, f"last_day {last} is before first_day {first}")
        result.append(SchoolHoliday(region, name, first, last))
    return result


def school_holidays(
    start: date, end: date, *, override_csv: Path | None = None
) -> list[SchoolHoliday]:
    """School holidays of the regions noord/midden/zuid that overlap ``start``..``end``
    (whole periods, not clipped), sorted by first day and region.

    From the ``holidays`` package; an ``override_csv`` replaces the package's periods for every
    (region, year of the first day) pair it has rows for.
    """
    years = range(start.year - 1, end.year + 2)
    periods = [p for region in REGIONS for p in _package_school_holidays(region, years)]
    if override_csv is not None:
        overrides = read_school_holidays_csv(override_csv)
        covered = {(p.region, p.year) for p in overrides}
        periods = [p for p in periods if (p.region, p.year) not in covered] + overrides
    chosen = [p for p in periods if p.overlaps(start, end)]
    return sorted(chosen, key=lambda p: (p.first_day, p.region, p.last_day))


def council_recess(
    start: date, end: date, *, override_csv: Path | None = None
) -> dict[str, tuple[tuple[date, date], ...]]:
    """The council recess per region: its summer and Christmas school holidays overlapping
    ``start``..``end``, as sorted inclusive ``(first_day, last_day)`` pairs."""
    recess: dict[str, list[tuple[date, date]]] = {region: [] for region in REGIONS}
    for period in school_holidays(start, end, override_csv=override_csv):
        if period.name in RECESS_HOLIDAYS:
            recess[period.region].append((period.first_day, period.last_day))
    return {region: tuple(sorted(pairs)) for region, pairs in recess.items()}


# --------------------------------------------------------------------------- calendars


def merge_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping intervals; overlapping or touching ones are joined and empty
    ones dropped."""
    merged: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


@dataclass(frozen=True, slots=True)
class IcsCalendar:
    """What one calendar (an ICS file, or one code's rows of a CSV) says, in axis minutes.

    ``busy``: merged blocks of busy time (timed events, all-day events, council meetings,
    busy FREEBUSY periods); ``available``: merged availability windows (events with CATEGORIES
    ``available``, FREE periods, CSV rows of kind ``available``); ``council_days``: dates of
    council meetings; ``all_day``: sorted dates that all-day busy events block entirely;
    ``sources``: the files it was read from.
    """

    busy: tuple[Interval, ...] = ()
    available: tuple[Interval, ...] = ()
    council_days: frozenset[date] = frozenset()
    all_day: tuple[date, ...] = ()
    sources: tuple[Path, ...] = ()

    def merged(self, other: IcsCalendar) -> IcsCalendar:
        """Both calendars together (union of busy, available, council and all-day days)."""
        return IcsCalendar(
            busy=merge_intervals(self.busy + other.busy),
            available=merge_intervals(self.available + other.available),
            council_days=self.council_days | other.council_days,
            all_day=tuple(sorted(set(self.all_day) | set(other.all_day))),
            sources=self.sources + other.sources,
        )

    def to_org_calendar(self) -> OrgCalendar:
        """The domain's view: ``available`` is None when no window is given."""
        return OrgCalendar(
            available=self.available or None, busy=self.busy, council_days=self.council_days
        )


def apply_person_calendar(person: Person, calendar: IcsCalendar) -> Person:
    """``person`` with the calendar's busy time added to ``unavailable`` and its availability
    windows (if any) added to ``available``."""
    available = person.available
    if calendar.available:
        available = merge_intervals((available or ()) + calendar.available)
    return replace(
        person,
        available=available,
        unavailable=merge_intervals(person.unavailable + calendar.busy),
    )


@dataclass
class _Builder:
    """Collects intervals of one calendar, clipped to ``[0, limit)`` axis minutes."""

    axis: TimeAxis
    limit: int | None
    source: Path
    busy: list[Interval] = field(default_factory=list)
    available: list[Interval] = field(default_factory=list)
    council_days: set[date] = field(default_factory=set)
    all_day: set[date] = field(default_factory=set)

    def add(self, kind: str, start: int, end: int, *, whole_days: bool = False) -> None:
        """Add ``start``..``end`` as ``busy``, ``available`` or ``council``: busy, and a
        council day on every date it covers (a meeting running on past midnight, until
        06:00 at the latest, counts for its start date only)."""
        lo, hi = max(start, 0), end if self.limit is None else min(end, self.limit)
        if kind == "council":
            last = max(start, end - 1 if whole_days else end - 1 - _COUNCIL_NIGHT_MIN)
            for day in range(start // MINUTES_PER_DAY, last // MINUTES_PER_DAY + 1):
                if day * MINUTES_PER_DAY < hi and (day + 1) * MINUTES_PER_DAY > lo:
                    self.council_days.add(self.axis.date_of_day(day))
        if lo >= hi:
            return
        (self.available if kind == "available" else self.busy).append((lo, hi))
        if whole_days and kind != "available":
            for day in range(lo // MINUTES_PER_DAY, -(-hi // MINUTES_PER_DAY)):
                self.all_day.add(self.axis.date_of_day(day))

    def build(self) -> IcsCalendar:
        return IcsCalendar(
            busy=merge_intervals(self.busy),
            available=merge_intervals(self.available),
            council_days=frozenset(self.council_days),
            all_day=tuple(sorted(self.all_day)),
            sources=(self.source,),
        )


def _fail(path: Path, line: int | None, problem: str) -> NoReturn:
    where = f"{path}, line {line}" if line is not None else str(path)
    raise CalendarError(f"{where}: {problem}")


def _limit(axis: TimeAxis, until: date | None) -> int | None:
    """Axis minute just after the last day ``until`` (None: no upper limit)."""
    return None if until is None else axis.minute(until + timedelta(days=1))


# ---- ICS: the fast path
#
# See the module docstring for why. Plain events (DTSTART/DTEND or DURATION on the Amsterdam
# wall clock, in UTC, in another IANA zone, floating, or dates) and series on the Amsterdam
# wall clock or of dates (RRULE, EXDATE, RDATE) are read here; series are expanded with
# dateutil's rrule (the engine under recurring_ical_events) on the naive wall clock, which is
# how RFC 5545 repeats a TZID=Europe/Amsterdam series across DST. Everything else (series in
# UTC or other zones, RECURRENCE-ID exceptions and their series, PERIOD values,
# parameters other than TZID and VALUE on times, malformed lines, X-WR-TIMEZONE calendars)
# stays in the text for icalendar and recurring_ical_events.

# A content line ``NAME;PARAM=value;...:value``; parameter values may be quoted.
_PARAM = r'[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*'
_CONTENT_LINE = re.compile(rf"([A-Za-z0-9-]+)((?:;{_PARAM})*):(.*)\Z", re.DOTALL)
_PARAM_PAIR = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^;]*)')
_UID_LINE = re.compile(r"^UID(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)
_FOLD = re.compile(r"\r?\n[ \t]")
_ESCAPE = re.compile(r"\\(.)")
_SINGLE_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "UID", "SUMMARY", "STATUS", "TRANSP", "RRULE"}
)
_UNSUPPORTED_PROPERTIES = frozenset({"EXRULE", "RECURRENCE-ID"})


class _FastEvent(NamedTuple):
    """A VEVENT read by the fast path: one-off (``recurrence`` None) or a series whose
    occurrences ``recurrence`` gives as naive Amsterdam wall-clock datetimes (midnight for
    all-day events)."""

    uid: str
    start: date | datetime
    end: date | datetime
    status: str
    transp: str
    summary: str
    categories: tuple[str, ...]
    recurrence: rruleset | None = None


@lru_cache(maxsize=64)
def _zone(tzid: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(tzid)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


@lru_cache(maxsize=256)
def _time_params(params: str) -> tuple[str, bool, ZoneInfo | None] | None:
    """``(VALUE, has TZID, zone)`` of a date-time property's parameter string, None if it has
    other parameters or an unknown TZID. The zone is None for Europe/Amsterdam: a naive
    datetime already is Amsterdam wall-clock time on the axis."""
    found = {k.upper(): v.strip('"') for k, v in _PARAM_PAIR.findall(params)}
    if set(found) - {"TZID", "VALUE"}:
        return None
    tzid = found.get("TZID")
    zone = None if tzid is None else _zone(tzid)
    if tzid is not None and zone is None:
        return None
    if zone is not None and zone.key == AMSTERDAM.key:
        zone = None
    return found.get("VALUE", "").upper(), tzid is not None, zone


def _fast_datetime(params: str, value: str) -> date | datetime | None:
    """A DATE (``YYYYMMDD``) or DATE-TIME (``YYYYMMDDTHHMMSS[Z]``) value with at most TZID
    and VALUE parameters (naive for Amsterdam and floating times, aware otherwise); None if
    it is anything else."""
    parsed = _time_params(params)
    if parsed is None:
        return None
    kind, has_tzid, zone = parsed
    value = value.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return date.fromisoformat(value) if kind in ("", "DATE") and not has_tzid else None
        if not (len(value) in (15, 16) and value[8] == "T" and value[:8].isdigit()):
            return None
        if not value[9:15].isdigit() or kind not in ("", "DATE-TIME"):
            return None
        moment = datetime.fromisoformat(value[:15])
    except ValueError:
        return None
    if len(value) == 16:
        return moment.replace(tzinfo=UTC) if value[15] == "Z" and not has_tzid else None
    return moment if zone is None else moment.replace(tzinfo=zone)


def _wall_clock(moment: date | datetime) -> datetime:
    """Naive Amsterdam wall-clock datetime of a date (midnight) or a (naive or aware)
    datetime."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, datetime.min.time())
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None)


def _fast_dates(lines: list[tuple[str, str]], all_day: bool) -> list[datetime] | None:
    """EXDATE/RDATE values (comma-separated, several lines) as naive wall-clock datetimes;
    None if one is not of the series' kind (dates for an all-day series, else date-times)."""
    moments = []
    for params, values in lines:
        for value in values.split(","):
            moment = _fast_datetime(params, value)
            if moment is None or isinstance(moment, datetime) == all_day:
                return None
            moments.append(_wall_clock(moment))
    return moments


def _fast_recurrence(
    start: date | datetime, rule: str | None, exdates: list, rdates: list
) -> rruleset | None:
    """The occurrences of a series starting at ``start`` (a date or a naive Amsterdam
    datetime), or None if the fast path does not handle it."""
    all_day = not isinstance(start, datetime)
    first = _wall_clock(start)
    excluded, added = _fast_dates(exdates, all_day), _fast_dates(rdates, all_day)
    if excluded is None or added is None:
        return None
    recurrence = rruleset()
    recurrence.rdate(first)
    for moment in added:
        recurrence.rdate(moment)
    for moment in excluded:
        recurrence.exdate(moment)
    if rule is None:
        return recurrence
    until = _UNTIL.search(rule)
    if until is not None:
        value = _fast_datetime("", until[1])
        if value is None or isinstance(value, datetime) == all_day:
            return None
        rule = rule.replace(until[0], f"UNTIL={_wall_clock(value):%Y%m%dT%H%M%S}")
    try:  # DTSTART is an occurrence even if not on the rule (as in recurring_ical_events)
        recurrence.rrule(rrulestr(rule, dtstart=first))
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    return recurrence


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], text) if "\\" in text else text


def _fast_event(body: str) -> _FastEvent | None:
    """The event of a VEVENT block's (unfolded) body if the fast path understands it."""
    props: dict[str, tuple[str, str]] = {}
    categories: list[str] = []
    exdates: list[tuple[str, str]] = []
    rdates: list[tuple[str, str]] = []
    nested = 0  # inside a VALARM: nothing there matters for busy time
    for line in body.splitlines():
        match = _CONTENT_LINE.match(line)
        if match is None:
            return None
        name = match[1].upper()
        if name in ("BEGIN", "END"):
            nested += 1 if name == "BEGIN" else -1
        elif nested:
            pass
        elif name in _SINGLE_PROPERTIES:
            if name in props:
                return None
            props[name] = (match[2], match[3])
        elif name == "CATEGORIES":
            categories += [_unescape(c) for c in re.split(r"(?<!\\),", match[3])]
        elif name in ("EXDATE", "RDATE"):
            (exdates if name == "EXDATE" else rdates).append((match[2], match[3]))
        elif name in _UNSUPPORTED_PROPERTIES:
            return None
    if nested or "DTSTART" not in props or ("DTEND" in props and "DURATION" in props):
        return None
    start = _fast_datetime(*props["DTSTART"])
    if start is None:
        return None
    if "DTEND" in props:
        end = _fast_datetime(*props["DTEND"])
        if end is None or isinstance(end, datetime) != isinstance(start, datetime):
            return None
    elif "DURATION" in props:
        try:
            end = start + icalendar.vDuration.from_ical(props["DURATION"][1].strip())
        except ValueError:
            return None
    else:
        end = start if isinstance(start, datetime) else start + timedelta(days=1)
    recurrence = None
    if "RRULE" in props or rdates:  # EXDATE alone changes nothing (as for icalendar)
        if isinstance(start, datetime) and (start.tzinfo or getattr(end, "tzinfo", None)):
            return None  # a series in UTC or another zone: recurring_ical_events
        rule = props["RRULE"][1] if "RRULE" in props else None
        recurrence = _fast_recurrence(start, rule, exdates, rdates)
        if recurrence is None:
            return None

    def text(name: str, default: str = "") -> str:
        return _unescape(props[name][1]) if name in props else default

    return _FastEvent(
        uid=text("UID", "(no UID)"),
        start=start,
        end=end,
        status=text("STATUS"),
        transp=text("TRANSP", "OPAQUE"),
        summary=text("SUMMARY"),
        categories=tuple(categories),
        recurrence=recurrence,
    )


def _split_fast_events(text: str) -> tuple[list[_FastEvent], str]:
    """Take the VEVENTs the fast path understands out of an ICS text.

    Returns those events and the rest of the text (the calendar with its time zones,
    free/busy, and every event left to icalendar, which also judges any malformed
    structure). A series stays with icalendar if another VEVENT with its UID does (a
    RECURRENCE-ID exception) or if its UID is used twice.
    """
    if "X-WR-TIMEZONE" in text.upper():
        return [], text
    if "\n " in text or "\n\t" in text:
        text = _FOLD.sub("", text)
    head, *parts = text.split("\nBEGIN:VEVENT")
    blocks: list[tuple[str, str, _FastEvent | None, str]] = []  # (part, tail, event, uid)
    for part in parts:
        body, end, tail = part.partition("\nEND:VEVENT")
        whole = end and body[:1] in ("\r", "\n") and tail[:1] in ("\r", "\n", "")
        event = _fast_event(body.strip("\r\n")) if whole else None
        uid = event.uid if event else _block_uid(body)
        blocks.append((part, tail, event, uid))
    uses = Counter(uid for *_, uid in blocks)
    slow_uids = {uid for _, _, event, uid in blocks if event is None}
    fast: list[_FastEvent] = []
    rest = [head]
    for part, tail, event, uid in blocks:
        series = event is not None and event.recurrence is not None
        if event is None or uid in slow_uids or (series and uses[uid] > 1):
            rest.append("\nBEGIN:VEVENT" + part)
        else:
            fast.append(event)
            rest.append(tail)
    return fast, "".join(rest)


def _block_uid(body: str) -> str:
    match = _UID_LINE.search(body)
    return _unescape(match[1].strip()) if match else "(no UID)"


def _fast_occurrences(event: _FastEvent, start: datetime, stop: datetime) -> Iterator[tuple]:
    """``(start, end)`` of each occurrence of a fast-path event overlapping ``start``..
    ``stop`` (naive wall clock): dates for all-day events, naive datetimes otherwise."""
    if event.recurrence is None:
        yield event.start, event.end
        return
    duration = event.end - event.start
    all_day = not isinstance(event.start, datetime)
    for moment in event.recurrence.between(start - duration, stop, inc=True):
        first = moment.date() if all_day else moment
        yield first, first + duration


# ---- ICS: icalendar and recurring_ical_events


def _parse_ics(path: Path, data: str | bytes) -> list[icalendar.Calendar]:
    try:
        components = icalendar.Calendar.from_ical(data, multiple=True)
    except ValueError as exc:
        raise CalendarError(f"{path}: not a valid ICS file: {exc}") from exc
    calendars = [c for c in components if c.name == "VCALENDAR"]
    if not calendars:
        raise CalendarError(f"{path}: no VCALENDAR (not an iCalendar file)")
    return [x_wr_timezone.to_standard(c) if "X-WR-TIMEZONE" in c else c for c in calendars]


def _uid(component: icalendar.cal.Component) -> str:
    return str(component.get("UID", "(no UID)"))


def _check_component(path: Path, component: icalendar.cal.Component) -> None:
    """Raise on parse errors in the properties we read, and on a missing DTSTART."""
    what = f"{_COMPONENT_WORDS.get(component.name, component.name)} UID {_uid(component)}"
    for name, message in component.errors:
        if name in _USED_PROPERTIES:
            prop = f" {name}:" if name else ""
            raise CalendarError(f"{path}: {what}:{prop} {message}")
    if component.name == "VEVENT" and "DTSTART" not in component:
        raise CalendarError(f"{path}: {what}: DTSTART missing")


def _events(path: Path, calendar: icalendar.Calendar, start: date, stop: date) -> Iterator:
    """Every event occurrence of an icalendar calendar from ``start`` to before ``stop``:
    recurring series (RRULE, RDATE and their RECURRENCE-ID exceptions) expanded by
    recurring_ical_events, other events as they are."""
    events = calendar.walk("VEVENT")
    for event in events:
        _check_component(path, event)
    recurring_uids = {_uid(e) for e in events if "RRULE" in e or "RDATE" in e}
    recurring = [e for e in events if _uid(e) in recurring_uids]
    yield from (e for e in events if _uid(e) not in recurring_uids)
    if not recurring:
        return
    series = icalendar.Calendar()
    series.subcomponents = calendar.walk("VTIMEZONE") + recurring
    try:
        yield from recurring_ical_events.of(series).between(start, stop)
    except (ValueError, TypeError) as exc:
        raise CalendarError(f"{path}: cannot expand a recurring event: {exc}") from exc


def _event_kind(status: str, transp: str, summary: str, categories: Iterable[str]) -> str | None:
    """``busy``, ``available``, ``council`` or None (cancelled or transparent: ignored)."""
    if status.strip().upper() == "CANCELLED":
        return None
    tags = {c.strip().lower() for c in categories}
    if tags & AVAILABLE_CATEGORIES:
        return "available"
    if tags & COUNCIL_CATEGORIES or summary.strip().lower().startswith(COUNCIL_SUMMARY_PREFIXES):
        return "council"
    if transp.strip().upper() == "TRANSPARENT":
        return None
    return "busy"


def _add_occurrence(
    path: Path, builder: _Builder, uid: str, kind: str | None, start: date, end: date
) -> None:
    if kind is None:
        return
    first, last = builder.axis.minute(start), builder.axis.minute(end)
    if last < first:
        raise CalendarError(f"{path}: event UID {uid}: ends before it starts")
    builder.add(kind, first, last, whole_days=not isinstance(start, datetime))


def _add_event(path: Path, builder: _Builder, event: icalendar.Event) -> None:
    kind = _event_kind(
        str(event.get("STATUS", "")),
        str(event.get("TRANSP", "OPAQUE")),
        str(event.get("SUMMARY", "")),
        (str(c) for c in event.categories),
    )
    try:
        start, end = event.start, event.end
    except (ValueError, TypeError) as exc:
        raise CalendarError(f"{path}: event UID {_uid(event)}: {exc}") from exc
    _add_occurrence(path, builder, _uid(event), kind, start, end)


def _add_fast_event(
    path: Path, builder: _Builder, event: _FastEvent, start: datetime, stop: datetime
) -> None:
    kind = _event_kind(event.status, event.transp, event.summary, event.categories)
    if kind is not None:
        for first, last in _fast_occurrences(event, start, stop):
            _add_occurrence(path, builder, event.uid, kind, first, last)


def _add_freebusy(path: Path, builder: _Builder, component: icalendar.cal.Component) -> None:
    _check_component(path, component)
    value = component.get("FREEBUSY", [])
    for period in value if isinstance(value, list) else [value]:
        start, end_or_duration = period.dt
        end = start + end_or_duration if isinstance(end_or_duration, timedelta) else end_or_duration
        fbtype = str(period.params.get("FBTYPE", "BUSY")).upper()
        if fbtype == "FREE":
            kind = "available"
        elif fbtype in BUSY_FBTYPES or fbtype.startswith("X-"):
            kind = "busy"
        else:
            raise CalendarError(f"{path}: free/busy UID {_uid(component)}: unknown FBTYPE {fbtype}")
        builder.add(kind, builder.axis.minute(start), builder.axis.minute(end))


def read_ics(path: Path, axis: TimeAxis, *, until: date) -> IcsCalendar:
    """Read an ICS file into axis minutes, from the axis origin to ``until`` (inclusive).

    - VEVENTs: RRULE/RDATE/EXDATE series are expanded; times with a TZID (any zone) or in UTC
      become Amsterdam wall-clock minutes (DST-safe), floating times are read as Amsterdam
      time, all-day (DATE) events block whole days (also listed in ``all_day``);
      ``STATUS:CANCELLED`` and ``TRANSP:TRANSPARENT`` events are ignored; CATEGORIES
      ``available`` marks an availability window; CATEGORIES ``council-meeting`` or a
      SUMMARY starting with "Raadsvergadering"/"Statenvergadering" is busy and a council day.
    - VFREEBUSY: FREEBUSY periods of FBTYPE BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE (the
      default) are busy, FREE ones are available.

    Raises :class:`CalendarError` naming the file and the problem for an unreadable or
    malformed file.
    """
    return _read_ics(Path(path), axis, until, fast=True)


def _read_ics(
    path: Path, axis: TimeAxis, until: date, *, fast: bool, raw: bytes | None = None
) -> IcsCalendar:
    """:func:`read_ics`; ``fast=False`` leaves every event to icalendar and
    recurring_ical_events (the reference the fast path is tested against). ``raw``: the
    file's bytes if already read (else they are read from ``path``)."""
    try:
        data: str | bytes = path.read_bytes() if raw is None else raw
    except OSError as exc:
        raise CalendarError(f"{path}: cannot read the calendar file: {exc.strerror}") from exc
    events: list[_FastEvent] = []
    if fast:
        with contextlib.suppress(UnicodeDecodeError):
            events, data = _split_fast_events(data.decode("utf-8-sig"))
    builder = _Builder(axis, _limit(axis, until), path)
    stop = until + timedelta(days=1)
    window = _wall_clock(axis.origin), _wall_clock(stop)
    for event in events:
        _add_fast_event(path, builder, event, *window)
    for calendar in _parse_ics(path, data):
        _check_component(path, calendar)
        for event in _events(path, calendar, axis.origin, stop):
            _add_event(path, builder, event)
        for component in calendar.walk("VFREEBUSY"):
            _add_freebusy(path, builder, component)
    return builder.build()


# ---- CSV


def _csv_rows(
    path: Path,
    required: tuple[str, ...],
    *,
    optional: tuple[str, ...],
    raw: bytes | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a ``,``- or ``;``-separated CSV with a header naming ``required`` (and
    possibly ``optional``) columns, as ``(line number, row)``; blank lines are skipped.
    ``raw``: the file's bytes if already read."""
    try:
        if raw is None:
            text = path.read_text(encoding="utf-8-sig")
        else:  # as read_text does it: universal newlines
            text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig").read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path}: cannot read the CSV file: {exc}") from exc
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            missing = [c for c in required if c not in header]
            unknown = [c for c in header if c not in required + optional]
            if missing or unknown:
                expected = ",".join(required) + "".join(f"[,{c}]" for c in optional)
                _fail(path, reader.line_num, f"header must be {expected}, got {','.join(header)}")
            continue
        if len(fields) != len(header):
            _fail(path, reader.line_num, f"{len(fields)} fields, the header has {len(header)}")
        yield reader.line_num, dict(zip(header, fields, strict=True))
    if header is None:
        _fail(path, None, f"empty file (expected a header {','.join(required)})")


def parse_local_datetime(text: str) -> datetime | None:
    """A local (Amsterdam wall-clock) datetime from ISO ``2023-03-26 19:30`` /
    ``2023-03-26T19:30`` or Dutch ``26-03-2023 19:30`` (a date alone means 00:00); an explicit
    UTC offset is kept. None if the text is none of these."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _DUTCH_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def read_calendar_csv(
    path: Path,
    axis: TimeAxis,
    *,
    known_codes: Collection[str] | None = None,
    until: date | None = None,
) -> dict[str, IcsCalendar]:
    """Read a calendar CSV ``code,start,end[,kind]`` into one calendar per code.

    Header required; ``,`` or ``;`` separated; datetimes local (see
    :func:`parse_local_datetime`); ``kind`` is ``busy`` (default), ``available`` or
    ``council`` (busy and a council day). Intervals are clipped to the axis origin and, if
    given, to the end of ``until``. An unknown code (when ``known_codes`` is given), a bad
    datetime or kind, or end <= start raises :class:`CalendarError` naming file and line.
    """
    return _read_calendar_csv(Path(path), axis, known_codes, until)


def _read_calendar_csv(
    path: Path,
    axis: TimeAxis,
    known_codes: Collection[str] | None,
    until: date | None,
    raw: bytes | None = None,
) -> dict[str, IcsCalendar]:
    """:func:`read_calendar_csv`; ``raw``: the file's bytes if already read."""
    known = set(known_codes) if known_codes is not None else None
    builders: dict[str, _Builder] = {}
    rows = _csv_rows(path, ("code", "start", "end"), optional=("kind",), raw=raw)
    for line, row in rows:
        code = row["code"].strip()
        if not code:
            _fail(path, line, "code is empty")
        if known is not None and code not in known:
            _fail(path, line, f"unknown code {code!r}")
        start, end = parse_local_datetime(row["start"]), parse_local_datetime(row["end"])
        for column, value in (("start", start), ("end", end)):
            if value is None:
                _fail(
                    path,
                    line,
                    f"{column} {row[column]!r} is not a datetime "
                    "(YYYY-MM-DD HH:MM or DD-MM-YYYY HH:MM)",
                )
        kind = (row.get("kind") or "busy").strip().lower()
        if kind not in CSV_KINDS:
            _fail(path, line, f"unknown kind {kind!r} (expected {', '.join(CSV_KINDS)})")
        first, last = axis.minute(start), axis.minute(end)
        if last <= first:
            _fail(path, line, f"end {row['end'].strip()} is not after start {row['start'].strip()}")
        builder = builders.setdefault(code, _Builder(axis, _limit(axis, until), path))
        builder.add(kind, first, last)
    return {code: b.build() for code, b in builders.items()}


# ---- the parsed-calendar cache
#
# Reading the example scenario's 367 calendar files takes 10-20 s, nearly all of it ICS parsing
# and series expansion, and planners re-run every night on mostly unchanged files. So the
# folder loaders can keep what each file gave in a cache folder, one pickle per file. An entry
# is used only if everything that decides the result is unchanged: the file's bytes (a
# blake2b hash; reading and hashing all files takes a few hundredths of a second, so size
# and mtime are not trusted instead: a touched but unchanged file is not read again, a
# rewritten one always is), its resolved path, the axis, ``until``, the parser version and
# the versions of Python, the parsing libraries and the time-zone data. The codes a file may
# hold (``known``) are checked on every use, so an entry is not tied to them. Entries are
# written atomically (temporary file and rename); an unreadable or corrupt entry is ignored
# and rewritten; a file with an error is never cached, so its error is raised every time.

CALENDAR_PARSER_VERSION = 1
"""Version of what reading a calendar file gives: bump it whenever reading changes, so that
the cached results of the old version are no longer used."""

NO_CACHE_ENV = "OPTIMIZER_NO_CACHE"
"""Environment variable: ``1`` (any value but empty, ``0``, ``false``, ``no``, ``off``) makes
the loaders read every calendar file afresh, neither reading nor writing the cache."""

_PARSER_PACKAGES = ("icalendar", "recurring-ical-events", "python-dateutil", "x-wr-timezone")


def calendar_cache_disabled() -> bool:
    """Whether ``$OPTIMIZER_NO_CACHE`` switches the parsed-calendar cache off."""
    value = os.environ.get(NO_CACHE_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


@lru_cache(maxsize=1)
def _parser_identity() -> tuple[str, ...]:
    """The parser version, Python's version and those of the parsing libraries and the
    time-zone data (``tzdata``, else the system's zoneinfo)."""
    found = []
    for name in (*_PARSER_PACKAGES, "tzdata"):
        try:
            found.append(f"{name}={package_version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=-")
    return (f"parser={CALENDAR_PARSER_VERSION}", f"python={sys.version}", *found)


def _cache_identity(path: Path, axis: TimeAxis, until: date) -> str:
    """Everything besides the file's bytes that decides what it gives."""
    return repr((_parser_identity(), os.path.realpath(path), repr(axis), AMSTERDAM.key, until))


def _cache_entry_path(cache_dir: Path, path: Path, identity: str) -> Path:
    """``<cache_dir>/<file stem>-<hash of the identity>.pickle``: one entry per file, axis and
    ``until``, overwritten when the file changes."""
    key = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", path.stem)[:40]
    return Path(cache_dir) / f"{stem}-{key}.pickle"


def _load_cache_entry(entry: Path, identity: str, digest: bytes) -> dict[str, IcsCalendar] | None:
    """The calendars stored in ``entry`` for this identity and content, None if there are
    none (missing, stale, unreadable or corrupt)."""
    try:
        with entry.open("rb") as file:
            stored = pickle.load(file)
    except Exception:  # missing, unreadable, or corrupt (which fails in many ways): rebuild
        return None
    if not isinstance(stored, dict) or stored.get("identity") != identity:
        return None
    calendars = stored.get("calendars")
    if stored.get("digest") != digest or not isinstance(calendars, dict):
        return None
    if not all(isinstance(c, IcsCalendar) for c in calendars.values()):
        return None
    return calendars


def _store_cache_entry(
    entry: Path, identity: str, digest: bytes, calendars: dict[str, IcsCalendar]
) -> None:
    """Write ``entry`` atomically (temporary file, then rename); a failure (read-only or full
    disk) only means no cache."""
    data = pickle.dumps(
        {"identity": identity, "digest": digest, "calendars": calendars}, protocol=5
    )
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        pass


def _parse_calendar_file(
    path: Path,
    axis: TimeAxis,
    until: date,
    known: Collection[str] | None,
    raw: bytes | None = None,
) -> dict[str, IcsCalendar]:
    """Read one calendar file (``raw``: its bytes if already read): a CSV per code in its
    code column, an ICS file under its file name."""
    if path.suffix.lower() == ".csv":
        return _read_calendar_csv(path, axis, known, until, raw)
    return {path.stem: _read_ics(path, axis, until, fast=True, raw=raw)}


def _read_cached(
    path: Path, axis: TimeAxis, until: date, known: Collection[str] | None, cache_dir: Path
) -> dict[str, IcsCalendar]:
    """:func:`_parse_calendar_file` through the cache in ``cache_dir``."""
    try:
        raw = path.read_bytes()
    except OSError:
        return _parse_calendar_file(path, axis, until, known)  # raises the usual error
    identity = _cache_identity(path, axis, until)
    entry = _cache_entry_path(cache_dir, path, identity)
    digest = hashlib.blake2b(raw, digest_size=32).digest()
    calendars = _load_cache_entry(entry, identity, digest)
    if calendars is not None and (known is None or all(code in known for code in calendars)):
        return {code: replace(c, sources=(path,)) for code, c in calendars.items()}
    calendars = _parse_calendar_file(path, axis, until, known, raw)
    _store_cache_entry(entry, identity, digest, calendars)
    return calendars


# ---- folders


def calendar_files(folder: Path) -> list[Path]:
    """The ``*.ics`` and ``*.csv`` files of a folder, sorted; [] if it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".ics", ".csv"))


def read_calendar_file(
    path: Path,
    axis: TimeAxis,
    *,
    until: date,
    known: Collection[str] | None,
    what: str,
    cache_dir: Path | None = None,
) -> dict[str, IcsCalendar]:
    """One calendar file of a folder: ``<ID>.ics`` (the file name is the code) or a CSV with
    a code column. ``what`` names the kind of code in messages (``organisation``).

    With a ``cache_dir`` (and ``$OPTIMIZER_NO_CACHE`` not set) the result is kept there and
    reused while the file and everything else that decides it are unchanged (see the section
    "the parsed-calendar cache"); errors are the same either way."""
    path = Path(path)
    if path.suffix.lower() != ".csv" and known is not None and path.stem not in known:
        raise CalendarError(f"{path}: the file name {path.stem!r} is not a known {what} code")
    if cache_dir is None or calendar_cache_disabled():
        return _parse_calendar_file(path, axis, until, known)
    return _read_cached(path, axis, until, known, Path(cache_dir))


def _merge_into(target: dict[str, IcsCalendar], calendars: Mapping[str, IcsCalendar]) -> None:
    for code, calendar in calendars.items():
        target[code] = target[code].merged(calendar) if code in target else calendar


def _load_folder(
    folder: Path,
    axis: TimeAxis,
    until: date,
    known: Collection[str] | None,
    what: str,
    cache_dir: Path | None = None,
) -> dict[str, IcsCalendar]:
    known = set(known) if known is not None else None
    result: dict[str, IcsCalendar] = {}
    for path in calendar_files(folder):
        calendars = read_calendar_file(
            path, axis, until=until, known=known, what=what, cache_dir=cache_dir
        )
        _merge_into(result, calendars)
    return result


def load_org_calendars(
    folder: Path,
    axis: TimeAxis,
    *,
    until: date,
    known_codes: Collection[str] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, OrgCalendar]:
    """Organisation calendars from ``folder/orgs/<CODE>.ics`` and ``folder/orgs/*.csv``
    (merged per code), as axis minutes up to the end of ``until``. A missing folder gives {};
    a file name or CSV code not in ``known_codes`` is a :class:`CalendarError`. With a
    ``cache_dir`` unchanged files are not parsed again (:func:`read_calendar_file`)."""
    calendars = _load_folder(
        Path(folder) / "orgs", axis, until, known_codes, "organisation", cache_dir
    )
    return {code: calendar.to_org_calendar() for code, calendar in sorted(calendars.items())}


def load_person_calendars(
    folder: Path,
    axis: TimeAxis,
    *,
    until: date,
    person_ids: Collection[str] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, IcsCalendar]:
    """People's calendars from ``folder/people/<ID>.ics`` (and ``folder/people/*.csv`` with
    the person id in the code column), merged per id. ``busy`` is the person's unavailability,
    ``available`` their availability windows (see :func:`apply_person_calendar`). A missing
    folder gives {}; an id not in ``person_ids`` is a :class:`CalendarError`. With a
    ``cache_dir`` unchanged files are not parsed again (:func:`read_calendar_file`)."""
    calendars = _load_folder(Path(folder) / "people", axis, until, person_ids, "person", cache_dir)
    return dict(sorted(calendars.items()))


# ---- checking


def _span(axis: TimeAxis, calendars: Iterable[IcsCalendar]) -> str:
    intervals = [i for c in calendars for i in c.busy + c.available]
    if not intervals:
        return "no busy or available time"
    first = axis.date_of(min(s for s, _ in intervals))
    last = axis.date_of(max(e for _, e in intervals) - 1)
    return f"entries from {first} to {last}"


def _check_folder(
    folder: Path,
    axis: TimeAxis,
    until: date,
    known: Collection[str],
    what: str,
    problems: list[str],
) -> dict[str, IcsCalendar]:
    result: dict[str, IcsCalendar] = {}
    for path in calendar_files(folder):
        try:
            _merge_into(result, read_calendar_file(path, axis, until=until, known=known, what=what))
        except OptimizerError as exc:
            problems.append(f"problem: {exc}")
    return result


def check_calendars(scenario: Scenario, orgs: Collection[str]) -> list[str]:
    """Lines describing the scenario's calendars and holidays (for ``optimizer data check``),
    then one line per problem found, each starting with ``problem:``. Reads every file and
    keeps going after a bad one; ``orgs`` are the known organisation codes (or a mapping
    keyed by them)."""
    start, until = scenario.scenario.start, scenario.scenario.end
    axis = TimeAxis(start)
    known_orgs = set(orgs)
    people = {p.id for p in scenario.team + scenario.trainers}
    lines: list[str] = []
    problems: list[str] = []
    folder = scenario.path(scenario.data.calendars_dir)
    if folder is None or not folder.is_dir():
        lines.append(f"calendars: folder {folder} not found, no organisation or person calendars")
    else:
        org_cals = _check_folder(folder / "orgs", axis, until, known_orgs, "organisation", problems)
        files = calendar_files(folder / "orgs")
        windows = sum(1 for c in org_cals.values() if c.available)
        lines.append(
            f"organisation calendars: {len(files)} files in {folder / 'orgs'}, "
            f"{len(org_cals)} of {len(known_orgs)} organisations, "
            f"{sum(len(c.busy) for c in org_cals.values())} busy blocks, "
            f"{sum(len(c.council_days) for c in org_cals.values())} council days, "
            f"{windows} with availability windows; {_span(axis, org_cals.values())}"
        )
        person_cals = _check_folder(folder / "people", axis, until, people, "person", problems)
        lines.append(
            f"person calendars: {len(calendar_files(folder / 'people'))} files, "
            f"{len(person_cals)} of {len(people)} people; {_span(axis, person_cals.values())}"
        )
    lines.extend(_check_holidays(scenario, start, until, problems))
    return lines + problems


def _check_holidays(scenario: Scenario, start: date, until: date, problems: list[str]) -> list[str]:
    lines = [
        f"public holidays {start}..{until}: {len(public_holidays(start, until))} "
        f"(holidays {holidays.__version__}, NL public category)"
    ]
    override = scenario.path(scenario.data.school_holidays_csv)
    try:
        periods = school_holidays(start, until, override_csv=override)
    except OptimizerError as exc:
        problems.append(f"problem: {exc}")
        return lines
    source = f"override {override} + package" if override else "holidays package"
    per_region = defaultdict(int)
    for period in periods:
        per_region[period.region] += 1
    counts = ", ".join(f"{region} {per_region[region]}" for region in REGIONS)
    lines.append(f"school holidays {start}..{until}: {len(periods)} periods ({counts}; {source})")
    recess = sum(1 for p in periods if p.name in RECESS_HOLIDAYS)
    lines.append(f"council recess: {recess} summer/Christmas periods over the three regions")
    return lines
