"""Scenario -> Problem: the one place where every loader is wired together.

Reads the organisations (boundaries + overrides), the people (scenario + their calendars),
the organisations' calendars, the requests (sessions accepted, trainings requested), the
holidays and recesses, and the travel matrix; returns a pure :class:`~optimizer.domain.Problem`.
Every organisation gets an intake (required); a session where it accepted one (required,
deadline-bound); a training where it requested one (required, inside its requested window).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from optimizer.data.calendars import (
    apply_person_calendar,
    council_recess,
    load_org_calendars,
    load_person_calendars,
    public_holidays,
)
from optimizer.data.organisations import load_organisations
from optimizer.data.requests import Request, load_requests
from optimizer.domain import (
    Organisation,
    Person,
    Point,
    Problem,
    Role,
    Rules,
    Skill,
    Stage,
    Visit,
)
from optimizer.errors import ScenarioError
from optimizer.scenario import PersonEntry, Scenario, load_scenario
from optimizer.timeaxis import TimeAxis


def build_problem(scenario: Scenario | Path | str) -> Problem:
    """Load everything ``scenario`` points at into a Problem (see the module docstring)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    orgs = load_organisations(scenario)
    axis = TimeAxis(scenario.scenario.start)
    end = scenario.scenario.end
    rules = scenario.rules.to_rules()
    calendars_dir = scenario.path(scenario.data.calendars_dir)
    people = build_people(scenario, orgs)
    if calendars_dir is not None and calendars_dir.is_dir():
        cache = calendar_cache_dir(scenario)
        person_cals = load_person_calendars(
            calendars_dir, axis, until=end, person_ids=people, cache_dir=cache
        )
        people = {
            pid: apply_person_calendar(p, person_cals[pid]) if pid in person_cals else p
            for pid, p in people.items()
        }
        org_cals = load_org_calendars(
            calendars_dir, axis, until=end, known_codes=orgs, cache_dir=cache
        )
    else:
        org_cals = {}
    requests_path = scenario.path(scenario.data.requests_csv)
    requests = (
        load_requests(requests_path, orgs) if requests_path and requests_path.exists() else {}
    )
    return Problem(
        name=scenario.scenario.name,
        axis=axis,
        horizon_end=end,
        rules=rules,
        organisations=orgs,
        people=people,
        visits=build_visits(orgs, requests, rules),
        org_calendars=org_cals,
        public_holidays=public_holidays(axis.origin, end),
        recess=council_recess(
            axis.origin, end, override_csv=scenario.path(scenario.data.school_holidays_csv)
        ),
        travel=build_travel(scenario, orgs, people),
    )


def calendar_cache_dir(scenario: Scenario) -> Path:
    """Where the parsed calendar files are cached: ``[data] cache_dir``, else
    ``<scenario folder>/.cache/calendars``."""
    return scenario.path(scenario.data.cache_dir) or scenario.folder / ".cache" / "calendars"


def _base(entry: PersonEntry, orgs: Mapping[str, Organisation]) -> tuple[Point, str]:
    if entry.base:
        if entry.base not in orgs:
            raise ScenarioError(
                f"person {entry.id!r}: base {entry.base!r} is not a known municipality code"
            )
        org = orgs[entry.base]
        return org.location, entry.base_name or org.name
    return Point(float(entry.base_lon), float(entry.base_lat)), entry.base_name or entry.id


def build_people(scenario: Scenario, orgs: Mapping[str, Organisation]) -> dict[str, Person]:
    """Team members and trainers of the scenario with their home bases (no calendars yet)."""
    people: dict[str, Person] = {}
    for role, entries in ((Role.TEAM, scenario.team), (Role.TRAINER, scenario.trainers)):
        for entry in entries:
            point, name = _base(entry, orgs)
            skills = frozenset(entry.skills) if role is Role.TRAINER else frozenset()
            people[entry.id] = Person(
                entry.id,
                entry.name,
                role,
                point,
                name,
                region=entry.region,
                skills=skills,
                provinces=frozenset(entry.provinces),
            )
    return people


def build_visits(
    orgs: Mapping[str, Organisation], requests: Mapping[str, Request], rules: Rules
) -> dict[str, Visit]:
    """An intake per organisation, a session where accepted, a training where requested."""
    visits: dict[str, Visit] = {}
    for code in orgs:
        intake = Visit(Visit.make_id(code, Stage.INTAKE), code, Stage.INTAKE, rules.intake_min)
        visits[intake.id] = intake
        request = requests.get(code)
        if request is None:
            continue
        if request.session:
            vid = Visit.make_id(code, Stage.SESSION)
            visits[vid] = Visit(vid, code, Stage.SESSION, rules.session_min)
        if request.training:
            vid = Visit.make_id(code, Stage.TRAINING)
            visits[vid] = Visit(
                vid,
                code,
                Stage.TRAINING,
                rules.training_min,
                earliest=request.training_from,
                latest=request.training_to,
                skill=request.training_skill or Skill.GROUP_TRAINING,
            )
    return visits


def build_travel(
    scenario: Scenario, orgs: Mapping[str, Organisation], people: Mapping[str, Person]
):
    """The travel matrix over every organisation and every home base (cached on disk).

    A home base given as an island's municipality code inherits that island's ferry."""
    from optimizer.travel.matrix import build_travel_matrix, travel_locations
    from optimizer.travel.settings import TravelSettings

    codes = {e.id: e.base for e in [*scenario.team, *scenario.trainers] if e.base}
    bases = {pid: codes.get(pid) or p.base for pid, p in people.items()}
    locations, ferries = travel_locations(orgs, bases)
    cache = scenario.path(scenario.travel.cache_dir) or scenario.folder / ".cache" / "travel"
    return build_travel_matrix(
        locations,
        ferries=ferries,
        model=scenario.travel.model,
        settings=TravelSettings.from_scenario(scenario),
        cache_dir=cache,
    )
