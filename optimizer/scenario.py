"""The scenario file (TOML), validated with pydantic.

A scenario ties together the horizon, the rules, the team, the trainers, and the paths of the
data (boundaries, calendars, requests, overrides). Relative paths are read relative to the
scenario file's folder. An unknown key or a wrong type is an error that names the key.

Example (``optimizer example`` writes a complete one)::

    [scenario]
    name = "example"
    start = 2022-07-01
    end = 2024-12-31

    [rules]
    deadline = 2024-12-31

    [data]
    calendars_dir = "calendars"
    requests_csv = "requests.csv"

    [[team]]
    id = "T1"
    name = "Anna de Vries"
    region = "noord"
    base = "GM0014"          # a municipality code (its visit location) ...

    [[trainers]]
    id = "R1"
    name = "..."
    base_lon = 5.12           # ... or explicit coordinates
    base_lat = 52.09
    base_name = "Utrecht"
    skills = ["session", "group_training"]
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from optimizer.domain import Rules, Skill
from optimizer.errors import ScenarioError
from optimizer.timeaxis import hhmm


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HorizonSection(_Strict):
    name: str = "scenario"
    start: date = date(2022, 7, 1)
    end: date = date(2024, 12, 31)
    seed: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> HorizonSection:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class DataSection(_Strict):
    """Paths; empty means the built-in default or the look-up order of the loaders."""

    boundaries_dir: str = ""
    """Folder with the CBS boundaries; else $OPTIMIZER_DATA_DIR; else data/boundaries."""
    year: int = 2023
    town_halls_csv: str = ""
    """Override of visit locations: ``code,lon,lat[,address]``."""
    holiday_regions_csv: str = ""
    """Override of holiday regions: ``code,region``."""
    school_holidays_csv: str = ""
    """Override of school holidays: ``region,holiday,first_day,last_day``."""
    ferries_csv: str = ""
    calendars_dir: str = "calendars"
    """Organisation calendars in ``orgs/<CODE>.ics`` (or a CSV ``code,start,end``), people's
    in ``people/<ID>.ics``."""
    requests_csv: str = "requests.csv"
    """Which organisations accepted a session or requested a training."""
    cache_dir: str = ""
    """Cache of the parsed calendar files; empty: ``<scenario folder>/.cache/calendars``."""
    store: str = "plans.sqlite"


class TravelSection(_Strict):
    model: Literal["crowfly", "roads"] = "crowfly"
    circuity: float = Field(1.3, gt=1.0, lt=3.0)
    graph: str = ""
    """Road graph (GraphML, GeoPackage or .osm) for the roads model."""
    cache_dir: str = ""


class RulesSection(_Strict):
    """Every rule of DESIGN.md §1; times as ``"HH:MM"``."""

    deadline: date = date(2024, 12, 31)
    intake_min: int = Field(90, gt=0)
    session_min: int = Field(150, gt=0)
    training_min: int = Field(180, gt=0)
    office_hours: tuple[str, str] = ("09:00", "17:00")
    afternoon: tuple[str, str] = ("13:30", "17:00")
    evening: tuple[str, str] = ("19:00", "22:30")
    session_lag_days: tuple[int, int] = (28, 182)
    training_lag_min_days: int = Field(14, ge=0)
    working_hours: tuple[str, str] = ("08:30", "17:30")
    max_visits_per_day: int = Field(3, ge=1)
    max_work_hours_per_day: float = Field(10, gt=0)
    max_evenings_per_week: int = Field(2, ge=0)
    max_sessions_per_week: int = Field(2, ge=0)

    def to_rules(self) -> Rules:
        return Rules(
            deadline=self.deadline,
            intake_min=self.intake_min,
            session_min=self.session_min,
            training_min=self.training_min,
            office_start=hhmm(self.office_hours[0]),
            office_end=hhmm(self.office_hours[1]),
            afternoon=(hhmm(self.afternoon[0]), hhmm(self.afternoon[1])),
            evening=(hhmm(self.evening[0]), hhmm(self.evening[1])),
            session_lag_min_days=self.session_lag_days[0],
            session_lag_max_days=self.session_lag_days[1],
            training_lag_min_days=self.training_lag_min_days,
            work_start=hhmm(self.working_hours[0]),
            work_end=hhmm(self.working_hours[1]),
            max_visits_per_day=self.max_visits_per_day,
            max_work_min_per_day=round(self.max_work_hours_per_day * 60),
            max_evenings_per_week=self.max_evenings_per_week,
            max_sessions_per_week=self.max_sessions_per_week,
        )


class PersonEntry(_Strict):
    """A team member or trainer; the base is a municipality code or explicit coordinates."""

    id: str = Field(min_length=1)
    name: str
    base: str = ""
    base_lon: float | None = None
    base_lat: float | None = None
    base_name: str = ""
    region: Literal["noord", "midden", "zuid"] | None = None
    provinces: list[str] = []
    skills: list[Skill] = []

    @model_validator(mode="after")
    def _has_base(self) -> PersonEntry:
        if not self.base and (self.base_lon is None or self.base_lat is None):
            raise ValueError(f"person {self.id!r} needs base (a code) or base_lon and base_lat")
        return self


class Scenario(_Strict):
    """The whole scenario file. ``folder`` is where relative paths start (not in the file)."""

    scenario: HorizonSection = HorizonSection()
    data: DataSection = DataSection()
    travel: TravelSection = TravelSection()
    rules: RulesSection = RulesSection()
    team: list[PersonEntry] = []
    trainers: list[PersonEntry] = []
    folder: Path = Field(default=Path("."), exclude=True)

    def path(self, value: str) -> Path | None:
        """A data path resolved against the scenario's folder; None if empty."""
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p


def _key_of(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top level)"


def parse_scenario(
    text: str, *, source: str = "<scenario>", folder: Path | None = None
) -> Scenario:
    """Parse and validate scenario TOML; errors name the file and the offending key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from exc
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_key_of(e)}: {e['msg']}" for e in exc.errors())
        raise ScenarioError(f"{source}: {problems}") from exc
    ids = [p.id for p in scenario.team + scenario.trainers]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError(f"{source}: person ids used twice: {', '.join(duplicates)}")
    return scenario.model_copy(update={"folder": folder or Path(".")})


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file: {exc.strerror}") from exc
    return parse_scenario(text, source=str(path), folder=path.parent)
