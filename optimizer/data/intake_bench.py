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
from optimizer.timeaxis import MINUTES_PER_DAY, TimeAxis, hhmm


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


def write_intake_instance(
    problem: Problem,
    path: Path,
    *,
    windows_per_org: int = 8,
    seed: int = 0,
    name: str | None = None,
) -> dict:
    """Write the intake stage of ``problem`` as an instance in the ``intake_k8.json`` format.

    Every team member becomes a person at their home base (location id ``base:<person id>``);
    every organisation with an intake visit becomes a client that keeps ``windows_per_org`` of
    its feasible intake windows. A window is one day's start range of the planner's own
    reading of the calendars (:func:`optimizer.solve.slots.start_ranges`: working days, office
    hours, the mayor's busy blocks, the deadline), as a date with the earliest and latest
    start (local time); only windows in which some team member can make the intake alone
    (from home at ``work_start``, home again by ``work_end``) are kept, unchanged. The
    windows are sampled with ``seed``, spread over the organisation's
    days: its windows in date order are cut into ``windows_per_org`` equal strata and one is
    drawn from each (all are kept when there are fewer). Organisations without a feasible
    window are left out (listed in ``omitted``). Travel minutes and metres are the problem's
    own matrix; the day is the team's working day (``work_start``-``work_end``). People's
    leave is not carried over (the format gives every person every working day).

    Returns the instance as written (a JSON-ready dict).
    """
    import random

    from optimizer.solve.slots import Calendar, start_ranges
    from optimizer.timeaxis import fmt_hhmm

    if windows_per_org < 1:
        raise ValueError(f"windows_per_org must be at least 1, not {windows_per_org}")
    rng = random.Random(f"intake-instance:{seed}")
    cal = Calendar.of(problem)
    team = sorted((p for p in problem.people.values() if p.role is Role.TEAM), key=lambda p: p.id)
    intakes = sorted(
        (v for v in problem.visits.values() if v.stage is Stage.INTAKE), key=lambda v: v.org
    )
    clients, omitted = [], []
    for visit in intakes:
        reach = _reachable_starts(problem, visit, team)
        windows = [
            (day, lo, hi)
            for day, ranges in sorted(start_ranges(problem, visit, cal).items())
            for lo, hi in ranges
            if any(
                lo - day * MINUTES_PER_DAY <= last and hi - day * MINUTES_PER_DAY >= first
                for first, last in reach
            )
        ]
        if not windows:
            omitted.append(visit.org)
            continue
        k = min(windows_per_org, len(windows))
        cuts = [round(i * len(windows) / k) for i in range(k + 1)]
        chosen = [windows[rng.randrange(cuts[i], cuts[i + 1])] for i in range(k)]
        clients.append(
            {
                "id": visit.org,
                "service_min": visit.duration_min,
                "windows": [
                    {
                        "date": cal.dates[day].isoformat(),
                        "earliest_start": fmt_hhmm(lo - day * MINUTES_PER_DAY),
                        "latest_start": fmt_hhmm(hi - day * MINUTES_PER_DAY),
                    }
                    for day, lo, hi in chosen
                ],
            }
        )
    bases = [
        {"id": base_id(p.id), "kind": "base", "lon": p.base.lon, "lat": p.base.lat} for p in team
    ]
    orgs = [problem.organisations[c["id"]].location for c in clients]
    locations = bases + [
        {"id": c["id"], "kind": "client", "lon": o.lon, "lat": o.lat}
        for c, o in zip(clients, orgs, strict=True)
    ]
    index = [problem.travel.index[loc["id"]] for loc in locations]
    rows = np.ix_(index, index)
    instance = {
        "name": name or f"{problem.name}-intake-k{windows_per_org}",
        "description": (
            f"Intake stage of {problem.name}: {len(clients)} organisations, {len(team)} team "
            f"members, each intake {windows_per_org} of its feasible windows (seed {seed}) "
            "from the planner's start ranges; travel from the problem's matrix "
            f"({problem.travel.model}). Written by optimizer.data.intake_bench."
        ),
        "day_start": fmt_hhmm(problem.rules.work_start),
        "day_end": fmt_hhmm(problem.rules.work_end),
        "locations": locations,
        "persons": [{"id": p.id, "base": base_id(p.id)} for p in team],
        "clients": clients,
        "duration_min": problem.travel.minutes[rows].astype(int).tolist(),
        "distance_m": problem.travel.metres[rows].astype(int).tolist(),
        "omitted": omitted,
        "seed": seed,
        "reference": {},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(instance), encoding="utf-8")
    return instance


def _reachable_starts(problem: Problem, visit: Visit, team: list[Person]) -> list[tuple[int, int]]:
    """Per team member who can make ``visit`` alone in a day (from home at ``work_start``,
    home again by ``work_end``), the earliest and latest start in minutes of the day."""
    rules, travel = problem.rules, problem.travel
    starts = []
    for person in team:
        there = travel.min(base_id(person.id), visit.org)
        back = travel.min(visit.org, base_id(person.id))
        first, last = rules.work_start + there, rules.work_end - back - visit.duration_min
        if first <= last:
            starts.append((first, last))
    return starts
