"""The parsed-calendar cache: a cached load equals a fresh one on the example calendars, only
changed files are parsed again, a corrupt entry is rebuilt, errors in a calendar file are raised
as without the cache, and an entry is not reused for another axis or ``until``."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from optimizer.data import calendars
from optimizer.data.calendars import (
    NO_CACHE_ENV,
    load_org_calendars,
    load_person_calendars,
    read_calendar_file,
)
from optimizer.data.example import DEFAULT_END, DEFAULT_START, generate_example, write_example
from optimizer.data.organisations import load_organisations
from optimizer.data.problem import build_problem
from optimizer.errors import CalendarError
from optimizer.timeaxis import TimeAxis

# Organisations of every holiday region and both kinds (as tests/test_example.py).
SUBSET = ("GM0014", "GM0344", "GM0772", "PV26")
AXIS = TimeAxis(DEFAULT_START)
UNTIL = DEFAULT_END

EXTRA_EVENT = (
    "BEGIN:VEVENT\r\nUID:extra@test\r\nDTSTAMP:20220701T000000Z\r\n"
    "DTSTART;TZID=Europe/Amsterdam:20230307T060000\r\n"
    "DTEND;TZID=Europe/Amsterdam:20230307T070000\r\nEND:VEVENT\r\n"
)


@pytest.fixture(scope="module")
def example_dir(shared_data: Path, tmp_path_factory) -> Path:
    """The seeded example scenario (seed 7) for a few real organisations (read-only)."""
    orgs = load_organisations()
    out = tmp_path_factory.mktemp("example")
    write_example(generate_example({c: orgs[c] for c in SUBSET}, seed=7), out)
    return out


@pytest.fixture
def scenario_dir(example_dir: Path, tmp_path: Path) -> Path:
    """A copy of the example scenario this test may change."""
    out = tmp_path / "scenario"
    shutil.copytree(example_dir, out, ignore=shutil.ignore_patterns(".cache"))
    return out


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the calendar files actually parsed (not taken from the cache)."""
    parsed: list[str] = []
    parse = calendars._parse_calendar_file

    def counting(path: Path, *args, **kwargs):
        parsed.append(path.name)
        return parse(path, *args, **kwargs)

    monkeypatch.setattr(calendars, "_parse_calendar_file", counting)
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    return parsed


def _load(folder: Path, cache: Path | None, *, axis: TimeAxis = AXIS, until: date = UNTIL):
    """Organisation and person calendars of a scenario folder, and each org file's own
    IcsCalendar (with all-day dates and sources, which OrgCalendar drops)."""
    cals = folder / "calendars"
    files = {
        p.name: read_calendar_file(
            p, axis, until=until, known=set(SUBSET), what="organisation", cache_dir=cache
        )
        for p in calendars.calendar_files(cals / "orgs")
    }
    orgs = load_org_calendars(cals, axis, until=until, known_codes=set(SUBSET), cache_dir=cache)
    people = load_person_calendars(cals, axis, until=until, cache_dir=cache)
    return orgs, people, files


def _file_count(folder: Path) -> int:
    return sum(len(calendars.calendar_files(folder / "calendars" / s)) for s in ("orgs", "people"))


def _append_event(path: Path) -> None:
    text = path.read_bytes().decode()
    path.write_bytes(text.replace("END:VCALENDAR", EXTRA_EVENT + "END:VCALENDAR").encode())


def test_cached_load_equals_uncached_load_on_the_example_calendars(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    fresh = _load(scenario_dir, None)
    cache = tmp_path / "cache"
    cold = _load(scenario_dir, cache)
    parses.clear()
    warm = _load(scenario_dir, cache)
    assert parses == []
    assert cold == fresh and warm == fresh
    assert len(fresh[0]) == len(SUBSET) and len(fresh[1]) == 13
    assert sum(len(c.busy) for c in warm[0].values()) > 1000


def test_changing_one_file_parses_only_that_file_again(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    cache = tmp_path / "cache"
    before, *_ = _load(scenario_dir, cache)
    minute = AXIS.at(date(2023, 3, 7), 6 * 60)
    assert not any(s <= minute < e for s, e in before["GM0344"].busy)
    orgs_dir = scenario_dir / "calendars" / "orgs"
    _append_event(orgs_dir / "GM0344.ics")
    touched = orgs_dir / "GM0772.ics"  # same bytes, new mtime: still the same calendar
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    parses.clear()
    orgs, *_ = _load(scenario_dir, cache)
    assert parses == ["GM0344.ics"]
    assert orgs == _load(scenario_dir, None)[0]
    assert any(s <= minute < e for s, e in orgs["GM0344"].busy)


def test_corrupt_or_foreign_cache_entries_are_ignored_and_rebuilt(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    cache = tmp_path / "cache"
    fresh = _load(scenario_dir, None)
    _load(scenario_dir, cache)
    entries = sorted(cache.glob("*.pickle"))
    assert len(entries) == _file_count(scenario_dir)
    corruptions = [
        b"",
        b"not a pickle at all",
        entries[0].read_bytes()[:100],  # truncated
        pickle.dumps(["a", "list"]),
        pickle.dumps({"identity": "something else", "digest": b"", "calendars": {}}),
    ]
    for i, entry in enumerate(entries):
        entry.write_bytes(corruptions[i % len(corruptions)])
    parses.clear()
    assert _load(scenario_dir, cache) == fresh
    assert len(set(parses)) == len(entries)
    parses.clear()
    assert _load(scenario_dir, cache) == fresh
    assert parses == []  # rebuilt


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (
            "GM0014.ics",
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis is not a calendar\r\nEND:VCALENDAR\r\n",
            "Content line could not be parsed",
        ),
        (
            "extra.csv",
            b"code,start,end\nGM0014,2023-06-01 09:00,2023-06-01 10:00\nGM0014,2023-06-31 09:00,x",
            "extra.csv, line 3: start '2023-06-31 09:00'",
        ),
    ],
    ids=["ics", "csv"],
)
def test_a_malformed_file_raises_its_error_even_with_a_cache(
    scenario_dir: Path, tmp_path: Path, parses: list[str], name: str, content: bytes, problem: str
):
    cache = tmp_path / "cache"
    cals = scenario_dir / "calendars"
    path = cals / "orgs" / name
    if not path.exists():
        path.write_text("code,start,end\nGM0014,2023-06-01 09:00,2023-06-01 10:00\n")
    load_org_calendars(cals, AXIS, until=UNTIL, known_codes=set(SUBSET), cache_dir=cache)
    assert len(list(cache.glob(f"{path.stem}-*.pickle"))) == 1  # a valid entry exists
    path.write_bytes(content)
    with pytest.raises(CalendarError) as uncached:
        load_org_calendars(cals, AXIS, until=UNTIL, known_codes=set(SUBSET))
    for _ in range(2):  # never cached: raised every time
        with pytest.raises(CalendarError) as cached:
            load_org_calendars(cals, AXIS, until=UNTIL, known_codes=set(SUBSET), cache_dir=cache)
        assert str(cached.value) == str(uncached.value)
        assert str(path) in str(cached.value) and problem in str(cached.value)


def test_a_cached_csv_is_checked_against_the_known_codes(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    cache = tmp_path / "cache"
    cals = scenario_dir / "calendars"
    (cals / "orgs" / "extra.csv").write_text(
        "code,start,end\nGM0014,2023-06-01 09:00,2023-06-01 10:00\n"
        "PV26,2023-06-02 09:00,2023-06-02 10:00\n"
    )
    load_org_calendars(cals, AXIS, until=UNTIL, known_codes=set(SUBSET), cache_dir=cache)
    parses.clear()
    load_org_calendars(cals, AXIS, until=UNTIL, known_codes=set(SUBSET), cache_dir=cache)
    assert parses == []
    known = set(SUBSET) - {"PV26"}
    (cals / "orgs" / "PV26.ics").unlink()
    with pytest.raises(CalendarError, match=r"extra\.csv, line 3: unknown code 'PV26'"):
        load_org_calendars(cals, AXIS, until=UNTIL, known_codes=known, cache_dir=cache)


@pytest.mark.parametrize(
    ("axis", "until"),
    [
        (AXIS, UNTIL - timedelta(days=200)),
        (TimeAxis(DEFAULT_START + timedelta(days=1)), UNTIL),
    ],
    ids=["until", "axis"],
)
def test_another_axis_or_until_does_not_reuse_the_entry(
    scenario_dir: Path, tmp_path: Path, parses: list[str], axis: TimeAxis, until: date
):
    cache = tmp_path / "cache"
    _load(scenario_dir, cache)
    parses.clear()
    other = _load(scenario_dir, cache, axis=axis, until=until)
    assert len(parses) == len(SUBSET) + 13  # every file parsed again (once)
    assert other == _load(scenario_dir, None, axis=axis, until=until)
    assert other != _load(scenario_dir, None)


def test_build_problem_caches_under_the_scenario_folder_unless_switched_off(
    scenario_dir: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
):
    fresh = build_problem(scenario_dir / "scenario.toml")
    cache = scenario_dir / ".cache" / "calendars"
    assert len(list(cache.glob("*.pickle"))) == _file_count(scenario_dir)
    parses.clear()
    warm = build_problem(scenario_dir / "scenario.toml")
    assert parses == []
    for f in dataclasses.fields(fresh):
        if f.name != "travel":  # numpy arrays, rebuilt from the travel cache
            assert getattr(warm, f.name) == getattr(fresh, f.name), f.name
    shutil.rmtree(cache)
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    build_problem(scenario_dir / "scenario.toml")
    assert len(parses) == _file_count(scenario_dir) and not cache.exists()


def test_an_unwritable_cache_folder_only_means_no_cache(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    assert _load(scenario_dir, blocker) == _load(scenario_dir, None)


def test_a_cached_calendar_names_its_file_as_given_this_time(
    scenario_dir: Path, tmp_path: Path, parses: list[str]
):
    cache = tmp_path / "cache"
    load_person_calendars(scenario_dir / "calendars", AXIS, until=UNTIL, cache_dir=cache)
    parses.clear()
    via = scenario_dir / "calendars" / "people" / ".."  # the same files, spelt differently
    people = load_person_calendars(via, AXIS, until=UNTIL, cache_dir=cache)
    assert parses == []
    assert people["T1"].sources == (via / "people" / "T1.ics",)
