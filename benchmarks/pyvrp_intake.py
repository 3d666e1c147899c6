"""PyVRP as the peer on the intake reference instance (``shared/data/bench/intake_k8.json``).

The intake stage as a multi-depot VRPTW with alternative time windows, on one absolute time
axis in minutes since 2023-01-02 00:00 (Europe/Amsterdam wall clock):

- one location per entry of the instance's ``locations`` (5 home bases, then 354 clients), with
  the instance's travel-minute matrix as both PyVRP's distance (the objective) and duration;
- one depot per home base;
- one vehicle type per person and working day (Mon-Fri, not a Dutch public holiday,
  2023-01-02..2024-12-31): start and end at the person's base, shift 08:30-17:30 that day;
- per client, its 8 windows as 8 optional client copies (90 minutes of service, start of
  service inside the window) in one required, mutually exclusive ``ClientGroup``.

Run: ``python -m benchmarks.pyvrp_intake ../shared/data/bench/intake_k8.json --time-limit 60``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import holidays
import numpy as np

from optimizer.errors import DataError

EPOCH = dt.date(2023, 1, 2)
"""Day 0 of the time axis (minute 0 is 00:00 local time that day)."""

LAST_DAY = dt.date(2024, 12, 31)
MINUTES_PER_DAY = 24 * 60


def _minutes(hhmm: str) -> int:
    """``"08:30"`` -> 510 minutes after midnight."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def working_days(first: dt.date = EPOCH, last: dt.date = LAST_DAY) -> list[dt.date]:
    """Monday-Friday dates from ``first`` to ``last`` that are no Dutch public holiday."""
    nl = holidays.country_holidays("NL", years=range(first.year, last.year + 1))
    days = (first + dt.timedelta(k) for k in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in nl]


def _axis(day: dt.date, hhmm: str, epoch: dt.date = EPOCH) -> int:
    """Minutes since ``epoch`` (default :data:`EPOCH`) 00:00 of ``hhmm`` on ``day``."""
    return (day - epoch).days * MINUTES_PER_DAY + _minutes(hhmm)


def horizon(inst: dict) -> tuple[dt.date, dt.date]:
    """First and last day of the shifts: :data:`EPOCH`..:data:`LAST_DAY`, widened to the
    Monday before the first window and the 31 December of the last window's year when the
    instance's windows lie outside them (an instance derived from another horizon)."""
    dates = [dt.date.fromisoformat(w["date"]) for c in inst["clients"] for w in c["windows"]]
    if not dates:
        return EPOCH, LAST_DAY
    first = min(dates) - dt.timedelta(days=min(dates).weekday())
    return min(EPOCH, first), max(LAST_DAY, dt.date(max(dates).year, 12, 31))


@dataclass(frozen=True)
class IntakeModel:
    """The PyVRP data plus what maps its indices back to the instance."""

    data: object  # pyvrp.ProblemData
    copies: list[tuple[int, int]]  # client copy -> (client index, window index)
    shifts: list[tuple[int, dt.date]]  # vehicle type -> (person index, day)


def load_instance(path: str | Path) -> dict:
    """The intake instance JSON as a dict; a :class:`DataError` naming the file if unusable."""
    path = Path(path)
    try:
        inst = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read intake instance ({exc})") from exc
    for key in ("locations", "persons", "clients", "duration_min", "day_start", "day_end"):
        if key not in inst:
            raise DataError(f"{path}: intake instance has no {key!r} field")
    return inst


def build_model(inst: dict) -> IntakeModel:
    """PyVRP ``ProblemData`` built directly (no ``Model``/``add_edge``) from the instance."""
    import pyvrp

    ids = [loc["id"] for loc in inst["locations"]]
    kinds = [loc["kind"] for loc in inst["locations"]]
    n_bases = kinds.count("base")
    if kinds[:n_bases] != ["base"] * n_bases:
        raise DataError("intake instance: the bases must come first in 'locations'")
    duration = np.asarray(inst["duration_min"], dtype=np.int64)
    locations = [
        pyvrp.Location(x=loc["lon"], y=loc["lat"], name=f"{loc['kind']}:{loc['id']}")
        for loc in inst["locations"]
    ]
    base_of = {ids[i]: i for i in range(n_bases)}
    epoch, last_day = horizon(inst)
    depots = [pyvrp.Depot(location=i, name=ids[i]) for i in range(n_bases)]

    clients, copies, groups = [], [], []
    for k, client in enumerate(inst["clients"]):
        location = n_bases + k
        if ids[location] != client["id"]:
            raise DataError(
                f"intake instance: client {k} {client['id']} is not location {location}"
            )
        members = []
        for w, window in enumerate(client["windows"]):
            day = dt.date.fromisoformat(window["date"])
            members.append(len(clients))
            copies.append((k, w))
            clients.append(
                pyvrp.Client(
                    location=location,
                    service_duration=int(client["service_min"]),
                    tw_early=_axis(day, window["earliest_start"], epoch),
                    tw_late=_axis(day, window["latest_start"], epoch),
                    required=False,
                    group=k,
                    name=f"{client['id']}#{w}",
                )
            )
        groups.append(pyvrp.ClientGroup(members, required=True, name=client["id"]))

    vehicle_types, shifts = [], []
    for p, person in enumerate(inst["persons"]):
        for day in working_days(epoch, last_day):
            shifts.append((p, day))
            vehicle_types.append(
                pyvrp.VehicleType(
                    num_available=1,
                    start_depot=base_of[person["base"]],
                    end_depot=base_of[person["base"]],
                    tw_early=_axis(day, inst["day_start"], epoch),
                    tw_late=_axis(day, inst["day_end"], epoch),
                    name=f"{person['id']}@{day.isoformat()}",
                )
            )
    data = pyvrp.ProblemData(
        locations, clients, depots, vehicle_types, [duration], [duration], groups
    )
    return IntakeModel(data, copies, shifts)


def _clock(minute: int) -> str:
    return f"{minute % MINUTES_PER_DAY // 60:02d}:{minute % 60:02d}"


def check_plan(inst: dict, routes: list[dict]) -> tuple[int, list[str]]:
    """Total travel minutes of ``routes`` and every broken rule (empty list when feasible).

    Each route is ``{"person", "date", "clients": [(client index, window index), ...]}``; the
    check simulates the earliest schedule: leave the base at day start, wait for a window to
    open, 90 minutes of service, back home by day end; every client exactly once.
    """
    duration = np.asarray(inst["duration_min"])
    n_bases = [loc["kind"] for loc in inst["locations"]].count("base")
    base_index = {inst["locations"][i]["id"]: i for i in range(n_bases)}
    problems: list[str] = []
    served = [k for route in routes for k, _ in route["clients"]]
    missing = sorted(set(range(len(inst["clients"]))) - set(served))
    if missing:
        problems.append(f"{len(missing)} clients not visited, e.g. {missing[:5]}")
    if len(served) != len(set(served)):
        problems.append("a client is visited twice")
    total = 0
    for route in routes:
        day = dt.date.fromisoformat(route["date"])
        here = base_index[inst["persons"][route["person"]]["base"]]
        t = _axis(day, inst["day_start"])
        for k, w in route["clients"]:
            client, window = inst["clients"][k], inst["clients"][k]["windows"][w]
            if window["date"] != route["date"]:
                problems.append(f"{client['id']}: window {w} is on {window['date']}")
            total += int(duration[here, n_bases + k])
            t = max(t + int(duration[here, n_bases + k]), _axis(day, window["earliest_start"]))
            if t > _axis(day, window["latest_start"]):
                problems.append(f"{client['id']} on {route['date']} starts late at {_clock(t)}")
            t += int(client["service_min"])
            here = n_bases + k
        home = base_index[inst["persons"][route["person"]]["base"]]
        total += int(duration[here, home])
        if t + int(duration[here, home]) > _axis(day, inst["day_end"]):
            problems.append(f"person {route['person']} home late on {route['date']}")
    return total, problems


def run_pyvrp_intake(path: str | Path, time_limit: float = 60.0, seed: int = 0) -> dict:
    """Solve the intake instance with PyVRP for ``time_limit`` seconds; a JSON-ready summary.

    Travel is in minutes; ``gap_pct`` is against the instance's reference best; ``wall_s``
    includes building the model (``build_s``) and solving (``solve_s``).
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    inst = load_instance(path)
    t0 = time.perf_counter()
    model = build_model(inst)
    t1 = time.perf_counter()
    result = pyvrp.solve(
        model.data, stop=MaxRuntime(time_limit), seed=seed, collect_stats=False, display=False
    )
    t2 = time.perf_counter()

    routes = []
    for route in result.best.routes():
        person, day = model.shifts[route.vehicle_type()]
        visits = [model.copies[a.idx] for a in route.schedule() if a.is_client()]
        routes.append({"person": person, "date": day.isoformat(), "clients": visits})
    routes.sort(key=lambda r: (r["date"], r["person"]))
    travel, problems = check_plan(inst, routes)
    reference = inst.get("reference", {}).get("best_known_travel_min")
    return {
        "instance": inst.get("name", Path(path).stem),
        "solver": f"pyvrp {version('pyvrp')}",
        "time_limit_s": time_limit,
        "seed": seed,
        "travel_min": travel,
        "pyvrp_cost": int(result.cost()) if result.is_feasible() else None,
        "feasible": result.is_feasible() and not problems,
        "problems": problems[:10],
        "clients_visited": sum(len(r["clients"]) for r in routes),
        "person_days": len(routes),
        "reference_best": reference,
        "gap_pct": round(100 * (travel - reference) / reference, 2) if reference else None,
        "iterations": result.num_iterations,
        "build_s": round(t1 - t0, 2),
        "solve_s": round(t2 - t1, 2),
        "wall_s": round(t2 - t0, 2),
        "routes": [
            {
                "person": inst["persons"][r["person"]]["id"],
                "date": r["date"],
                "clients": [inst["clients"][k]["id"] for k, _ in r["clients"]],
            }
            for r in routes
        ],
    }


def _merge(out: Path, row: dict) -> None:
    """Add ``row`` to the ``runs`` of ``out``, replacing a run with the same limit and seed."""
    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    key = (row["time_limit_s"], row["seed"])
    runs = [r for r in runs if (r["time_limit_s"], r["seed"]) != key] + [row]
    runs.sort(key=lambda r: (r["time_limit_s"], r["seed"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Command line: run PyVRP on the intake instance, print the summary, merge it into JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="intake instance JSON (intake_k8.json)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/pyvrp_intake.json"))
    args = parser.parse_args(argv)
    row = run_pyvrp_intake(args.path, args.time_limit, args.seed)
    print(json.dumps({k: v for k, v in row.items() if k != "routes"}, indent=1))
    _merge(args.out, row)


if __name__ == "__main__":
    main()
