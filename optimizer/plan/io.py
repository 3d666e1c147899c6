"""A plan as a folder of files, written atomically and read back exactly.

Files of a plan folder:

- ``appointments.parquet`` / ``.csv``: one row per appointment: ``visit_id, org, org_name,
  stage, people`` (``"T1;R3"``), ``date``, ``start``/``end`` (local Europe/Amsterdam
  datetimes; ISO strings with offset in the CSV), ``start_min``/``end_min`` (axis minutes),
  ``status``, ``lon``/``lat`` (WGS84 degrees of the visit location);
- ``routes.parquet`` / ``.csv``: one row per leg: ``person, date, seq`` (0 = leaving home),
  ``origin, destination`` (organisation codes or ``base:<person>``), ``visit_id`` (the visit
  the leg drives to, empty for the drive home), ``depart``/``arrive`` (local datetimes),
  ``depart_min``/``arrive_min`` (axis minutes), ``minutes``, ``metres``;
- ``unplanned.csv``: ``visit_id, org, stage, reason``;
- ``summary.json``: solver statistics (with the gap), the KPIs, the scenario path, the time
  axis origin and the creation time.

The Parquet files are what :func:`read_plan` reads; the CSV files hold the same rows for
spreadsheets. :func:`write_plan` writes into a temporary folder beside the target and renames
it into place only when complete, so a reader never sees a half-written plan.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from optimizer.domain import (
    Appointment,
    DayRoute,
    Leg,
    Plan,
    Problem,
    SolveStats,
    Stage,
    Status,
    Unplanned,
)
from optimizer.errors import DataError
from optimizer.plan.kpi import compute_kpis, kpis_to_dict
from optimizer.timeaxis import TimeAxis

FORMAT = "optimizer-plan"
FORMAT_VERSION = 1
PEOPLE_SEPARATOR = ";"

_LOCAL = pa.timestamp("s", tz="Europe/Amsterdam")

APPOINTMENT_SCHEMA = pa.schema(
    [
        ("visit_id", pa.string()),
        ("org", pa.string()),
        ("org_name", pa.string()),
        ("stage", pa.string()),
        ("people", pa.string()),
        ("date", pa.date32()),
        ("start", _LOCAL),
        ("end", _LOCAL),
        ("start_min", pa.int64()),
        ("end_min", pa.int64()),
        ("status", pa.string()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
    ]
)

ROUTE_SCHEMA = pa.schema(
    [
        ("person", pa.string()),
        ("date", pa.date32()),
        ("seq", pa.int64()),
        ("origin", pa.string()),
        ("destination", pa.string()),
        ("visit_id", pa.string()),
        ("depart", _LOCAL),
        ("arrive", _LOCAL),
        ("depart_min", pa.int64()),
        ("arrive_min", pa.int64()),
        ("minutes", pa.int64()),
        ("metres", pa.int64()),
    ]
)

UNPLANNED_COLUMNS = ["visit_id", "org", "stage", "reason"]


# --------------------------------------------------------------------------------------------
# Writing


def write_plan(
    plan: Plan, folder: Path, *, problem: Problem, scenario_path: Path | None = None
) -> None:
    """Write ``plan`` to ``folder`` atomically (see the module docstring for the files).

    An existing ``folder`` is replaced only once the new plan is complete, and only if it is a
    plan folder (has ``summary.json``) or empty: anything else raises :class:`DataError`.
    """
    folder = Path(folder)
    _check_replaceable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.new-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        _write_files(plan, tmp, problem=problem, scenario_path=scenario_path)
        _replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_replaceable(folder: Path) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise DataError(f"{folder}: exists and is not a folder; will not replace it with a plan")
    if not (folder / "summary.json").is_file() and any(folder.iterdir()):
        raise DataError(
            f"{folder}: exists and is not a plan folder (no summary.json); "
            "will not replace it with a plan"
        )


def _replace(new: Path, folder: Path) -> None:
    """Move the complete ``new`` folder to ``folder``; the old one goes only after that."""
    if not folder.exists():
        os.replace(new, folder)
        return
    old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(folder, old)
    try:
        os.replace(new, folder)
    except BaseException:
        os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_files(plan: Plan, folder: Path, *, problem: Problem, scenario_path: Path | None) -> None:
    appointments = _appointment_rows(plan, problem)
    routes = _route_rows(plan, problem.axis)
    _write_table(appointments, APPOINTMENT_SCHEMA, folder / "appointments")
    _write_table(routes, ROUTE_SCHEMA, folder / "routes")
    unplanned = pd.DataFrame(_unplanned_rows(plan, problem), columns=UNPLANNED_COLUMNS)
    unplanned.to_csv(folder / "unplanned.csv", index=False)
    summary = _summary(plan, problem, scenario_path)
    text = json.dumps(summary, indent=2, ensure_ascii=False, default=str)
    (folder / "summary.json").write_text(text + "\n", encoding="utf-8")


def _write_table(rows: list[dict[str, Any]], schema: pa.Schema, stem: Path) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, stem.with_suffix(".parquet"))
    csv_rows = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows
    ]
    pd.DataFrame(csv_rows, columns=schema.names).to_csv(stem.with_suffix(".csv"), index=False)


def _appointment_rows(plan: Plan, problem: Problem) -> list[dict[str, Any]]:
    axis = problem.axis
    rows = []
    for a in plan.appointments:
        bad = [p for p in a.people if PEOPLE_SEPARATOR in p]
        if bad:
            raise DataError(f"person id {bad[0]!r} contains {PEOPLE_SEPARATOR!r}: cannot write it")
        org = problem.organisations.get(a.org)
        rows.append(
            {
                "visit_id": a.visit_id,
                "org": a.org,
                "org_name": org.name if org else None,
                "stage": a.stage.value,
                "people": PEOPLE_SEPARATOR.join(a.people),
                "date": axis.date_of(a.start),
                "start": axis.datetime_of(a.start),
                "end": axis.datetime_of(a.end),
                "start_min": a.start,
                "end_min": a.end,
                "status": a.status.value,
                "lon": org.location.lon if org else None,
                "lat": org.location.lat if org else None,
            }
        )
    return rows


def _route_rows(plan: Plan, axis: TimeAxis) -> list[dict[str, Any]]:
    rows = []
    for route in plan.routes:
        if len(route.visits) > len(route.legs):
            raise ValueError(
                f"the route of {route.person} on {route.day} has {len(route.visits)} visits "
                f"but {len(route.legs)} legs: it cannot be written one row per leg"
            )
        for seq, leg in enumerate(route.legs):
            rows.append(
                {
                    "person": route.person,
                    "date": route.day,
                    "seq": seq,
                    "origin": leg.origin,
                    "destination": leg.destination,
                    "visit_id": route.visits[seq] if seq < len(route.visits) else "",
                    "depart": axis.datetime_of(leg.depart),
                    "arrive": axis.datetime_of(leg.arrive),
                    "depart_min": leg.depart,
                    "arrive_min": leg.arrive,
                    "minutes": leg.minutes,
                    "metres": leg.metres,
                }
            )
    return rows


def _unplanned_rows(plan: Plan, problem: Problem) -> list[dict[str, Any]]:
    rows = []
    for u in plan.unplanned:
        visit = problem.visits.get(u.visit_id)
        org, _, stage = u.visit_id.partition(":")
        rows.append(
            {
                "visit_id": u.visit_id,
                "org": visit.org if visit else org,
                "stage": visit.stage.value if visit else stage,
                "reason": u.reason,
            }
        )
    return rows


def _summary(plan: Plan, problem: Problem, scenario_path: Path | None) -> dict[str, Any]:
    stats = plan.stats
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "problem": problem.name,
        "scenario": str(Path(scenario_path).resolve()) if scenario_path else None,
        "axis_origin": problem.axis.origin.isoformat(),
        "horizon_end": problem.horizon_end.isoformat(),
        "stats": {
            "solver": stats.solver,
            "runtime_s": stats.runtime_s,
            "objective": stats.objective,
            "bound": stats.bound,
            "gap": stats.gap,
            "seed": stats.seed,
            "details": dict(stats.details),
        },
        "counts": {
            "appointments": len(plan.appointments),
            "routes": len(plan.routes),
            "unplanned": len(plan.unplanned),
        },
        "kpis": kpis_to_dict(compute_kpis(problem, plan)),
    }


# --------------------------------------------------------------------------------------------
# Reading


def read_summary(folder: Path) -> dict[str, Any]:
    """The ``summary.json`` of a plan folder."""
    path = Path(folder) / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: missing; is {folder} a plan folder?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(summary, dict) or summary.get("format") != FORMAT:
        raise DataError(f'{path}: not a plan summary (no "format": "{FORMAT}")')
    if summary.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(
            f"{path}: written by a newer optimizer (format version "
            f"{summary['format_version']} > {FORMAT_VERSION})"
        )
    return summary


def read_plan(folder: Path) -> Plan:
    """The plan written by :func:`write_plan` in ``folder``, exactly as it was."""
    folder = Path(folder)
    summary = read_summary(folder)
    appointments = _parse_rows(folder / "appointments.parquet", APPOINTMENT_SCHEMA, _appointment)
    legs = _parse_rows(folder / "routes.parquet", ROUTE_SCHEMA, lambda row: row)
    unplanned = _read_unplanned(folder / "unplanned.csv")
    return Plan(
        appointments=tuple(appointments),
        routes=_routes(legs),
        unplanned=unplanned,
        stats=_stats(summary.get("stats"), folder / "summary.json"),
    )


def _parse_rows(path: Path, schema: pa.Schema, parse: Callable[[dict], Any]) -> list[Any]:
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise DataError(f"{path}: missing from the plan folder") from None
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: not a readable Parquet file: {exc}") from exc
    missing = [c for c in schema.names if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}")
    result = []
    for number, row in enumerate(table.select(schema.names).to_pylist(), start=1):
        try:
            result.append(parse(row))
        except (TypeError, ValueError, KeyError) as exc:
            raise DataError(f"{path}: row {number}: {exc}") from exc
    return result


def _appointment(row: dict[str, Any]) -> Appointment:
    if not row["visit_id"] or not row["people"]:
        raise ValueError("visit_id and people must not be empty")
    return Appointment(
        visit_id=row["visit_id"],
        org=row["org"],
        stage=Stage(row["stage"]),
        people=tuple(row["people"].split(PEOPLE_SEPARATOR)),
        start=int(row["start_min"]),
        end=int(row["end_min"]),
        status=Status(row["status"]),
    )


def _routes(rows: Iterable[dict[str, Any]]) -> tuple[DayRoute, ...]:
    grouped: dict[tuple[str, date], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault((row["person"], row["date"]), []).append(row)
    routes = []
    for (person, day), legs in grouped.items():
        legs.sort(key=lambda r: r["seq"])
        routes.append(
            DayRoute(
                person=person,
                day=day,
                visits=tuple(r["visit_id"] for r in legs if r["visit_id"]),
                legs=tuple(
                    Leg(
                        r["origin"],
                        r["destination"],
                        int(r["depart_min"]),
                        int(r["arrive_min"]),
                        int(r["minutes"]),
                        int(r["metres"]),
                    )
                    for r in legs
                ),
            )
        )
    return tuple(routes)


def _read_unplanned(path: Path) -> tuple[Unplanned, ...]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{path}: missing from the plan folder") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file: {exc}") from exc
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path}: empty; expected the header {','.join(UNPLANNED_COLUMNS)}"
        ) from None
    missing = [c for c in ("visit_id", "reason") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}")
    return tuple(
        Unplanned(str(v), str(r)) for v, r in zip(frame["visit_id"], frame["reason"], strict=True)
    )


def _stats(raw: Any, path: Path) -> SolveStats:
    try:
        return SolveStats(
            solver=str(raw["solver"]),
            runtime_s=float(raw["runtime_s"]),
            objective=float(raw["objective"]),
            bound=None if raw["bound"] is None else float(raw["bound"]),
            seed=int(raw["seed"]),
            details=dict(raw.get("details") or {}),
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise DataError(f'{path}: "stats" is malformed: {exc!r}') from exc
