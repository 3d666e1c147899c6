"""Calendars: holidays, school holidays and recess, ICS and CSV calendars on the time axis."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from optimizer.data import calendars
from optimizer.data.calendars import (
    IcsCalendar,
    SchoolHoliday,
    apply_person_calendar,
    check_calendars,
    council_recess,
    load_org_calendars,
    load_person_calendars,
    public_holidays,
    read_calendar_csv,
    read_ics,
    read_school_holidays_csv,
    school_holidays,
)
from optimizer.domain import Person, Point, Role
from optimizer.errors import CalendarError
from optimizer.scenario import parse_scenario
from optimizer.timeaxis import TimeAxis

AXIS = TimeAxis(date(2023, 1, 1))
UNTIL = date(2024, 12, 31)
AMS = ZoneInfo("Europe/Amsterdam")

Reader = Callable[[Path, TimeAxis, date], IcsCalendar]


@pytest.fixture(params=["fast path", "icalendar only"])
def read(request: pytest.FixtureRequest) -> Reader:
    """read_ics as used (plain events by the fast path), and with icalendar parsing all."""
    if request.param == "fast path":
        return lambda path, axis, until: read_ics(path, axis, until=until)
    return lambda path, axis, until: calendars._read_ics(path, axis, until, fast=False)


def _ics(tmp_path: Path, body: str, name: str = "cal.ics") -> Path:
    """An ICS file with ``body`` (VEVENT/VFREEBUSY text) inside a VCALENDAR, CRLF lines."""
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body.strip()}\nEND:VCALENDAR\n"
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return path


def _event(uid: str, *lines: str) -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", *lines, "END:VEVENT"])


def _at(day: date, hhmm: str) -> int:
    hours, minutes = map(int, hhmm.split(":"))
    return AXIS.at(day, hours * 60 + minutes)


DST_SPRING, DST_AUTUMN = date(2023, 3, 26), date(2023, 10, 29)


# --------------------------------------------------------------------------- ICS times


def test_evening_on_dst_switch_days_lands_on_wall_clock_minute(tmp_path: Path, read: Reader):
    body = "\n".join(
        _event(
            f"e{d:%m}",
            f"DTSTART;TZID=Europe/Amsterdam:{d:%Y%m%d}T193000",
            f"DTEND;TZID=Europe/Amsterdam:{d:%Y%m%d}T210000",
        )
        for d in (DST_SPRING, DST_AUTUMN)
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    expected = tuple(
        (AXIS.day_index(d) * 1440 + 1170, AXIS.day_index(d) * 1440 + 1260)
        for d in (DST_SPRING, DST_AUTUMN)
    )
    assert cal.busy == expected


def test_utc_times_on_dst_switch_days_land_on_the_same_minutes(tmp_path: Path, read: Reader):
    # 19:30 local is 17:30Z in summer time (26 March) and 18:30Z in winter time (29 October)
    body = "\n".join(
        [
            _event("s", "DTSTART:20230326T173000Z", "DTEND:20230326T190000Z"),
            _event("a", "DTSTART:20231029T183000Z", "DTEND:20231029T200000Z"),
        ]
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    assert cal.busy == (
        (_at(DST_SPRING, "19:30"), _at(DST_SPRING, "21:00")),
        (_at(DST_AUTUMN, "19:30"), _at(DST_AUTUMN, "21:00")),
    )


def test_other_time_zones_and_floating_times_convert_to_amsterdam(tmp_path: Path, read: Reader):
    body = "\n".join(
        [  # London is one hour behind Amsterdam, also on the spring DST day
            _event("l", "DTSTART;TZID=Europe/London:20230326T183000", "DURATION:PT1H"),
            _event("f", "DTSTART:20230601T090000", "DTEND:20230601T100000"),
        ]
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    assert cal.busy == (
        (_at(DST_SPRING, "19:30"), _at(DST_SPRING, "20:30")),
        (_at(date(2023, 6, 1), "09:00"), _at(date(2023, 6, 1), "10:00")),
    )


def test_icalendar_written_file_with_vtimezone_reads(tmp_path: Path, read: Reader):
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", "lib-1")
    event.add("dtstart", datetime(2023, 10, 29, 19, 30, tzinfo=AMS))
    event.add("dtend", datetime(2023, 10, 29, 22, 0, tzinfo=AMS))
    event.add("summary", "Raadsvergadering")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    path = tmp_path / "lib.ics"
    path.write_bytes(calendar.to_ical())
    cal = read(path, AXIS, UNTIL)
    assert cal.busy == ((_at(DST_AUTUMN, "19:30"), _at(DST_AUTUMN, "22:00")),)
    assert cal.council_days == {DST_AUTUMN}


# --------------------------------------------------------------------------- recurrence


def test_weekly_rrule_with_exdate_skips_the_excluded_date(tmp_path: Path, read: Reader):
    body = _event(
        "weekly",
        "DTSTART;TZID=Europe/Amsterdam:20230306T193000",
        "DTEND;TZID=Europe/Amsterdam:20230306T213000",
        "RRULE:FREQ=WEEKLY;COUNT=10",
        "EXDATE;TZID=Europe/Amsterdam:20230327T193000",
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    days = [AXIS.date_of(start) for start, _ in cal.busy]
    expected = [date(2023, 3, 6) + timedelta(weeks=k) for k in range(10)]
    expected.remove(date(2023, 3, 27))
    assert days == expected
    assert {(start % 1440, end % 1440) for start, end in cal.busy} == {(1170, 1290)}


def test_rdate_adds_an_occurrence(tmp_path: Path, read: Reader):
    body = _event(
        "series",
        "DTSTART;TZID=Europe/Amsterdam:20230306T100000",
        "DTEND;TZID=Europe/Amsterdam:20230306T110000",
        "RRULE:FREQ=WEEKLY;COUNT=2",
        "RDATE;TZID=Europe/Amsterdam:20230401T100000",
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    assert [AXIS.date_of(s) for s, _ in cal.busy] == [
        date(2023, 3, 6),
        date(2023, 3, 13),
        date(2023, 4, 1),
    ]


def test_recurrence_is_expanded_only_inside_the_horizon(tmp_path: Path, read: Reader):
    body = _event(
        "endless",
        "DTSTART;TZID=Europe/Amsterdam:20221226T090000",
        "DTEND;TZID=Europe/Amsterdam:20221226T100000",
        "RRULE:FREQ=WEEKLY",
    )
    axis, until = TimeAxis(date(2023, 1, 2)), date(2023, 1, 31)
    cal = read(_ics(tmp_path, body), axis, until)
    assert [axis.date_of(s) for s, _ in cal.busy] == [
        date(2023, 1, 2) + timedelta(weeks=k) for k in range(5)
    ]
    assert all(0 <= s < e <= axis.minute(until + timedelta(days=1)) for s, e in cal.busy)


# --------------------------------------------------------------------------- kinds of events


def test_all_day_event_covers_whole_days(tmp_path: Path, read: Reader):
    body = _event("leave", "DTSTART;VALUE=DATE:20230403", "DTEND;VALUE=DATE:20230405")
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    first = AXIS.minute(date(2023, 4, 3))
    assert cal.busy == ((first, first + 2 * 1440),)
    assert cal.all_day == (date(2023, 4, 3), date(2023, 4, 4))


def test_vfreebusy_busy_and_free_periods(tmp_path: Path, read: Reader):
    body = "\n".join(
        [
            "BEGIN:VFREEBUSY",
            "UID:fb",
            "DTSTART:20230101T000000Z",
            "DTEND:20231231T000000Z",
            "FREEBUSY;FBTYPE=BUSY:20230320T080000Z/20230320T100000Z,20230321T080000Z/PT2H",
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20230322T080000Z/20230322T090000Z",
            "FREEBUSY;FBTYPE=FREE:20230323T120000Z/20230323T160000Z",
            "END:VFREEBUSY",
        ]
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    assert cal.busy == (  # UTC+1 in March before the switch
        (_at(date(2023, 3, 20), "09:00"), _at(date(2023, 3, 20), "11:00")),
        (_at(date(2023, 3, 21), "09:00"), _at(date(2023, 3, 21), "11:00")),
        (_at(date(2023, 3, 22), "09:00"), _at(date(2023, 3, 22), "10:00")),
    )
    assert cal.available == ((_at(date(2023, 3, 23), "13:00"), _at(date(2023, 3, 23), "17:00")),)


def test_transparent_cancelled_available_and_council_events(tmp_path: Path, read: Reader):
    day = "DTSTART;TZID=Europe/Amsterdam:20230605T{}00\nDTEND;TZID=Europe/Amsterdam:20230605T{}00"
    body = "\n".join(
        [
            _event("t", day.format("0900", "1000"), "TRANSP:TRANSPARENT"),
            _event("c", day.format("1000", "1100"), "STATUS:CANCELLED"),
            _event("a", day.format("1300", "1700"), "CATEGORIES:work,Available"),
            _event(
                "m",
                "DTSTART;TZID=Europe/Amsterdam:20230605T193000",
                "DTEND;TZID=Europe/Amsterdam:20230606T003000",  # past midnight: still 5 June
                "CATEGORIES:council-meeting",
            ),
            _event(
                "r",
                "DTSTART;TZID=Europe/Amsterdam:20230612T193000",
                "DTEND;TZID=Europe/Amsterdam:20230612T220000",
                "SUMMARY:Raadsvergadering (begroting)",
            ),
            _event(
                "s",
                "DTSTART;TZID=Europe/Amsterdam:20230619T140000",
                "DTEND;TZID=Europe/Amsterdam:20230619T170000",
                "SUMMARY:Statenvergadering",
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                "TRIGGER:-PT15M",
                "END:VALARM",
            ),
        ]
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    june5 = date(2023, 6, 5)
    assert cal.available == ((_at(june5, "13:00"), _at(june5, "17:00")),)
    assert cal.busy == (
        (_at(june5, "19:30"), _at(date(2023, 6, 6), "00:30")),
        (_at(date(2023, 6, 12), "19:30"), _at(date(2023, 6, 12), "22:00")),
        (_at(date(2023, 6, 19), "14:00"), _at(date(2023, 6, 19), "17:00")),
    )
    assert cal.council_days == {june5, date(2023, 6, 12), date(2023, 6, 19)}


def test_overlapping_busy_blocks_are_merged_and_sorted(tmp_path: Path, read: Reader):
    body = "\n".join(
        [
            _event("b", "DTSTART:20230601T110000", "DTEND:20230601T130000"),
            _event("a", "DTSTART:20230601T090000", "DTEND:20230601T120000"),
            _event("c", "DTSTART:20230601T130000", "DTEND:20230601T140000"),
            _event("d", "DTSTART:20230530T090000", "DTEND:20230530T100000"),
        ]
    )
    cal = read(_ics(tmp_path, body), AXIS, UNTIL)
    assert cal.busy == (
        (_at(date(2023, 5, 30), "09:00"), _at(date(2023, 5, 30), "10:00")),
        (_at(date(2023, 6, 1), "09:00"), _at(date(2023, 6, 1), "14:00")),
    )


def _random_event(rng: random.Random, k: int) -> str:
    """One event in one of the forms calendars use (for the fast-path comparison)."""
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
    start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=15 * rng.randrange(96))
    end = start + timedelta(minutes=15 * rng.randrange(1, 12))
    form = rng.randrange(7)
    if form == 0:
        lines = [f"DTSTART;TZID=Europe/Amsterdam:{start:%Y%m%dT%H%M%S}"]
        lines.append(f"DTEND;TZID=Europe/Amsterdam:{end:%Y%m%dT%H%M%S}")
    elif form == 1:
        lines = [f"DTSTART:{start:%Y%m%dT%H%M%S}Z", f"DTEND:{end:%Y%m%dT%H%M%S}Z"]
    elif form == 2:
        lines = [f"DTSTART:{start:%Y%m%dT%H%M%S}", f"DURATION:PT{rng.randrange(1, 5)}H"]
    elif form == 3:
        lines = [f"DTSTART;VALUE=DATE:{day:%Y%m%d}"]
    elif form == 4:
        lines = [f"DTSTART;TZID=America/New_York:{start:%Y%m%dT%H%M%S}"]
        lines.append(f"DTEND;TZID=America/New_York:{end:%Y%m%dT%H%M%S}")
    elif form == 5:
        lines = [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(3):%Y%m%d}",
        ]
    else:
        lines = [f'DTSTART;TZID="Europe/Amsterdam":{start:%Y%m%dT%H%M%S}', "DURATION:PT90M"]
    extra = rng.choice(
        [
            [],
            ["TRANSP:TRANSPARENT"],
            ["STATUS:CANCELLED"],
            ["CATEGORIES:Available"],
            ["CATEGORIES:x\\,y,council-meeting"],
            ["SUMMARY:Raadsvergadering\\, openbaar"],
            ['ATTENDEE;CN="Doe, J":mailto:j@example.org', "LOCATION:Stadhuis\\; zaal 1"],
        ]
    )
    return _event(f"r{k}", *lines, *extra)


def _random_series(rng: random.Random, k: int) -> str:
    """A recurring event in one of the shapes calendars use (for the fast-path comparison)."""
    day = date(2022, 12, 1) + timedelta(days=rng.randrange(500))
    start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=30 * rng.randrange(48))
    end = start + timedelta(minutes=30 * rng.randrange(1, 8))
    zone = rng.choice(["TZID=Europe/Amsterdam", "TZID=Europe/Amsterdam", "TZID=Europe/London"])
    skipped = [start + timedelta(weeks=w) for w in rng.sample(range(1, 20), 3)]
    extra_day = start + timedelta(days=rng.randrange(1, 200))
    all_day = rng.random() < 0.2
    if all_day:
        lines = [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(2):%Y%m%d}",
        ]
        exdate = "EXDATE;VALUE=DATE:" + ",".join(f"{d:%Y%m%d}" for d in skipped)
        rdate = f"RDATE;VALUE=DATE:{extra_day:%Y%m%d}"
    else:
        lines = [f"DTSTART;{zone}:{start:%Y%m%dT%H%M%S}", f"DTEND;{zone}:{end:%Y%m%dT%H%M%S}"]
        exdate = f"EXDATE;{zone}:" + ",".join(f"{d:%Y%m%dT%H%M%S}" for d in skipped)
        rdate = f"RDATE;{zone}:{extra_day:%Y%m%dT%H%M%S}"
    until = start + timedelta(days=rng.randrange(30, 400))
    rule = rng.choice(
        [
            f"RRULE:FREQ=WEEKLY;COUNT={rng.randrange(2, 30)}",
            f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%d}T235959Z",
            f"RRULE:FREQ=DAILY;INTERVAL=3;UNTIL={until:%Y%m%d}",
            "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=9",  # DTSTART may be off the rule
            "RRULE:FREQ=MONTHLY;BYDAY=1MO",
        ]
    )
    if all_day and "T235959Z" in rule:
        rule = rule.replace("T235959Z", "")
    if not all_day and "UNTIL" in rule and "Z" not in rule:
        rule += "T120000"
    extra = rng.choice([[], [exdate], [exdate, rdate], [rdate], ["CATEGORIES:council-meeting"]])
    return _event(f"s{k}", *lines, rule, *extra)


def test_fast_path_agrees_with_icalendar_on_varied_events(tmp_path: Path):
    rng = random.Random(7)
    events = [_random_event(rng, k) for k in range(300)]
    events += [_random_series(rng, k) for k in range(150)]
    events.append(  # an exception to a series keeps the whole series with icalendar
        _event(
            "s0",
            "RECURRENCE-ID;TZID=Europe/Amsterdam:20991231T000000",
            "DTSTART;TZID=Europe/Amsterdam:20230101T090000",
            "DURATION:PT1H",
        )
    )
    path = _ics(tmp_path, "\n".join(events))
    assert len(calendars._split_fast_events(path.read_text())[0]) > 400
    fast = calendars._read_ics(path, AXIS, UNTIL, fast=True)
    slow = calendars._read_ics(path, AXIS, UNTIL, fast=False)
    assert fast.busy and fast.available and fast.council_days and fast.all_day
    assert (fast.busy, fast.available, fast.council_days, fast.all_day) == (
        slow.busy,
        slow.available,
        slow.council_days,
        slow.all_day,
    )


# --------------------------------------------------------------------------- malformed ICS


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("this is not a calendar", "Content line could not be parsed"),
        (_event("x", "DTEND:20230101T100000Z"), "event UID x: DTSTART missing"),
        (_event("y", "DTSTART:2023013", "DTEND:20230101T100000Z"), "event UID y: DTSTART"),
        (
            _event("z", "DTSTART:20230101T100000", "DTEND:20230101T090000"),
            "event UID z: ends before it starts",
        ),
        (
            _event("w", "DTSTART:20230101T100000", "RRULE:FREQ=SOMETIMES"),
            "RRULE",
        ),
    ],
)
def test_malformed_ics_names_file_and_problem(
    tmp_path: Path, read: Reader, body: str, problem: str
):
    path = _ics(tmp_path, body, name="GM0014.ics")
    with pytest.raises(CalendarError) as info:
        read(path, AXIS, UNTIL)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_file_without_vcalendar_is_an_error(tmp_path: Path, read: Reader):
    path = tmp_path / "event.ics"
    path.write_text(_event("e", "DTSTART:20230101T100000Z") + "\n")
    with pytest.raises(CalendarError, match=r"event\.ics: no VCALENDAR"):
        read(path, AXIS, UNTIL)


# --------------------------------------------------------------------------- CSV


def test_semicolon_csv_with_dutch_dates_reads(tmp_path: Path):
    path = tmp_path / "busy.csv"
    path.write_text(
        "code;start;end\n"
        "GM0014;26-03-2023 19:30;26-03-2023 21:00\n"
        "\n"
        "GM0014;29-10-2023 19:30;29-10-2023 21:00\n"
        "PV20;2023-06-01 09:00;2023-06-01 12:30\n"
    )
    result = read_calendar_csv(path, AXIS, known_codes={"GM0014", "PV20"})
    assert result["GM0014"].busy == (
        (_at(DST_SPRING, "19:30"), _at(DST_SPRING, "21:00")),
        (_at(DST_AUTUMN, "19:30"), _at(DST_AUTUMN, "21:00")),
    )
    assert result["PV20"].busy == (
        (_at(date(2023, 6, 1), "09:00"), _at(date(2023, 6, 1), "12:30")),
    )


def test_comma_csv_with_iso_t_dates_and_kinds(tmp_path: Path):
    path = tmp_path / "kinds.csv"
    path.write_text(
        "code,start,end,kind\n"
        "GM0014,2023-03-26T19:30,2023-03-26T22:00,council\n"
        "GM0014,2023-04-03T09:00,2023-04-03T17:00,available\n"
        "GM0014,2023-04-04T09:00,2023-04-04T10:00,\n"
    )
    cal = read_calendar_csv(path, AXIS, known_codes=None)["GM0014"]
    assert cal.council_days == {DST_SPRING}
    assert cal.busy == (
        (_at(DST_SPRING, "19:30"), _at(DST_SPRING, "22:00")),
        (_at(date(2023, 4, 4), "09:00"), _at(date(2023, 4, 4), "10:00")),
    )
    assert cal.available == ((_at(date(2023, 4, 3), "09:00"), _at(date(2023, 4, 3), "17:00")),)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("GM9999,2023-06-01 09:00,2023-06-01 10:00", "line 3: unknown code 'GM9999'"),
        ("GM0014,2023-06-31 09:00,2023-06-01 10:00", "line 3: start '2023-06-31 09:00'"),
        ("GM0014,2023-06-01 10:00,2023-06-01 10:00", "line 3: end 2023-06-01 10:00 is not after"),
        ("GM0014,2023-06-01 10:00", "line 3: 2 fields, the header has 3"),
    ],
)
def test_bad_csv_row_names_file_and_line(tmp_path: Path, row: str, problem: str):
    path = tmp_path / "orgs.csv"
    path.write_text(f"code,start,end\nGM0014,2023-06-01 09:00,2023-06-01 10:00\n{row}\n")
    with pytest.raises(CalendarError) as info:
        read_calendar_csv(path, AXIS, known_codes={"GM0014"})
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_csv_without_header_is_an_error(tmp_path: Path):
    path = tmp_path / "noheader.csv"
    path.write_text("GM0014,2023-06-01 09:00,2023-06-01 10:00\n")
    with pytest.raises(CalendarError, match=r"noheader\.csv, line 1: header must be code,start"):
        read_calendar_csv(path, AXIS, known_codes=None)


# --------------------------------------------------------------------------- folders


def test_org_folder_merges_ics_and_csv_per_code(tmp_path: Path):
    orgs = tmp_path / "orgs"
    orgs.mkdir()
    _ics(orgs, _event("a", "DTSTART:20230601T090000", "DTEND:20230601T100000"), "GM0014.ics")
    (orgs / "extra.csv").write_text(
        "code,start,end,kind\nGM0014,2023-06-02 09:00,2023-06-02 10:00,busy\n"
        "PV20,2023-06-05 13:00,2023-06-05 17:00,available\n"
    )
    loaded = load_org_calendars(tmp_path, AXIS, until=UNTIL, known_codes={"GM0014", "PV20"})
    assert loaded["GM0014"].busy == (
        (_at(date(2023, 6, 1), "09:00"), _at(date(2023, 6, 1), "10:00")),
        (_at(date(2023, 6, 2), "09:00"), _at(date(2023, 6, 2), "10:00")),
    )
    assert loaded["GM0014"].available is None
    assert loaded["PV20"].available == (
        (_at(date(2023, 6, 5), "13:00"), _at(date(2023, 6, 5), "17:00")),
    )


def test_unknown_code_in_ics_file_name_is_an_error(tmp_path: Path):
    (tmp_path / "orgs").mkdir()
    _ics(tmp_path / "orgs", _event("a", "DTSTART:20230601T090000"), "GM9999.ics")
    with pytest.raises(CalendarError, match="GM9999.*not a known organisation code"):
        load_org_calendars(tmp_path, AXIS, until=UNTIL, known_codes={"GM0014"})


def test_missing_folders_give_no_calendars(tmp_path: Path):
    assert load_org_calendars(tmp_path / "nothing", AXIS, until=UNTIL, known_codes=None) == {}
    assert load_person_calendars(tmp_path, AXIS, until=UNTIL, person_ids={"T1"}) == {}


def test_person_calendar_gives_unavailability_and_availability(tmp_path: Path):
    (tmp_path / "people").mkdir()
    body = "\n".join(
        [
            _event("leave", "DTSTART;VALUE=DATE:20230703", "DTEND;VALUE=DATE:20230708"),
            _event("w", "DTSTART:20230710T090000", "DTEND:20230710T170000", "CATEGORIES:available"),
        ]
    )
    _ics(tmp_path / "people", body, "R1.ics")
    cals = load_person_calendars(tmp_path, AXIS, until=UNTIL, person_ids={"R1", "T1"})
    person = Person("R1", "Trainer", Role.TRAINER, Point(5.1, 52.1), "Utrecht")
    person = apply_person_calendar(person, cals["R1"])
    monday = AXIS.minute(date(2023, 7, 3))
    assert person.unavailable == ((monday, monday + 5 * 1440),)
    assert person.available == ((_at(date(2023, 7, 10), "09:00"), _at(date(2023, 7, 10), "17:00")),)
    with pytest.raises(CalendarError, match="R1.*not a known person code"):
        load_person_calendars(tmp_path, AXIS, until=UNTIL, person_ids={"T1"})


def test_check_calendars_reports_counts_and_every_problem(tmp_path: Path):
    orgs = tmp_path / "calendars" / "orgs"
    orgs.mkdir(parents=True)
    _ics(orgs, _event("m", "DTSTART:20230601T193000", "SUMMARY:Raadsvergadering"), "GM0014.ics")
    _ics(orgs, "garbage line", "GM0034.ics")
    (orgs / "bad.csv").write_text("code,start,end\nGM0014,yesterday,2023-06-01 10:00\n")
    scenario = parse_scenario(
        '[scenario]\nstart = 2023-01-01\nend = 2024-12-31\n[data]\ncalendars_dir = "calendars"\n',
        folder=tmp_path,
    )
    lines = check_calendars(scenario, {"GM0014": None, "GM0034": None})
    problems = [line for line in lines if line.startswith("problem:")]
    assert len(problems) == 2
    assert any("GM0034.ics" in p for p in problems)
    assert any("bad.csv, line 2" in p for p in problems)
    assert any("3 files" in line and "1 council days" in line for line in lines)
    assert any(line.startswith("public holidays") for line in lines)


# --------------------------------------------------------------------------- holidays


def test_public_holidays_2024():
    days = public_holidays(date(2024, 1, 1), date(2024, 12, 31))
    for day in (date(2024, 4, 1), date(2024, 4, 27), date(2024, 12, 25), date(2024, 12, 26)):
        assert day in days
    assert date(2024, 3, 12) not in days  # an ordinary Tuesday
    assert all(date(2024, 1, 1) <= day <= date(2024, 12, 31) for day in days)


def test_liberation_day_is_public_only_in_lustrum_years():
    days = public_holidays(date(2023, 1, 1), date(2025, 12, 31))
    assert date(2025, 5, 5) in days
    assert date(2023, 5, 5) not in days and date(2024, 5, 5) not in days


def _shared_holidays(shared_data: Path) -> list[SchoolHoliday]:
    return read_school_holidays_csv(shared_data / "calendars" / "school_holidays_nl.csv")


@pytest.mark.parametrize("region", ["noord", "midden", "zuid"])
def test_summer_holiday_2023_matches_shared_csv(shared_data: Path, region: str):
    expected = [
        p
        for p in _shared_holidays(shared_data)
        if p.region == region and p.name == "zomervakantie" and p.year == 2023
    ]
    got = [
        p
        for p in school_holidays(date(2023, 1, 1), date(2023, 12, 31))
        if p.region == region and p.name == "zomervakantie"
    ]
    assert len(expected) == 1
    assert got == expected


def test_summer_and_christmas_2023_2024_match_shared_csv(shared_data: Path):
    def recess_of(periods: list[SchoolHoliday]) -> set[SchoolHoliday]:
        return {
            p
            for p in periods
            if p.name in ("zomervakantie", "kerstvakantie") and p.year in (2023, 2024)
        }

    package = recess_of(school_holidays(date(2023, 1, 1), date(2024, 12, 31)))
    assert len(package) == 12
    assert package == recess_of(_shared_holidays(shared_data))


def test_christmas_holiday_is_one_period_across_the_new_year():
    christmas = [
        p
        for p in school_holidays(date(2023, 12, 1), date(2024, 1, 31))
        if p.name == "kerstvakantie"
    ]
    assert {(p.first_day, p.last_day) for p in christmas} == {
        (date(2023, 12, 23), date(2024, 1, 7))
    }
    assert len(christmas) == 3


def test_override_csv_replaces_one_years_holidays(tmp_path: Path):
    path = tmp_path / "override.csv"
    path.write_text(
        "region;holiday;first_day;last_day\n"
        "noord;zomervakantie;2023-07-01;2023-08-13\n"
        "noord;Kerstvakantie;2023-12-16;2023-12-31\n"
    )
    periods = school_holidays(date(2023, 1, 1), date(2024, 12, 31), override_csv=path)
    noord_2023 = [p for p in periods if p.region == "noord" and p.year == 2023]
    assert [(p.name, p.first_day, p.last_day) for p in noord_2023] == [
        ("zomervakantie", date(2023, 7, 1), date(2023, 8, 13)),
        ("kerstvakantie", date(2023, 12, 16), date(2023, 12, 31)),
    ]
    package = school_holidays(date(2023, 1, 1), date(2024, 12, 31))
    untouched = [p for p in package if not (p.region == "noord" and p.year == 2023)]
    assert set(untouched) <= set(periods)
    recess = council_recess(date(2023, 1, 1), date(2024, 12, 31), override_csv=path)
    assert (date(2023, 7, 1), date(2023, 8, 13)) in recess["noord"]
    assert (date(2023, 7, 22), date(2023, 9, 3)) not in recess["noord"]
    assert (date(2024, 7, 20), date(2024, 9, 1)) in recess["noord"]


def test_council_recess_is_summer_and_christmas_per_region():
    recess = council_recess(date(2024, 1, 8), date(2024, 12, 31))
    assert set(recess) == {"noord", "midden", "zuid"}
    periods = school_holidays(date(2024, 1, 8), date(2024, 12, 31))
    for region, pairs in recess.items():
        summer = [p for p in periods if p.region == region and p.name == "zomervakantie"]
        assert pairs[0] == (summer[0].first_day, summer[0].last_day)
        assert pairs[1][0] == date(2024, 12, 21)
        assert len(pairs) == 2


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("west,zomervakantie,2023-07-01,2023-08-13", "line 2: unknown region 'west'"),
        ("noord,zomerreces,2023-07-01,2023-08-13", "line 2: unknown holiday 'zomerreces'"),
        ("noord,zomervakantie,1-7-2023,2023-08-13", "line 2: first_day '1-7-2023'"),
        ("noord,zomervakantie,2023-08-13,2023-07-01", "line 2: last_day 2023-07-01 is before"),
    ],
)
def test_bad_override_row_names_file_and_line(tmp_path: Path, row: str, problem: str):
    path = tmp_path / "holidays.csv"
    path.write_text(f"region,holiday,first_day,last_day\n{row}\n")
    with pytest.raises(CalendarError) as info:
        school_holidays(date(2023, 1, 1), date(2023, 12, 31), override_csv=path)
    assert str(path) in str(info.value) and problem in str(info.value)


# --------------------------------------------------------------------------- performance


def _busy_org_file(path: Path, rng: random.Random, events: int) -> None:
    lines = [
        _event(
            "weekly",
            "DTSTART;TZID=Europe/Amsterdam:20220704T190000",
            "DTEND;TZID=Europe/Amsterdam:20220704T220000",
            "RRULE:FREQ=WEEKLY;UNTIL=20241231T230000Z",
            "EXDATE;TZID=Europe/Amsterdam:20221226T190000,20230417T190000",
        )
    ]
    for k in range(events):
        day = date(2022, 7, 1) + timedelta(days=rng.randrange(900))
        hour = rng.randrange(8, 17)
        lines.append(
            _event(
                f"b{k}",
                "DTSTAMP:20220101T000000Z",
                f"DTSTART;TZID=Europe/Amsterdam:{day:%Y%m%d}T{hour:02d}0000",
                f"DTEND;TZID=Europe/Amsterdam:{day:%Y%m%d}T{hour + 2:02d}0000",
                "SUMMARY:Bezet",
            )
        )
    _ics(path.parent, "\n".join(lines), path.name)


@pytest.mark.slow
def test_national_org_calendars_load_within_half_a_minute(tmp_path: Path):
    rng = random.Random(3)
    (tmp_path / "orgs").mkdir()
    codes = [f"GM{k:04d}" for k in range(354)]
    for code in codes:
        _busy_org_file(tmp_path / "orgs" / f"{code}.ics", rng, 500)
    started = time.perf_counter()
    loaded = load_org_calendars(
        tmp_path, TimeAxis(date(2022, 7, 1)), until=UNTIL, known_codes=codes
    )
    assert len(loaded) == 354
    assert time.perf_counter() - started < 30  # about 10 s on an idle core
