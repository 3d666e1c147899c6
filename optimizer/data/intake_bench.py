"""Read an intake-stage reference instance (the ``intake_k8.json`` format) into a Problem.

The format (see the file's own ``description``): ``locations`` (bases first, then clients, each
with id, kind, lon, lat), ``persons`` (id, base), ``clients`` (id, service_min, windows of
``{date, earliest_start, latest_start}``), ``duration_min`` and ``distance_m`` matrices indexed
like ``locations``, ``day_start``/``day_end`` of the people's working day, and ``reference``
(best-known travel minutes). Every person works every Dutch working day of the windows' years.

The instance becomes an ordinary :class:`~optimizer.domain.Problem` with intake visits only, so
the planner's own code path solves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from optimizer.data.calendars import public_holidays
from optimizer.domain import (
    Kind,
    Organisation,
    OrgCalendar,
    Person,
    Point,
    Problem,
    Role,
    Rules,
    Stage,
    TravelMatrix,
    Visit,
    base_id,
)
from optimizer.errors import DataError
from optimizer.timeaxis import TimeAxis, hhmm


@dataclass(frozen=True)
class IntakeBenchmark:
    problem: Problem
    best_known: float | None
    lower_bound: float | None
    name: str


def _monday_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def read_intake_benchmark(path: Path) -> IntakeBenchmark:
    """Parse the file; errors name the file and the missing or malformed field."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read the intake instance: {exc}") from exc
    try:
        return _build(raw, Path(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: malformed intake instance: {exc!r}") from exc


def _build(raw: dict, path: Path) -> IntakeBenchmark:
    locations = raw["locations"]
    n_bases = sum(1 for loc in locations if loc["kind"] == "base")
    dates = [date.fromisoformat(w["date"]) for c in raw["clients"] for w in c["windows"]]
    start, end = _monday_before(min(dates)), date(max(dates).year, 12, 31)
    axis = TimeAxis(start)
    rules = Rules(
        deadline=end,
        work_start=hhmm(raw.get("day_start", "08:30")),
        work_end=hhmm(raw.get("day_end", "17:30")),
        office_start=hhmm(raw.get("day_start", "08:30")),
        office_end=hhmm(raw.get("day_end", "17:30")),
    )
    ids: list[str] = []
    base_of = {p["base"]: p["id"] for p in raw["persons"]}
    people: dict[str, Person] = {}
    for k, loc in enumerate(locations):
        if k < n_bases:
            pid = base_of[loc["id"]]
            people[pid] = Person(pid, pid, Role.TEAM, Point(loc["lon"], loc["lat"]), loc["id"])
            ids.append(base_id(pid))
        else:
            ids.append(loc["id"])
    organisations: dict[str, Organisation] = {}
    for loc in locations[n_bases:]:
        kind = Kind.PROVINCIE if loc["id"].startswith("PV") else Kind.GEMEENTE
        organisations[loc["id"]] = Organisation(
            loc["id"], loc["id"], kind, "", "", Point(loc["lon"], loc["lat"]), "midden"
        )
    visits: dict[str, Visit] = {}
    calendars: dict[str, OrgCalendar] = {}
    for client in raw["clients"]:
        duration = int(client["service_min"])
        visit = Visit(
            Visit.make_id(client["id"], Stage.INTAKE), client["id"], Stage.INTAKE, duration
        )
        visits[visit.id] = visit
        windows = tuple(
            sorted(
                (
                    axis.at(date.fromisoformat(w["date"]), hhmm(w["earliest_start"])),
                    axis.at(date.fromisoformat(w["date"]), hhmm(w["latest_start"])) + duration,
                )
                for w in client["windows"]
            )
        )
        calendars[client["id"]] = OrgCalendar(available=windows)
    travel = TravelMatrix(
        tuple(ids),
        np.asarray(raw["duration_min"], dtype=np.int64),
        np.asarray(raw["distance_m"], dtype=np.int64),
        model="given",
    )
    problem = Problem(
        name=raw.get("name", path.stem),
        axis=axis,
        horizon_end=end,
        rules=rules,
        organisations=organisations,
        people=people,
        visits=visits,
        org_calendars=calendars,
        public_holidays=public_holidays(start, end),
        recess={},
        travel=travel,
    )
    ref = raw.get("reference", {})
    return IntakeBenchmark(
        problem, ref.get("best_known_travel_min"), ref.get("lower_bound_travel_min"), problem.name
    )
