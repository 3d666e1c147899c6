"""A complete, realistic, reproducible example scenario (``optimizer example``).

:func:`generate_example` builds, from the organisations and a seed, everything a scenario
needs besides the boundaries: a team of five (one per holiday region and two more, home bases
in real towns), eight trainers, an availability calendar per organisation and per person, and
which organisations accepted a session or requested a training. :func:`write_example` writes
it as a scenario folder::

    scenario.toml                 the scenario (optimizer.scenario.load_scenario reads it)
    requests.csv                  code,session,training,training_from,training_to,training_skill
    calendars/orgs/<CODE>.ics     one calendar per organisation
    calendars/people/<ID>.ics     one calendar per team member and trainer

An organisation's calendar (Europe/Amsterdam wall-clock times, ``TZID=Europe/Amsterdam``):

- the weekly college meeting (B&W, or Gedeputeerde Staten for a province) on a fixed weekday
  morning, a weekly ``RRULE`` with ``EXDATE`` for public holidays and the council recess;
- council meetings (``CATEGORIES:council-meeting``) every 4-6 weeks on a fixed weekday,
  19:30-23:00 for a municipality (Raadsvergadering), 10:00-17:00 for a province
  (Statenvergadering), never on a public holiday or in the region's recess (its summer and
  Christmas school holidays);
- busy blocks: per term (the weeks between recesses cut into stretches of 8-12 weeks) and
  weekday one to three weekly recurring blocks aligned to 30 minutes, plus some one-off
  blocks, so that about 60 % of the office hours (09:00-17:00) of working days are busy;
- the mayor's (King's Commissioner's) three weeks of summer leave, one all-day event a year.

A person's calendar: three weeks of summer leave a year and a few single days of sickness or
leave (all-day events); trainers also have days booked elsewhere.

Determinism: every random choice comes from a ``random.Random`` seeded with the scenario
seed and a stable key of what it is for (the organisation's or person's code), so the same
seed gives byte-identical files and an organisation's calendar does not depend on which other
organisations are generated. DTSTAMPs are fixed and UIDs derived from code and position.

The ICS text is written directly (a few fixed line shapes, folded per RFC 5545): building
~70,000 events through ``icalendar`` objects takes half a minute, this takes a second or two.
The VTIMEZONE block comes from ``icalendar``. Reading the files back uses
:mod:`optimizer.data.calendars` like any user's calendar.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import icalendar

from optimizer.data.calendars import council_recess, public_holidays
from optimizer.data.requests import Request, write_requests
from optimizer.domain import Kind, Organisation, Skill
from optimizer.scenario import PersonEntry

TZID = "Europe/Amsterdam"
DEFAULT_START = date(2022, 7, 1)
DEFAULT_END = date(2024, 12, 31)

SESSION_SHARE = 0.65
"""Share of organisations that accept the council session."""
TRAINING_SHARE = 0.20
"""Share of organisations that request a training."""
TRAINING_GIVEN_SESSION = 0.25
"""Share of session-accepting organisations that also request a training (the other
training requests come from organisations without a session)."""
GROUP_TRAINING_SHARE = 0.75
"""Share of training requests for a group (the others are individual trainings)."""
TRAINING_PERIOD = (date(2023, 1, 2), date(2024, 12, 31))
"""Requested training windows lie inside these dates (inclusive)."""
TRAINING_WINDOW_WEEKS = (6, 10)
"""A requested training window spans 6-10 weeks (Monday to Friday)."""

OFFICE = (9 * 60, 17 * 60)
"""Office hours in minutes after midnight."""
SLOT_MIN = 30
"""Busy blocks start and end on whole half-hours."""
OFFICE_SLOTS = (OFFICE[1] - OFFICE[0]) // SLOT_MIN
BUSY_PATTERN_SHARE = (0.52, 0.68)
"""Range of the share of a weekday's office half-hours (after the college meeting) taken by
weekly recurring busy blocks, drawn per organisation. With the college meeting, the one-off
blocks, the summer leave and the quieter recess this makes about 60 % of all office hours of
working days busy."""
BLOCKS_PER_DAY = (0.45, 0.45, 0.10)
"""Chances of 1, 2 or 3 weekly recurring busy blocks on a weekday."""
TERM_WEEKS = (8, 12)
"""A weekly busy pattern lasts 8-12 weeks before the next one starts."""
ONE_OFF_PER_DAY = 0.06
"""Chance of an extra one-off busy block on a working day in term time."""
ONE_OFF_PER_DAY_RECESS = 0.30
"""Chance of a one-off busy block on a working day in the recess (no weekly pattern runs)."""

COLLEGE_WEEKDAY = (0.10, 0.50, 0.20, 0.15, 0.05)
"""Chances of Monday..Friday for the weekly college meeting (mostly Tuesday)."""
COUNCIL_WEEKDAY = (0.10, 0.35, 0.20, 0.35, 0.0)
"""Chances of Monday..Friday for a municipality's council meetings."""
STATEN_WEEKDAY = (0.05, 0.15, 0.60, 0.15, 0.05)
"""Chances of Monday..Friday for a province's Statenvergadering (mostly Wednesday)."""
COUNCIL_HOURS = (19 * 60 + 30, 23 * 60)
"""A council meeting (Raadsvergadering): 19:30-23:00."""
STATEN_HOURS = (10 * 60, 17 * 60)
"""A Statenvergadering: 10:00-17:00."""
COUNCIL_EVERY_WEEKS = (4, 6)
"""Weeks between council meetings (inclusive range)."""
COUNCIL_CATEGORY = "council-meeting"

WORKING_DAYS_PER_YEAR = 250
PERSON_DAYS_PER_YEAR = (("Ziek", 5.0), ("Verlof", 6.0))
"""Single all-day absences of every person, expected days per year."""
TRAINER_DAYS_PER_YEAR = (("Andere opdracht", 30.0),)
"""Trainers' days booked elsewhere, expected days per year."""

_BUSY_SUMMARIES = (
    "Bestuurlijk overleg",
    "Portefeuilleoverleg",
    "Werkbezoek",
    "Regio-overleg",
    "Veiligheidsoverleg",
    "Ambtelijk overleg",
    "Bezet",
)
_ONE_OFF_SUMMARIES = ("Afspraak", "Werkbezoek", "Bezoek", "Overleg", "Representatie")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One VEVENT, busy (OPAQUE).

    Timed events have naive ``datetime`` start/end on the Europe/Amsterdam wall clock; all-day
    events have ``date`` start/end (end exclusive). ``weekly_count > 1`` repeats the event
    weekly that many times (``RRULE:FREQ=WEEKLY;COUNT=n``, skipped occurrences included);
    ``exdates`` are the dates of skipped occurrences.
    """

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    weekly_count: int = 1
    exdates: tuple[date, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def occurrences(self) -> list[date]:
        """Dates of the occurrences that take place (EXDATEs left out)."""
        first = self.start.date() if isinstance(self.start, datetime) else self.start
        skipped = set(self.exdates)
        days = (first + timedelta(weeks=k) for k in range(self.weekly_count))
        return [d for d in days if d not in skipped]


@dataclass(frozen=True)
class ExampleScenario:
    """Everything :func:`write_example` writes; dates are local, inclusive."""

    name: str
    seed: int
    start: date
    end: date
    deadline: date
    team: tuple[PersonEntry, ...]
    trainers: tuple[PersonEntry, ...]
    org_events: Mapping[str, tuple[CalendarEvent, ...]]
    """Calendar events per organisation code, sorted by code."""
    person_events: Mapping[str, tuple[CalendarEvent, ...]]
    """Calendar events per person id (team first, then trainers)."""
    requests: tuple[Request, ...]
    """One request row per organisation, sorted by code."""
    org_names: Mapping[str, str]
    """Organisation names per code (for the calendars' X-WR-CALNAME)."""


# --------------------------------------------------------------------------- team, trainers


def example_team() -> tuple[PersonEntry, ...]:
    """The five team members: two in the north, two in the middle, one in the south, each
    preferred for the provinces of their holiday region nearest to their base."""
    rows = [
        ("T1", "Anne de Vries", "GM0014", "Groningen", "noord", ["PV20", "PV21", "PV22"]),
        ("T2", "Jeroen Bakker", "GM0193", "Zwolle", "noord", ["PV23", "PV24", "PV27"]),
        ("T3", "Fatima El Amrani", "GM0344", "Utrecht", "midden", ["PV25", "PV26"]),
        ("T4", "Sanne Jansen", "GM0518", "'s-Gravenhage", "midden", ["PV28"]),
        ("T5", "Pieter van den Berg", "GM0772", "Eindhoven", "zuid", ["PV29", "PV30", "PV31"]),
    ]
    return tuple(
        PersonEntry(id=i, name=n, base=b, base_name=bn, region=r, provinces=p)
        for i, n, b, bn, r, p in rows
    )


def example_trainers() -> tuple[PersonEntry, ...]:
    """Eight trainers spread over the country; all moderate sessions, most give group
    trainings, a few individual ones."""
    s, g, i = Skill.SESSION, Skill.GROUP_TRAINING, Skill.INDIVIDUAL_TRAINING
    rows = [
        ("R1", "Marieke Visser", "GM0080", "Leeuwarden", [s, g]),
        ("R2", "Thomas Smit", "GM0153", "Enschede", [s, g, i]),
        ("R3", "Esther de Boer", "GM0363", "Amsterdam", [s, g]),
        ("R4", "Emre Yilmaz", "GM0202", "Arnhem", [s, g]),
        ("R5", "Lotte Mulder", "GM0599", "Rotterdam", [s, i]),
        ("R6", "Bram Meijer", "GM0796", "'s-Hertogenbosch", [s, g, i]),
        ("R7", "Ingrid Bos", "GM0935", "Maastricht", [s]),
        ("R8", "Koen Hendriks", "GM0687", "Middelburg", [s, g]),
    ]
    return tuple(
        PersonEntry(id=pid, name=name, base=base, base_name=town, skills=skills)
        for pid, name, base, town, skills in rows
    )


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class _Context:
    """The horizon's calendar facts shared by every organisation and person."""

    start: date
    end: date
    holidays: frozenset[date]
    recess: Mapping[str, tuple[tuple[date, date], ...]]
    days: tuple[date, ...] = field(init=False)
    working_days: tuple[date, ...] = field(init=False)
    recess_days: Mapping[str, frozenset[date]] = field(init=False)

    def __post_init__(self) -> None:
        days = tuple(_days(self.start, self.end))
        working = tuple(d for d in days if d.weekday() < 5 and d not in self.holidays)
        recess = {
            r: frozenset(d for a, b in p for d in _days(a, b)) for r, p in self.recess.items()
        }
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "working_days", working)
        object.__setattr__(self, "recess_days", recess)

    def in_recess(self, region: str, day: date) -> bool:
        return day in self.recess_days.get(region, frozenset())


def generate_example(
    orgs: Mapping[str, Organisation],
    *,
    seed: int,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
) -> ExampleScenario:
    """The example scenario for ``orgs`` from ``start`` to ``end`` (inclusive), fully
    determined by ``seed`` (a non-negative integer)."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed}")
    ctx = _Context(start, end, public_holidays(start, end), council_recess(start, end))
    codes = sorted(orgs)
    team, trainers = example_team(), example_trainers()
    person_events = {
        p.id: _person_events(p.id, _rng(seed, p.id, "person"), ctx, trainer=bool(p.skills))
        for p in team + trainers
    }
    return ExampleScenario(
        name=f"example-seed-{seed}",
        seed=seed,
        start=start,
        end=end,
        deadline=end,
        team=team,
        trainers=trainers,
        org_events={c: _org_events(orgs[c], _rng(seed, c, "calendar"), ctx) for c in codes},
        person_events=person_events,
        requests=example_requests(
            codes,
            seed=seed,
            period=(max(TRAINING_PERIOD[0], start), min(TRAINING_PERIOD[1], end)),
        ),
        org_names={c: orgs[c].name for c in codes},
    )


def example_requests(
    codes: Iterable[str], *, seed: int, period: tuple[date, date] = TRAINING_PERIOD
) -> tuple[Request, ...]:
    """Per organisation code (sorted) whether it accepts the session (about 65 %) and
    requests a training (about 20 %) with a window of 6-10 weeks (Monday to Friday) inside
    ``period`` (inclusive dates; the whole period if it is shorter); the same as
    :func:`generate_example` gives for the same seed over the default horizon."""
    return tuple(_request(c, _rng(seed, c, "request"), period) for c in sorted(codes))


def _rng(seed: int, key: str, purpose: str) -> random.Random:
    """An independent, reproducible stream for one organisation or person and purpose
    (string seeds are hashed with SHA-512: the same on every platform and Python run)."""
    return random.Random(f"optimizer-example:{seed}:{key}:{purpose}")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60))


def _weighted(rng: random.Random, weights: Sequence[float]) -> int:
    """An index drawn with the given weights."""
    return rng.choices(range(len(weights)), weights=weights)[0]


def _org_events(org: Organisation, rng: random.Random, ctx: _Context) -> tuple[CalendarEvent, ...]:
    """An organisation's calendar: college, council meetings, busy blocks, summer leave."""
    code, region = org.code, org.holiday_region
    province = org.kind is Kind.PROVINCIE
    college_day = _weighted(rng, COLLEGE_WEEKDAY)
    college = (rng.choice((540, 570)), rng.choice((720, 750)))
    council_day = _weighted(rng, STATEN_WEEKDAY if province else COUNCIL_WEEKDAY)
    share = rng.uniform(*BUSY_PATTERN_SHARE)
    leave = _summer_leaves(rng, ctx, region)
    who = "Commissaris van de Koning" if province else "burgemeester"
    events = [
        _college(org, ctx, college_day, college),
        *_council_meetings(org, rng, ctx, council_day),
        *_weekly_blocks(code, rng, ctx, region, share, college_day, college[1]),
        *_one_offs(code, rng, ctx, region, leave),
        *(
            CalendarEvent(
                uid=f"{code}-leave-{first.year}",
                summary=f"Zomerverlof {who}",
                start=first,
                end=first + timedelta(weeks=3),
            )
            for first in leave
        ),
    ]
    return tuple(sorted(events, key=_event_order))


def _event_order(event: CalendarEvent) -> tuple[datetime, str]:
    start = event.start if isinstance(event.start, datetime) else _at(event.start, 0)
    return (start, event.uid)


def _college(
    org: Organisation, ctx: _Context, weekday: int, hours: tuple[int, int]
) -> CalendarEvent:
    """The weekly college meeting, skipping public holidays and the recess."""
    first = _next_weekday(ctx.start, weekday)
    count = (ctx.end - first).days // 7 + 1
    dates = [first + timedelta(weeks=k) for k in range(count)]
    skipped = tuple(d for d in dates if d in ctx.holidays or ctx.in_recess(org.holiday_region, d))
    if org.kind is Kind.PROVINCIE:
        summary = "Vergadering Gedeputeerde Staten"
    else:
        summary = "Collegevergadering B&W"
    return CalendarEvent(
        uid=f"{org.code}-college",
        summary=summary,
        start=_at(first, hours[0]),
        end=_at(first, hours[1]),
        weekly_count=count,
        exdates=skipped,
    )


def _council_meetings(
    org: Organisation, rng: random.Random, ctx: _Context, weekday: int
) -> list[CalendarEvent]:
    """Council meetings every 4-6 weeks on ``weekday``, moved a week on while the date is a
    public holiday or in the recess."""
    province = org.kind is Kind.PROVINCIE
    hours = STATEN_HOURS if province else COUNCIL_HOURS
    summary = "Statenvergadering" if province else "Raadsvergadering"
    day = _next_weekday(ctx.start, weekday) + timedelta(weeks=rng.randrange(5))
    events: list[CalendarEvent] = []
    while True:
        while day <= ctx.end and (day in ctx.holidays or ctx.in_recess(org.holiday_region, day)):
            day += timedelta(weeks=1)
        if day > ctx.end:
            return events
        events.append(
            CalendarEvent(
                uid=f"{org.code}-council-{day:%Y%m%d}",
                summary=summary,
                start=_at(day, hours[0]),
                end=_at(day, hours[1]),
                categories=(COUNCIL_CATEGORY,),
            )
        )
        day += timedelta(weeks=rng.randint(*COUNCIL_EVERY_WEEKS))


def _terms(rng: random.Random, ctx: _Context, region: str) -> list[tuple[date, date]]:
    """The stretches of the horizon outside the recess, cut into pieces of 8-12 weeks (the
    last piece of a stretch absorbs a remainder shorter than three weeks)."""
    stretches: list[tuple[date, date]] = []
    for day in ctx.days:
        if ctx.in_recess(region, day):
            continue
        if stretches and stretches[-1][1] == day - timedelta(days=1):
            stretches[-1] = (stretches[-1][0], day)
        else:
            stretches.append((day, day))
    terms = []
    for first, last in stretches:
        while first <= last:
            stop = first + timedelta(weeks=rng.randint(*TERM_WEEKS), days=-1)
            if (last - stop).days < 21:
                stop = last
            terms.append((first, stop))
            first = stop + timedelta(days=1)
    return terms


def _weekly_blocks(
    code: str,
    rng: random.Random,
    ctx: _Context,
    region: str,
    share: float,
    college_day: int,
    college_end: int,
) -> list[CalendarEvent]:
    """Per term and weekday, 1-3 weekly recurring busy blocks covering about ``share`` of the
    office half-hours (after the college meeting on its weekday)."""
    events = []
    for term, (first, last) in enumerate(_terms(rng, ctx, region)):
        for weekday in range(5):
            start_day = _next_weekday(first, weekday)
            if start_day > last:
                continue
            count = (last - start_day).days // 7 + 1
            dates = (start_day + timedelta(weeks=k) for k in range(count))
            skipped = tuple(d for d in dates if d in ctx.holidays)
            open_from = college_end if weekday == college_day else OFFICE[0]
            for n, (a, b) in enumerate(_day_blocks(rng, open_from, OFFICE[1], share)):
                events.append(
                    CalendarEvent(
                        uid=f"{code}-w{term:02d}{weekday}{n}",
                        summary=rng.choice(_BUSY_SUMMARIES),
                        start=_at(start_day, a),
                        end=_at(start_day, b),
                        weekly_count=count,
                        exdates=skipped,
                    )
                )
    return events


def _day_blocks(rng: random.Random, first: int, last: int, share: float) -> list[tuple[int, int]]:
    """1-3 disjoint blocks of whole half-hours inside ``first``..``last`` (minutes after
    midnight, on half-hours) covering about ``share`` of it, with free time between them."""
    slots = (last - first) // SLOT_MIN
    busy = min(max(round(share * slots + rng.gauss(0.0, 1.0)), 1), slots - 1)
    free = slots - busy
    k = min(_weighted(rng, BLOCKS_PER_DAY) + 1, busy, free + 1)
    cuts = sorted(rng.sample(range(1, busy), k - 1))
    lengths = [b - a for a, b in zip([0, *cuts], [*cuts, busy], strict=True)]
    gaps = [0] + [1] * (k - 1) + [0]
    for _ in range(free - (k - 1)):
        gaps[rng.randrange(k + 1)] += 1
    blocks, slot = [], 0
    for gap, length in zip(gaps, lengths, strict=False):
        slot += gap
        blocks.append((first + slot * SLOT_MIN, first + (slot + length) * SLOT_MIN))
        slot += length
    return blocks


def _summer_leaves(rng: random.Random, ctx: _Context, region: str) -> list[date]:
    """First days (Mondays) of three weeks of leave inside each summer recess of the
    horizon."""
    starts = []
    for first, last in ctx.recess.get(region, ()):
        if first.month not in (6, 7, 8) or first < ctx.start or last > ctx.end:
            continue
        mondays = [d for d in _days(first, last - timedelta(days=20)) if d.weekday() == 0]
        if mondays:
            starts.append(rng.choice(mondays))
    return starts


def _one_offs(
    code: str, rng: random.Random, ctx: _Context, region: str, leave: Sequence[date]
) -> list[CalendarEvent]:
    """Single busy blocks of 1-3 hours on some working days (more often in the recess, when
    no weekly pattern runs); none during the summer leave."""
    on_leave = {d for first in leave for d in _days(first, first + timedelta(days=20))}
    events = []
    for day in ctx.working_days:
        chance = ONE_OFF_PER_DAY_RECESS if ctx.in_recess(region, day) else ONE_OFF_PER_DAY
        if day in on_leave or rng.random() >= chance:
            continue
        slots = rng.randint(2, 6)
        begin = OFFICE[0] + SLOT_MIN * rng.randrange(OFFICE_SLOTS - slots + 1)
        events.append(
            CalendarEvent(
                uid=f"{code}-x{day:%Y%m%d}",
                summary=rng.choice(_ONE_OFF_SUMMARIES),
                start=_at(day, begin),
                end=_at(day, begin + slots * SLOT_MIN),
            )
        )
    return events


def _person_events(
    person: str, rng: random.Random, ctx: _Context, *, trainer: bool
) -> tuple[CalendarEvent, ...]:
    """Three weeks of summer leave a year (starting on a Monday from 1 July to 12 August), and
    single days of sickness, leave and, for trainers, work elsewhere. All-day events."""
    events, taken = [], set()
    for year in range(ctx.start.year, ctx.end.year + 1):
        mondays = [
            d
            for d in _days(max(date(year, 7, 1), ctx.start), date(year, 8, 12))
            if d.weekday() == 0 and d + timedelta(days=20) <= ctx.end
        ]
        if not mondays:
            continue
        first = rng.choice(mondays)
        taken.update(_days(first, first + timedelta(days=20)))
        events.append(
            CalendarEvent(
                uid=f"{person}-leave-{year}",
                summary="Zomervakantie",
                start=first,
                end=first + timedelta(weeks=3),
            )
        )
    kinds = PERSON_DAYS_PER_YEAR + (TRAINER_DAYS_PER_YEAR if trainer else ())
    for day in ctx.working_days:
        if day in taken:
            continue
        for summary, per_year in kinds:
            if rng.random() < per_year / WORKING_DAYS_PER_YEAR:
                taken.add(day)
                events.append(
                    CalendarEvent(
                        uid=f"{person}-day-{day:%Y%m%d}",
                        summary=summary,
                        start=day,
                        end=day + timedelta(days=1),
                    )
                )
                break
    return tuple(sorted(events, key=_event_order))


def _request(code: str, rng: random.Random, period: tuple[date, date]) -> Request:
    """Whether ``code`` accepts a session and requests a training (with window and skill)."""
    session = rng.random() < SESSION_SHARE
    without = (TRAINING_SHARE - SESSION_SHARE * TRAINING_GIVEN_SESSION) / (1 - SESSION_SHARE)
    if rng.random() >= (TRAINING_GIVEN_SESSION if session else without):
        return Request(code=code, session=session)
    weeks = rng.randint(*TRAINING_WINDOW_WEEKS)
    first_monday = _next_weekday(period[0], 0)
    latest = period[1] - timedelta(weeks=weeks, days=-3)
    if latest >= first_monday:
        first = first_monday + timedelta(weeks=rng.randrange((latest - first_monday).days // 7 + 1))
        last = first + timedelta(weeks=weeks, days=-3)
    else:
        first, last = period
    if rng.random() < GROUP_TRAINING_SHARE:
        skill = Skill.GROUP_TRAINING
    else:
        skill = Skill.INDIVIDUAL_TRAINING
    return Request(
        code=code,
        session=session,
        training=True,
        training_from=first,
        training_to=last,
        training_skill=skill,
    )


# --------------------------------------------------------------------------- writing


def write_example(example: ExampleScenario, out: Path) -> list[Path]:
    """Write the example into the folder ``out`` (created if needed; files of the same name
    are overwritten) and return the paths written, sorted."""
    out = Path(out)
    orgs_dir, people_dir = out / "calendars" / "orgs", out / "calendars" / "people"
    orgs_dir.mkdir(parents=True, exist_ok=True)
    people_dir.mkdir(parents=True, exist_ok=True)
    horizon = (example.start, example.end)
    written = [_write(out / "scenario.toml", scenario_toml(example).encode("utf-8"))]
    written.append(write_requests(example.requests, out / "requests.csv"))
    for code, events in example.org_events.items():
        name = f"{example.org_names.get(code, code)} ({code})"
        written.append(_write(orgs_dir / f"{code}.ics", ics_bytes(events, name, horizon)))
    for person in example.team + example.trainers:
        events = example.person_events.get(person.id, ())
        name = f"{person.name} ({person.id})"
        written.append(_write(people_dir / f"{person.id}.ics", ics_bytes(events, name, horizon)))
    return sorted(written)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def scenario_toml(example: ExampleScenario) -> str:
    """The scenario file's text (TOML) for the example."""
    lines = [
        f"# Example scenario written by `optimizer example --seed {example.seed}`.",
        "# Regenerate it rather than edit it; see data/calendars/README.md.",
        "",
        "[scenario]",
        f"name = {_toml(example.name)}",
        f"start = {example.start.isoformat()}",
        f"end = {example.end.isoformat()}",
        f"seed = {example.seed}",
        "",
        "[rules]",
        f"deadline = {example.deadline.isoformat()}",
        "",
        "[data]",
        'calendars_dir = "calendars"',
        'requests_csv = "requests.csv"',
        'store = "plans.sqlite"',
        "",
        "[travel]",
        'model = "crowfly"',
    ]
    for table, people in (("team", example.team), ("trainers", example.trainers)):
        for p in people:
            lines += ["", f"[[{table}]]", f"id = {_toml(p.id)}", f"name = {_toml(p.name)}"]
            lines += [f"base = {_toml(p.base)}", f"base_name = {_toml(p.base_name)}"]
            if p.region:
                lines.append(f"region = {_toml(p.region)}")
            if p.provinces:
                lines.append(f"provinces = {_toml_list(p.provinces)}")
            if p.skills:
                lines.append(f"skills = {_toml_list(s.value for s in p.skills)}")
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml(i) for i in items) + "]"


# ---- ICS


@lru_cache(maxsize=8)
def _vtimezone(start: date, end: date) -> tuple[str, ...]:
    """The VTIMEZONE lines of Europe/Amsterdam for the horizon (from ``icalendar``)."""
    zone = icalendar.Timezone.from_tzid(
        TZID, first_date=start - timedelta(days=1), last_date=end + timedelta(days=2)
    )
    return tuple(zone.to_ical().decode("utf-8").splitlines())


def ics_bytes(events: Sequence[CalendarEvent], name: str, horizon: tuple[date, date]) -> bytes:
    """One calendar file named ``name`` (RFC 5545, CRLF line ends, folded at 75 octets) with
    the VTIMEZONE of Europe/Amsterdam over ``horizon`` (first, last day) and every DTSTAMP at
    00:00 UTC of its first day, so that the same events always give the same bytes."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ondersteuningsteam Weerbaar Bestuur//optimizer example//NL",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_text(name)}",
        *_vtimezone(*horizon),
    ]
    dtstamp = f"DTSTAMP:{horizon[0]:%Y%m%d}T000000Z"
    for event in events:
        lines += _vevent(event, dtstamp)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def _vevent(event: CalendarEvent, dtstamp: str) -> list[str]:
    if event.all_day:
        span = [f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}", f"DTEND;VALUE=DATE:{event.end:%Y%m%d}"]
    else:
        span = [f"DTSTART;TZID={TZID}:{event.start:%Y%m%dT%H%M%S}"]
        span.append(f"DTEND;TZID={TZID}:{event.end:%Y%m%dT%H%M%S}")
    lines = ["BEGIN:VEVENT", f"UID:{event.uid}@example.optimizer", dtstamp, *span]
    if event.weekly_count > 1:
        lines.append(f"RRULE:FREQ=WEEKLY;COUNT={event.weekly_count}")
    if event.exdates:
        if event.all_day:
            values = ",".join(f"{d:%Y%m%d}" for d in event.exdates)
            lines.append(f"EXDATE;VALUE=DATE:{values}")
        else:
            clock = event.start.strftime("T%H%M%S")
            values = ",".join(f"{d:%Y%m%d}{clock}" for d in event.exdates)
            lines.append(f"EXDATE;TZID={TZID}:{values}")
    lines.append(f"SUMMARY:{_ics_text(event.summary)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(_ics_text(c) for c in event.categories))
    lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def _ics_text(text: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newline escaped."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str, limit: int = 75) -> str:
    """Fold a content line into pieces of at most ``limit`` octets (UTF-8 safe)."""
    if len(line.encode("utf-8")) <= limit:
        return line
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = "", 1  # continuation lines start with a space
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)
