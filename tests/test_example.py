"""The seeded example scenario (``optimizer example``) on the real 354 organisations, read back
with the product's own loaders; and the requests CSV."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import icalendar
import numpy as np
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.calendars import (
    council_recess,
    load_org_calendars,
    load_person_calendars,
    public_holidays,
)
from optimizer.data.example import (
    DEFAULT_END,
    DEFAULT_START,
    ExampleScenario,
    example_requests,
    generate_example,
    write_example,
)
from optimizer.data.organisations import DEFAULT_HOLIDAY_REGION, load_organisations
from optimizer.data.requests import Request, load_requests, write_requests
from optimizer.domain import Kind, Organisation, OrgCalendar, Skill
from optimizer.errors import DataError
from optimizer.scenario import load_scenario
from optimizer.timeaxis import TimeAxis

# Organisations of every holiday region and both kinds, and an island.
SUBSET = ("GM0014", "GM0088", "GM0344", "GM0772", "PV26", "PV30")
AXIS = TimeAxis(DEFAULT_START)
OFFICE = (9 * 60, 17 * 60)


@pytest.fixture(scope="module")
def orgs(shared_data: Path) -> dict[str, Organisation]:
    return load_organisations()


@pytest.fixture(scope="module")
def subset(orgs) -> dict[str, Organisation]:
    return {code: orgs[code] for code in SUBSET}


@pytest.fixture(scope="module")
def example(subset) -> ExampleScenario:
    return generate_example(subset, seed=7)


@pytest.fixture(scope="module")
def written(example, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example")
    write_example(example, out)
    return out


@pytest.fixture(scope="module")
def org_calendars(written, subset) -> dict[str, OrgCalendar]:
    return load_org_calendars(
        written / "calendars", AXIS, until=DEFAULT_END, known_codes=set(subset)
    )


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _working_days(start: date = DEFAULT_START, end: date = DEFAULT_END) -> list[date]:
    holidays = public_holidays(start, end)
    days = (start + timedelta(days=k) for k in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in holidays]


def _busy_minutes(calendar: OrgCalendar) -> np.ndarray:
    """Per day of the horizon and minute of the day: busy or not."""
    busy = np.zeros((AXIS.day_index(DEFAULT_END) + 1) * 1440, dtype=bool)
    for start, end in calendar.busy:
        busy[start:end] = True
    return busy.reshape(-1, 1440)


def _office_busy_share(calendar: OrgCalendar) -> float:
    """Share of the office minutes (09:00-17:00) of working days that are busy."""
    days = [AXIS.day_index(d) for d in _working_days()]
    return float(_busy_minutes(calendar)[days, OFFICE[0] : OFFICE[1]].mean())


def _in(periods, day: date) -> bool:
    return any(first <= day <= last for first, last in periods)


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_writes_byte_identical_files(subset, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    paths = write_example(generate_example(subset, seed=11), first)
    write_example(generate_example(subset, seed=11), second)
    hashes = _hashes(first)
    assert len(hashes) == len(paths) == 2 + len(subset) + 13
    assert hashes == _hashes(second)


def test_different_seed_gives_different_calendars_and_requests(orgs, subset, tmp_path) -> None:
    write_example(generate_example(subset, seed=1), tmp_path / "a")
    write_example(generate_example(subset, seed=2), tmp_path / "b")
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    changed = [name for name in a if name.endswith(".ics") and a[name] != b[name]]
    assert len(changed) == len(subset) + 13
    assert example_requests(orgs, seed=1) != example_requests(orgs, seed=2)


def test_an_organisations_calendar_does_not_depend_on_the_others(orgs, example) -> None:
    alone = generate_example({"GM0344": orgs["GM0344"]}, seed=7)
    assert alone.org_events["GM0344"] == example.org_events["GM0344"]


# --------------------------------------------------------------------------- scenario file


def test_scenario_toml_loads_with_team_of_five_and_eight_trainers(written, orgs) -> None:
    scenario = load_scenario(written / "scenario.toml")
    assert (scenario.scenario.start, scenario.scenario.end) == (DEFAULT_START, DEFAULT_END)
    assert scenario.scenario.seed == 7
    assert scenario.rules.deadline == date(2024, 12, 31)
    assert scenario.path(scenario.data.calendars_dir) == written / "calendars"
    assert scenario.path(scenario.data.requests_csv) == written / "requests.csv"
    assert scenario.travel.model == "crowfly"
    assert len(scenario.team) == 5 and len(scenario.trainers) == 8
    assert {p.region for p in scenario.team} == {"noord", "midden", "zuid"}
    for person in scenario.team + scenario.trainers:
        assert orgs[person.base].kind is Kind.GEMEENTE
        assert orgs[person.base].name == person.base_name


def test_every_province_has_exactly_one_preferred_team_member_of_its_region(written) -> None:
    team = load_scenario(written / "scenario.toml").team
    preferred = Counter(code for person in team for code in person.provinces)
    assert preferred == Counter(set(DEFAULT_HOLIDAY_REGION))
    for person in team:
        assert {DEFAULT_HOLIDAY_REGION[code] for code in person.provinces} == {person.region}


def test_trainers_all_moderate_sessions_most_give_group_trainings(written) -> None:
    trainers = load_scenario(written / "scenario.toml").trainers
    skills = Counter(skill for t in trainers for skill in t.skills)
    assert skills[Skill.SESSION] == 8
    assert 5 <= skills[Skill.GROUP_TRAINING] < 8
    assert 2 <= skills[Skill.INDIVIDUAL_TRAINING] <= 4


# --------------------------------------------------------------------------- requests


@pytest.mark.parametrize("seed", [7, 8])
def test_about_65_percent_accept_a_session_and_20_percent_request_training(orgs, seed) -> None:
    requests = example_requests(orgs, seed=seed)
    assert [r.code for r in requests] == sorted(orgs)
    assert abs(sum(r.session for r in requests) / len(orgs) - 0.65) < 0.08
    assert abs(sum(r.training for r in requests) / len(orgs) - 0.20) < 0.06


def test_requested_training_windows_span_6_to_10_weeks_in_2023_2024(orgs) -> None:
    trainings = [r for r in example_requests(orgs, seed=7) if r.training]
    assert trainings
    for r in trainings:
        assert date(2023, 1, 1) <= r.training_from <= r.training_to <= date(2024, 12, 31)
        assert r.training_from.weekday() == 0 and r.training_to.weekday() == 4
        assert 6 * 7 - 3 <= (r.training_to - r.training_from).days <= 10 * 7 - 3
    assert {r.training_skill for r in trainings} == {
        Skill.GROUP_TRAINING,
        Skill.INDIVIDUAL_TRAINING,
    }


def test_written_requests_csv_loads_back(written, example, subset) -> None:
    loaded = load_requests(written / "requests.csv", subset)
    assert loaded == {r.code: r for r in example.requests}


# --------------------------------------------------------------------------- calendars


def test_organisation_calendars_load_back_for_every_organisation(org_calendars, subset) -> None:
    assert set(org_calendars) == set(subset)
    for calendar in org_calendars.values():
        assert calendar.available is None
        assert calendar.busy and calendar.council_days


def test_about_60_percent_of_office_hours_are_busy(org_calendars) -> None:
    shares = {code: _office_busy_share(c) for code, c in org_calendars.items()}
    assert all(0.5 <= s <= 0.7 for s in shares.values()), shares
    assert 0.55 <= np.mean(list(shares.values())) <= 0.65


def test_council_meets_every_4_to_6_weeks_on_one_weekday_never_in_recess(
    org_calendars, subset
) -> None:
    recess = council_recess(DEFAULT_START, DEFAULT_END)
    holidays = public_holidays(DEFAULT_START, DEFAULT_END)
    for code, calendar in org_calendars.items():
        days = sorted(calendar.council_days)
        assert len({d.weekday() for d in days}) == 1, code
        assert not [d for d in days if _in(recess[subset[code].holiday_region], d)], code
        assert not set(days) & holidays
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
        assert min(gaps) >= 28, code
        assert 20 <= len(days) <= 30, code


def test_municipal_council_meets_in_the_evening_19_30_to_23_00(org_calendars, subset) -> None:
    for code, calendar in org_calendars.items():
        if subset[code].kind is not Kind.GEMEENTE:
            continue
        for day in calendar.council_days:
            evening = (AXIS.at(day, 19 * 60 + 30), AXIS.at(day, 23 * 60))
            assert any(s <= evening[0] and evening[1] <= e for s, e in calendar.busy), (code, day)


def test_college_meets_weekly_except_public_holidays_and_recess(example, subset) -> None:
    recess = council_recess(DEFAULT_START, DEFAULT_END)
    holidays = public_holidays(DEFAULT_START, DEFAULT_END)
    for code, events in example.org_events.items():
        (college,) = [e for e in events if e.uid.endswith("-college")]
        assert college.weekly_count >= 125
        region = recess[subset[code].holiday_region]
        for day in college.occurrences():
            assert day not in holidays and not _in(region, day)
        assert set(college.exdates) >= {
            college.start.date() + timedelta(weeks=k)
            for k in range(college.weekly_count)
            if college.start.date() + timedelta(weeks=k) in holidays
        }


def test_mayor_takes_three_weeks_summer_leave_in_the_recess(org_calendars, subset) -> None:
    recess = council_recess(DEFAULT_START, DEFAULT_END)
    for code, calendar in org_calendars.items():
        whole_days = _busy_minutes(calendar).all(axis=1)
        summers = [p for p in recess[subset[code].holiday_region] if p[0].month == 7]
        assert len(summers) == 3
        for first, last in summers:
            days = range(AXIS.day_index(first), AXIS.day_index(last) + 1)
            assert sum(whole_days[d] for d in days) == 21, (code, first)
        assert whole_days.sum() == 3 * 21, code


def test_people_have_three_weeks_of_summer_leave_each_year(written, example) -> None:
    ids = [p.id for p in example.team + example.trainers]
    calendars = load_person_calendars(
        written / "calendars", AXIS, until=DEFAULT_END, person_ids=ids
    )
    assert set(calendars) == set(ids)
    for pid, calendar in calendars.items():
        all_day = set(calendar.all_day)
        for year in (2022, 2023, 2024):
            summer = {d for d in all_day if date(year, 7, 1) <= d <= date(year, 9, 1)}
            assert len(summer) >= 21, (pid, year)
        trainer = pid.startswith("R")
        extra = len({d for d in all_day if d.weekday() < 5}) - 3 * 15
        assert (extra > 40) if trainer else (5 < extra < 60), (pid, extra)


def test_ics_files_are_folded_small_and_valid_icalendar(written) -> None:
    paths = sorted((written / "calendars").rglob("*.ics"))
    for path in paths:
        data = path.read_bytes()
        assert len(data) < 60_000, path
        assert all(len(line) <= 75 for line in data.split(b"\r\n")), path
    for path in (paths[0], paths[-1]):  # an organisation, a person
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
        uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
        assert len(uids) == len(set(uids)), path


# --------------------------------------------------------------------------- requests CSV


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requests.csv"
    path.write_text(text, encoding="utf-8")
    return path


CODES = {"GM0014", "GM0034", "PV26"}


def test_requests_round_trip_through_csv(tmp_path: Path) -> None:
    requests = [
        Request("GM0014", session=True),
        Request("GM0034", True, True, date(2023, 9, 4), date(2023, 10, 27), Skill.GROUP_TRAINING),
        Request("PV26", False, True, date(2024, 2, 5), None, Skill.INDIVIDUAL_TRAINING),
    ]
    loaded = load_requests(write_requests(requests, tmp_path / "r.csv"), CODES)
    assert loaded == {r.code: r for r in requests}


def test_requests_read_semicolons_dutch_words_and_dates(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "code;session;training;training_from;training_to;training_skill\n"
        "gm0014;ja;nee;;;\n"
        "GM0034;nee;ja;04-09-2023;27-10-2023;\n",
    )
    loaded = load_requests(path, CODES)
    assert loaded["GM0014"] == Request("GM0014", session=True)
    assert loaded["GM0034"] == Request(
        "GM0034", False, True, date(2023, 9, 4), date(2023, 10, 27), Skill.GROUP_TRAINING
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("GM9999,yes,no,,,", "line 3: unknown organisation code 'GM9999'"),
        ("PV26,maybe,no,,,", "line 3: session must be yes or no, not 'maybe'"),
        ("PV26,yes,yes,2023-02-30,,", "line 3: training_from '2023-02-30' is not a date"),
        ("PV26,yes,yes,2023-05-01,2023-04-01,", "line 3: training_from 2023-05-01 is after"),
        ("PV26,yes,yes,,,session", "line 3: training_skill must be group_training or"),
        ("GM0014,no,no,,,", "line 3: organisation GM0014 already given on line 2"),
    ],
)
def test_bad_request_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    header = "code,session,training,training_from,training_to,training_skill\n"
    path = _csv(tmp_path, header + "GM0014,yes,no,,,\n" + row + "\n")
    with pytest.raises(DataError) as error:
        load_requests(path, CODES)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_missing_requests_file_says_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found; expected a CSV with the columns code,session"):
        load_requests(tmp_path / "nope.csv", CODES)


def test_requests_file_without_session_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"line 1: missing column\(s\) session"):
        load_requests(_csv(tmp_path, "code,training\nGM0014,yes\n"), CODES)


# --------------------------------------------------------------------------- command


@pytest.mark.slow
def test_example_command_twice_gives_identical_files_that_load_back(orgs, tmp_path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(app, ["example", "--out", str(tmp_path / name), "--seed", "3"])
        assert result.exit_code == 0, result.output
    assert "354 organisation calendars" in result.output
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    again = runner.invoke(app, ["example", "--out", str(tmp_path / "a")])
    assert again.exit_code != 0 and "--force" in str(again.exception)

    calendars = load_org_calendars(
        tmp_path / "a" / "calendars", AXIS, until=DEFAULT_END, known_codes=set(orgs)
    )
    assert set(calendars) == set(orgs)
    shares = [_office_busy_share(c) for c in calendars.values()]
    assert min(shares) >= 0.5 and max(shares) <= 0.7
    assert all(len({d.weekday() for d in c.council_days}) == 1 for c in calendars.values())
    requests = load_requests(tmp_path / "a" / "requests.csv", orgs)
    assert len(requests) == 354


def test_a_short_horizon_keeps_every_date_inside_it(subset, tmp_path: Path) -> None:
    start, end = date(2023, 1, 2), date(2023, 4, 30)
    example = generate_example(
        {c: subset[c] for c in ("GM0344", "PV30")}, seed=5, start=start, end=end
    )
    write_example(example, tmp_path)
    calendars = load_org_calendars(tmp_path / "calendars", TimeAxis(start), until=end)
    for calendar in calendars.values():
        assert calendar.council_days and all(start <= d <= end for d in calendar.council_days)
    for r in example.requests:
        if r.training:
            assert start <= r.training_from <= r.training_to <= end
