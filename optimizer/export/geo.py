"""The plan as a GeoPackage for QGIS and geopandas (``optimizer export gpkg``).

Layers, all in EPSG:28992 (Amersfoort / RD New, metres):

- ``organisations`` (MultiPolygon, the CBS boundary; no geometry if the boundaries lack the
  code): ``code, name, kind, province_code, province_name``; per stage ``<stage>_status``
  (``-`` not a visit of it, ``unplanned``, or the appointment's status), ``<stage>_date``,
  ``<stage>_people``; ``progress`` (see :mod:`optimizer.plan.progress`); the next
  appointment ``next_stage, next_date, next_time, next_people``; ``unplanned_reason``;
- ``appointments`` (Point, the visit location): ``visit_id, org, org_name, stage, status,
  people, team_member, trainer, date, week, month, start, end, duration_min``;
- ``routes`` (LineString, one per person and day: home base, the visits in order, home base):
  ``person, person_name, role, date, week, month, visits, visit_ids, orgs, stages,
  leave_home, back_home, travel_min, travel_km, working_min, evening``;
- ``legs`` (LineString, one per drive): ``person, date, seq, origin, destination, visit_id,
  depart, arrive, minutes, km``;
- ``bases`` (Point): ``person, name, role, base_name, region``.

Units and types: dates are local (Europe/Amsterdam) ``YYYY-MM-DD`` text, which sorts and
filters as dates; ``week`` is the ISO week ``YYYY-Www``, ``month`` ``YYYY-MM``; ``start``,
``end``, ``depart``, ``arrive`` are local wall-clock date-times (no zone); ``leave_home`` and
``back_home`` are ``HH:MM``; minutes are integers; ``km`` kilometres.

Lines are straight segments between the locations, unless ``leg_lines`` gives a geometry per
(origin, destination) pair, as :func:`road_leg_lines` does over the roads model's graph.
:func:`write_geopackage` writes to a temporary file beside the target and renames it into
place when complete.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point

from optimizer.domain import DayRoute, Plan, Problem, Role, base_id
from optimizer.plan.progress import organisation_progress
from optimizer.timeaxis import fmt_hhmm, minute_of_day

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"
LAYERS = ("organisations", "appointments", "routes", "legs", "bases")
"""The GeoPackage's layers, in the order they are written."""

LegLines = Mapping[tuple[str, str], LineString]
"""A geometry (EPSG:4326 lon/lat) per (origin id, destination id) of the travel matrix."""


# ---------------------------------------------------------------------------------------------
# Layers (no files)


def geo_layers(
    problem: Problem,
    plan: Plan,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    as_of: date | None = None,
    leg_lines: LegLines | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of :data:`LAYERS` as GeoDataFrames in EPSG:28992 (see the module docstring).

    ``boundaries`` (``statcode``, ``geometry``; any CRS) give the organisations' polygons;
    ``as_of`` is the date the progress is judged on (:mod:`optimizer.plan.progress`).
    """
    lines = dict(leg_lines or {})
    return {
        "organisations": organisations_layer(problem, plan, boundaries, as_of=as_of),
        "appointments": appointments_layer(problem, plan),
        "routes": routes_layer(problem, plan, lines),
        "legs": legs_layer(problem, plan, lines),
        "bases": bases_layer(problem),
    }


def location_of(problem: Problem, location_id: str) -> Point:
    """The WGS84 point of a travel-matrix id: an organisation code or ``base:<person>``."""
    if location_id.startswith("base:"):
        p = problem.people[location_id.removeprefix("base:")].base
    else:
        p = problem.organisations[location_id].location
    return Point(p.lon, p.lat)


def organisations_layer(
    problem: Problem,
    plan: Plan,
    boundaries: gpd.GeoDataFrame | None,
    *,
    as_of: date | None = None,
) -> gpd.GeoDataFrame:
    """One row per organisation with its polygon (MultiPolygon) and progress."""
    frame = organisation_progress(problem, plan, as_of=as_of)
    for column in frame.columns:
        if column.endswith("_date"):
            frame[column] = frame[column].map(_iso)
    shapes: dict[str, object] = {}
    if boundaries is not None and not boundaries.empty:
        rd = boundaries.to_crs(RD_NEW)
        shapes = dict(zip(rd["statcode"], rd.geometry, strict=True))
    geometry = [_multipolygon(shapes.get(code)) for code in frame["code"]]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=RD_NEW)


def appointments_layer(problem: Problem, plan: Plan) -> gpd.GeoDataFrame:
    """One point per appointment at its organisation's visit location."""
    axis = problem.axis
    rows = []
    for a in sorted(plan.appointments, key=lambda x: (x.start, x.visit_id)):
        day = axis.date_of(a.start)
        org = problem.organisations.get(a.org)
        roles = {p: problem.people[p].role if p in problem.people else None for p in a.people}
        rows.append(
            {
                "visit_id": a.visit_id,
                "org": a.org,
                "org_name": org.name if org else a.org,
                "stage": a.stage.value,
                "status": a.status.value,
                "people": ";".join(a.people),
                "team_member": ";".join(p for p, r in roles.items() if r is Role.TEAM),
                "trainer": ";".join(p for p, r in roles.items() if r is Role.TRAINER),
                "date": day.isoformat(),
                "week": _week(day),
                "month": day.strftime("%Y-%m"),
                "start": _local(axis.datetime_of(a.start)),
                "end": _local(axis.datetime_of(a.end)),
                "duration_min": a.end - a.start,
            }
        )
    points = [location_of(problem, r["org"]) for r in rows]
    return _frame(rows, points, _APPOINTMENT_COLUMNS)


def routes_layer(problem: Problem, plan: Plan, leg_lines: LegLines) -> gpd.GeoDataFrame:
    """One line per person and day: home base, the visits in order, home base."""
    rows, lines = [], []
    for route in _sorted_routes(plan.routes):
        person = problem.people.get(route.person)
        leave = minute_of_day(route.leave_home) if route.legs else None
        back = route.back_home - problem.axis.at(route.day, 0) if route.legs else 0
        orgs = [leg.destination for leg in route.legs[:-1]]
        rows.append(
            {
                "person": route.person,
                "person_name": person.name if person else route.person,
                "role": person.role.value if person else "",
                "date": route.day.isoformat(),
                "week": _week(route.day),
                "month": route.day.strftime("%Y-%m"),
                "visits": len(route.visits),
                "visit_ids": ";".join(route.visits),
                "orgs": ";".join(orgs),
                "stages": ";".join(v.partition(":")[2] for v in route.visits),
                "leave_home": fmt_hhmm(leave) if leave is not None else None,
                "back_home": fmt_hhmm(back) if route.legs else None,
                "travel_min": route.travel_min,
                "travel_km": round(route.travel_m / 1000, 3),
                "working_min": route.back_home - route.leave_home if route.legs else 0,
                "evening": bool(back > problem.rules.work_end),
            }
        )
        lines.append(_route_line(problem, route, leg_lines))
    return _frame(rows, lines, _ROUTE_COLUMNS)


def legs_layer(problem: Problem, plan: Plan, leg_lines: LegLines) -> gpd.GeoDataFrame:
    """One line per leg (drive) of every route."""
    axis = problem.axis
    rows, lines = [], []
    for route in _sorted_routes(plan.routes):
        for seq, leg in enumerate(route.legs):
            rows.append(
                {
                    "person": route.person,
                    "date": route.day.isoformat(),
                    "seq": seq,
                    "origin": leg.origin,
                    "destination": leg.destination,
                    "visit_id": route.visits[seq] if seq < len(route.visits) else "",
                    "depart": _local(axis.datetime_of(leg.depart)),
                    "arrive": _local(axis.datetime_of(leg.arrive)),
                    "minutes": leg.minutes,
                    "km": round(leg.metres / 1000, 3),
                }
            )
            lines.append(_leg_line(problem, leg.origin, leg.destination, leg_lines))
    return _frame(rows, lines, _LEG_COLUMNS)


def bases_layer(problem: Problem) -> gpd.GeoDataFrame:
    """One point per team member and trainer at the home base."""
    rows = [
        {
            "person": p.id,
            "name": p.name,
            "role": p.role.value,
            "base_name": p.base_name,
            "region": p.region or "",
        }
        for p in problem.people.values()
    ]
    points = [location_of(problem, base_id(p.id)) for p in problem.people.values()]
    return _frame(rows, points, _BASE_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Writing


def write_geopackage(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write ``layers`` (name -> frame) into one GeoPackage at ``path``, atomically: into a
    temporary file beside it, renamed into place when every layer is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp.gpkg")
    try:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_geopackage(
    problem: Problem,
    plan: Plan,
    path: Path,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    as_of: date | None = None,
    leg_lines: LegLines | None = None,
) -> Path:
    """:func:`geo_layers` written with :func:`write_geopackage`; returns ``path``."""
    layers = geo_layers(problem, plan, boundaries=boundaries, as_of=as_of, leg_lines=leg_lines)
    return write_geopackage(layers, path)


# ---------------------------------------------------------------------------------------------
# Road geometry


def road_leg_lines(
    problem: Problem, plan: Plan, graph, settings, *, chunk: int = 16
) -> dict[tuple[str, str], LineString]:
    """The fastest road path (EPSG:4326) of every leg of ``plan`` over ``graph`` (a
    :class:`~optimizer.travel.roads.RoadGraph`) with ``settings``
    (:class:`~optimizer.travel.settings.TravelSettings`), between the nodes nearest to the
    two locations, as the roads model finds them; ``chunk`` source nodes per Dijkstra call.

    A pair without a road path (e.g. a car-free island) is left out: it is drawn straight.
    """
    from scipy.sparse.csgraph import dijkstra

    from optimizer.travel.roads import (
        _csr,
        _largest_strong_component,
        _lexicographic_weights,
        _Snapper,
    )

    pairs = sorted({(leg.origin, leg.destination) for r in plan.routes for leg in r.legs})
    if not pairs:
        return {}
    matrix = _csr(graph, _lexicographic_weights(graph, settings))
    snapper = _Snapper(graph, _largest_strong_component(matrix))
    ids = sorted({i for pair in pairs for i in pair})
    points = [location_of(problem, i) for i in ids]
    nodes, _ = snapper.snap([_domain_point(p) for p in points])
    node_of = dict(zip(ids, (int(n) for n in nodes), strict=True))
    point_of = dict(zip(ids, points, strict=True))
    sources = sorted({node_of[a] for a, _ in pairs})
    lines: dict[tuple[str, str], LineString] = {}
    for start in range(0, len(sources), chunk):
        batch = sources[start : start + chunk]
        _, predecessors = dijkstra(matrix, directed=True, indices=batch, return_predecessors=True)
        row_of = {node: k for k, node in enumerate(batch)}
        for a, b in pairs:
            if node_of[a] not in row_of:
                continue
            path = _walk(predecessors[row_of[node_of[a]]], node_of[a], node_of[b])
            if path is None:
                continue
            coords = [point_of[a].coords[0]]
            coords += list(zip(graph.lon[path], graph.lat[path], strict=True))
            coords.append(point_of[b].coords[0])
            lines[(a, b)] = LineString(coords)
    return lines


def _walk(predecessors: np.ndarray, source: int, target: int) -> list[int] | None:
    path = [target]
    while path[-1] != source:
        previous = int(predecessors[path[-1]])
        if previous < 0:
            return None
        path.append(previous)
    return path[::-1]


def _domain_point(p: Point):
    from optimizer.domain import Point as LonLat

    return LonLat(p.x, p.y)


# ---------------------------------------------------------------------------------------------
# Helpers

_APPOINTMENT_COLUMNS = [
    "visit_id",
    "org",
    "org_name",
    "stage",
    "status",
    "people",
    "team_member",
    "trainer",
    "date",
    "week",
    "month",
    "start",
    "end",
    "duration_min",
]
_ROUTE_COLUMNS = [
    "person",
    "person_name",
    "role",
    "date",
    "week",
    "month",
    "visits",
    "visit_ids",
    "orgs",
    "stages",
    "leave_home",
    "back_home",
    "travel_min",
    "travel_km",
    "working_min",
    "evening",
]
_LEG_COLUMNS = [
    "person",
    "date",
    "seq",
    "origin",
    "destination",
    "visit_id",
    "depart",
    "arrive",
    "minutes",
    "km",
]
_BASE_COLUMNS = ["person", "name", "role", "base_name", "region"]


def _frame(rows: list[dict], geometry: list, columns: list[str]) -> gpd.GeoDataFrame:
    """A GeoDataFrame of ``rows`` with WGS84 ``geometry``, re-projected to RD New."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("start", "end", "depart", "arrive"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84).to_crs(RD_NEW)


def _sorted_routes(routes: Iterable[DayRoute]) -> list[DayRoute]:
    return sorted(routes, key=lambda r: (r.day, r.person))


def _route_line(problem: Problem, route: DayRoute, leg_lines: LegLines) -> LineString:
    coords: list[tuple[float, float]] = []
    for leg in route.legs:
        part = list(_leg_line(problem, leg.origin, leg.destination, leg_lines).coords)
        coords += part[1:] if coords else part
    if len(coords) < 2:  # a route without legs: a degenerate line at home
        home = location_of(problem, base_id(route.person))
        coords = [home.coords[0], home.coords[0]]
    return LineString(coords)


def _leg_line(problem: Problem, origin: str, destination: str, leg_lines: LegLines) -> LineString:
    line = leg_lines.get((origin, destination))
    if line is not None:
        return line
    return LineString([location_of(problem, origin), location_of(problem, destination)])


def _multipolygon(shape) -> MultiPolygon | None:
    if shape is None or shape.is_empty:
        return None
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    if isinstance(shape, MultiPolygon):
        return shape
    polygons = [g for g in getattr(shape, "geoms", [shape]) if g.geom_type == "Polygon"]
    for g in getattr(shape, "geoms", []):
        if isinstance(g, MultiPolygon):
            polygons += list(g.geoms)
    return MultiPolygon(polygons) if polygons else None


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _local(moment) -> pd.Timestamp:
    """A local wall-clock date-time without its zone (GeoPackage stores no zones)."""
    return pd.Timestamp(moment.replace(tzinfo=None))
