"""The 354 organisations (342 municipalities, 12 provinces of 2023) from the CBS boundaries.

Each :class:`~optimizer.domain.Organisation` gets:

- its province: the province polygon that holds the municipality's representative point
  (spatial join in EPSG:28992; the largest overlap decides between two, the nearest
  province within :data:`NEAREST_PROVINCE_MAX_M` metres when none holds it);
- its visit location: the polygon's representative point for a municipality, the capital
  municipality's point for a province (built-in ``province_capitals.csv``); the scenario's
  ``town_halls_csv`` (``code,lon,lat[,address]``) overrides it per code;
- its school-holiday region: :data:`DEFAULT_HOLIDAY_REGION` of its province, or the
  scenario's ``holiday_regions_csv`` (``code,region``) per code;
- its ferry link, for the Wadden islands (built-in ``ferries_nl.csv`` or the scenario's
  ``ferries_csv``).

Every CSV error names the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import fields as _fields
from pathlib import Path

import geopandas as gpd
import shapely

from optimizer.data.boundaries import (
    NL_BOUNDS,
    RD_NEW,
    WGS84,
    expected_counts,
    geometry_problems,
    load_boundaries,
)
from optimizer.data.paths import boundaries_dir, resource
from optimizer.domain import FerryLink, Kind, Organisation, Point
from optimizer.errors import DataError
from optimizer.scenario import Scenario

HOLIDAY_REGIONS = ("noord", "midden", "zuid")

DEFAULT_HOLIDAY_REGION: dict[str, str] = {
    "PV20": "noord",  # Groningen
    "PV21": "noord",  # Fryslân
    "PV22": "noord",  # Drenthe
    "PV23": "noord",  # Overijssel
    "PV24": "noord",  # Flevoland
    "PV25": "midden",  # Gelderland
    "PV26": "midden",  # Utrecht
    "PV27": "noord",  # Noord-Holland
    "PV28": "midden",  # Zuid-Holland
    "PV29": "zuid",  # Zeeland
    "PV30": "zuid",  # Noord-Brabant
    "PV31": "zuid",  # Limburg
}
"""School-holiday region per province code (DESIGN.md §1): the one default table."""

NEAREST_PROVINCE_MAX_M = 5_000
"""A municipality point in no province polygon joins the nearest one within this distance
(metres); the separately generalised province layer leaves small gaps along the coast."""

_FERRY_COLUMNS = (
    "statcode",
    "island",
    "mainland_port",
    "mainland_lon",
    "mainland_lat",
    "island_port",
    "island_lon",
    "island_lat",
    "crossing_min",
    "cars_allowed",
)
_HEADWAY: int = next(f.default for f in _fields(FerryLink) if f.name == "headway_min")
"""Headway (minutes) of a ferry row without a headway_min column: FerryLink's default."""
_YES = {"yes", "y", "true", "1", "ja"}
_NO = {"no", "n", "false", "0", "nee"}


# ---------------------------------------------------------------------------------------------
# Public entry points


def load_boundary_frames(
    scenario: Scenario | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(municipalities, provinces) of the scenario's year from :func:`boundaries_dir`."""
    year = (scenario or Scenario()).data.year
    return load_boundaries(boundaries_dir(scenario), year)


def load_organisations(scenario: Scenario | None = None) -> dict[str, Organisation]:
    """All organisations by code, ordered by code (``GM…`` then ``PV…``), with the scenario's
    overrides (town halls, holiday regions, ferries) applied."""
    municipalities, provinces = load_boundary_frames(scenario)
    return build_organisations(
        municipalities, provinces, **read_overrides(scenario, municipalities, provinces)
    )


def load_ferries(path: Path | None = None) -> dict[str, FerryLink]:
    """Ferry links by municipality code from ``path`` or the built-in ``ferries_nl.csv``.

    Columns: statcode, island, mainland_port, mainland_lon, mainland_lat, island_port,
    island_lon, island_lat, crossing_min, cars_allowed (yes/no), and optionally
    fast_crossing_min and headway_min (minutes).
    """
    return {code: link for _, code, link in _read_ferries(path or resource("ferries_nl.csv"))}


def organisations_frame(orgs: Mapping[str, Organisation]) -> gpd.GeoDataFrame:
    """One row per organisation with its visit location as a point (EPSG:4326): code, name,
    kind, province_code, province_name, holiday_region, ferry (island name or None),
    car_free, address, geometry; in the order of ``orgs``."""
    rows = [
        {
            "code": o.code,
            "name": o.name,
            "kind": o.kind.value,
            "province_code": o.province_code,
            "province_name": o.province_name,
            "holiday_region": o.holiday_region,
            "ferry": o.ferry.island if o.ferry else None,
            "car_free": (not o.ferry.cars_allowed) if o.ferry else False,
            "address": o.address,
        }
        for o in orgs.values()
    ]
    geometry = gpd.points_from_xy(
        [o.location.lon for o in orgs.values()], [o.location.lat for o in orgs.values()], crs=WGS84
    )
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=WGS84)


# ---------------------------------------------------------------------------------------------
# Building (no files)


@dataclass(frozen=True, slots=True)
class TownHall:
    """An overridden visit location (WGS84 degrees) with an optional address."""

    location: Point
    address: str | None = None


def build_organisations(
    municipalities: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    *,
    capitals: Mapping[str, str] | None = None,
    town_halls: Mapping[str, TownHall] | None = None,
    holiday_regions: Mapping[str, str] | None = None,
    ferries: Mapping[str, FerryLink] | None = None,
) -> dict[str, Organisation]:
    """Organisations from the boundary frames (as :func:`load_boundaries` returns them).

    ``capitals`` maps a province code to its capital municipality's code (default: the
    built-in table); ``town_halls``, ``holiday_regions`` and ``ferries`` are keyed by code.
    """
    capitals = read_capitals() if capitals is None else capitals
    town_halls = town_halls or {}
    holiday_regions = holiday_regions or {}
    ferries = load_ferries() if ferries is None else ferries

    points = representative_points(municipalities)
    province_of = assign_provinces(municipalities, provinces, points)
    province_names = dict(zip(provinces["statcode"], provinces["statnaam"], strict=True))
    province_points = representative_points(provinces)

    def location(code: str, default: Point) -> tuple[Point, str | None]:
        hall = town_halls.get(code)
        return (hall.location, hall.address) if hall else (default, None)

    def region(code: str, province: str) -> str:
        value = holiday_regions.get(code) or DEFAULT_HOLIDAY_REGION.get(province)
        if value is None:
            raise DataError(
                f"{code}: province {province} has no default holiday region; give one in the "
                f"scenario's holiday_regions_csv"
            )
        return value

    orgs: dict[str, Organisation] = {}
    for code, name in zip(municipalities["statcode"], municipalities["statnaam"], strict=True):
        province = province_of[code]
        where, address = location(code, points[code])
        orgs[code] = Organisation(
            code=code,
            name=name,
            kind=Kind.GEMEENTE,
            province_code=province,
            province_name=province_names[province],
            location=where,
            holiday_region=region(code, province),
            ferry=ferries.get(code),
            address=address,
        )
    for code, name in zip(provinces["statcode"], provinces["statnaam"], strict=True):
        capital = capitals.get(code)
        default = points.get(capital, province_points[code]) if capital else province_points[code]
        where, address = location(code, default)
        orgs[code] = Organisation(
            code=code,
            name=name,
            kind=Kind.PROVINCIE,
            province_code=code,
            province_name=name,
            location=where,
            holiday_region=region(code, code),
            ferry=ferries.get(code),
            address=address,
        )
    return dict(sorted(orgs.items()))


def representative_points(frame: gpd.GeoDataFrame) -> dict[str, Point]:
    """A point surely inside each polygon (shapely ``representative_point``, WGS84), by code;
    invalid polygons are repaired first. Features without geometry are left out."""
    geometry = frame.geometry.to_numpy()
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        geometry = geometry.copy()
        geometry[invalid] = shapely.make_valid(geometry[invalid])
    points = shapely.point_on_surface(geometry)
    return {
        code: Point(lon=float(p.x), lat=float(p.y))
        for code, p in zip(frame["statcode"], points, strict=True)
        if p is not None and not p.is_empty
    }


def assign_provinces(
    municipalities: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    points: Mapping[str, Point],
) -> dict[str, str]:
    """Province code per municipality code: the province polygon holding its point (metric
    work in EPSG:28992). Two candidates: the larger overlap with the municipality wins. None:
    the nearest province within :data:`NEAREST_PROVINCE_MAX_M`, else a DataError."""
    missing = [c for c in municipalities["statcode"] if c not in points]
    if missing:
        raise DataError(f"municipalities without a geometry: {', '.join(missing)}")
    codes = list(municipalities["statcode"])
    pts = gpd.GeoDataFrame(
        {"code": codes},
        geometry=gpd.points_from_xy([points[c].lon for c in codes], [points[c].lat for c in codes]),
        crs=WGS84,
    ).to_crs(RD_NEW)
    provs = provinces[["statcode", "geometry"]].to_crs(RD_NEW)
    joined = gpd.sjoin(pts, provs, how="left", predicate="intersects")
    candidates: dict[str, list[str]] = {}
    for code, province in zip(joined["code"], joined["statcode"], strict=True):
        candidates.setdefault(code, [])
        if isinstance(province, str):
            candidates[code].append(province)
    result: dict[str, str] = {}
    shapes = municipalities.set_index("statcode").geometry.to_crs(RD_NEW)
    province_shapes = provs.set_index("statcode").geometry
    for code in codes:
        found = candidates.get(code, [])
        if len(found) == 1:
            result[code] = found[0]
        elif found:
            shape = shapely.make_valid(shapes[code])
            result[code] = max(found, key=lambda p: shape.intersection(province_shapes[p]).area)
    unmatched = pts[~pts["code"].isin(list(result))]
    if not unmatched.empty:
        nearest = gpd.sjoin_nearest(
            unmatched, provs, how="left", max_distance=NEAREST_PROVINCE_MAX_M
        )
        for code, province in zip(nearest["code"], nearest["statcode"], strict=True):
            if isinstance(province, str):
                result.setdefault(code, province)
    lost = [c for c in codes if c not in result]
    if lost:
        raise DataError(
            f"municipalities in no province polygon (not even within "
            f"{NEAREST_PROVINCE_MAX_M} m): {', '.join(lost)}; do the boundary files belong "
            f"to the same year?"
        )
    return result


# ---------------------------------------------------------------------------------------------
# Checks (warnings for `optimizer data check`)


def organisation_problems(
    orgs: Mapping[str, Organisation],
    municipalities: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
) -> list[str]:
    """Visit locations outside their own polygon (municipality) or province (province), and
    municipalities whose point lies in no province polygon (joined to the nearest)."""
    problems: list[str] = []
    own = dict(zip(municipalities["statcode"], municipalities.geometry, strict=True))
    own.update(zip(provinces["statcode"], provinces.geometry, strict=True))
    province_shapes = dict(zip(provinces["statcode"], provinces.geometry, strict=True))
    points = representative_points(municipalities)
    for code, org in orgs.items():
        shape = own.get(code)
        if shape is None or shape.is_empty:
            continue
        if not shape.covers(shapely.Point(org.location.lon, org.location.lat)):
            problems.append(
                f"{code} {org.name}: visit location {org.location.lon:.5f},"
                f"{org.location.lat:.5f} lies outside its polygon"
            )
        if org.kind is Kind.GEMEENTE and code in points:
            province_shape = province_shapes.get(org.province_code)
            p = points[code]
            if province_shape is not None and not province_shape.covers(
                shapely.Point(p.lon, p.lat)
            ):
                problems.append(
                    f"{code} {org.name}: its point lies in no province polygon; joined to the "
                    f"nearest, {org.province_code} {org.province_name}"
                )
    return problems


def data_problems(
    orgs: Mapping[str, Organisation],
    municipalities: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    year: int = 2023,
) -> list[str]:
    """Every problem :command:`optimizer data check` reports: the geometry checks of both
    layers (counts against CBS for ``year``) and the organisation checks."""
    n_municipalities, n_provinces = expected_counts(year)
    return [
        *geometry_problems(
            municipalities, kind="municipality", prefix="GM", expected=n_municipalities
        ),
        *geometry_problems(provinces, kind="province", prefix="PV", expected=n_provinces),
        *organisation_problems(orgs, municipalities, provinces),
    ]


# ---------------------------------------------------------------------------------------------
# CSV readers (every error names file and line)


def read_capitals(path: Path | None = None) -> dict[str, str]:
    """Capital municipality code per province code (``provincie_code,capital_statcode``)."""
    path = path or resource("province_capitals.csv")
    return {
        row["provincie_code"]: row["capital_statcode"]
        for _, row in _rows(path, ("provincie_code", "capital_statcode"))
    }


def read_town_halls(path: Path, known: set[str] | None = None) -> dict[str, TownHall]:
    """Visit locations ``code,lon,lat[,address]`` (WGS84 degrees) by code; ``known`` codes
    only when given."""
    halls: dict[str, TownHall] = {}
    lo_lon, lo_lat, hi_lon, hi_lat = NL_BOUNDS
    for line, row in _rows(path, ("code", "lon", "lat"), ("address",)):
        code = _code(row["code"], path, line, known, halls)
        lon = _number(row["lon"], path, line, "lon")
        lat = _number(row["lat"], path, line, "lat")
        if not (lo_lon <= lon <= hi_lon and lo_lat <= lat <= hi_lat):
            raise DataError(
                f"{path}, line {line}: lon {lon}, lat {lat} is outside the Netherlands "
                f"(longitude first, WGS84 degrees)"
            )
        halls[code] = TownHall(Point(lon=lon, lat=lat), row.get("address") or None)
    return halls


def read_holiday_regions(path: Path, known: set[str] | None = None) -> dict[str, str]:
    """School-holiday region (noord/midden/zuid) by code, from ``code,region``."""
    regions: dict[str, str] = {}
    for line, row in _rows(path, ("code", "region")):
        code = _code(row["code"], path, line, known, regions)
        value = row["region"].lower()
        if value not in HOLIDAY_REGIONS:
            raise DataError(
                f"{path}, line {line}: region {row['region']!r} is not one of "
                f"{', '.join(HOLIDAY_REGIONS)}"
            )
        regions[code] = value
    return regions


def _read_ferries(path: Path) -> list[tuple[int, str, FerryLink]]:
    """(line, code, link) per row of a ferries CSV."""
    out: list[tuple[int, str, FerryLink]] = []
    seen: dict[str, FerryLink] = {}
    for line, row in _rows(path, _FERRY_COLUMNS, ("fast_crossing_min", "headway_min")):
        code = _code(row["statcode"], path, line, None, seen)

        def num(column: str, line: int = line, row: dict[str, str] = row) -> float:
            return _number(row[column], path, line, column)

        fast = row.get("fast_crossing_min") or ""
        headway = row.get("headway_min") or ""
        link = FerryLink(
            island=row["island"],
            mainland_port=row["mainland_port"],
            mainland=Point(lon=num("mainland_lon"), lat=num("mainland_lat")),
            island_port=row["island_port"],
            island_point=Point(lon=num("island_lon"), lat=num("island_lat")),
            crossing_min=_minutes(row["crossing_min"], path, line, "crossing_min"),
            fast_crossing_min=_minutes(fast, path, line, "fast_crossing_min") if fast else None,
            cars_allowed=_yes_no(row["cars_allowed"], path, line, "cars_allowed"),
            headway_min=_minutes(headway, path, line, "headway_min") if headway else _HEADWAY,
        )
        seen[code] = link
        out.append((line, code, link))
    return out


def _rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, stripped row) of a CSV with a header; blank and ``#`` lines skipped."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        absent = [c for c in required if c not in header]
        if absent:
            raise DataError(
                f"{path}: missing column(s) {', '.join(absent)} (header: {','.join(header)}; "
                f"expected {','.join(required)}{''.join(',[' + o + ']' for o in optional)})"
            )
        reader.fieldnames = header
        for row in reader:
            values = {k: (v or "").strip() for k, v in row.items() if k is not None}
            if not any(values.values()) or next(iter(values.values()), "").startswith("#"):
                continue
            if None in row:
                raise DataError(f"{path}, line {reader.line_num}: more fields than the header")
            yield reader.line_num, values


def _code(value: str, path: Path, line: int, known: set[str] | None, seen: Mapping) -> str:
    code = value.strip().upper()
    if not code:
        raise DataError(f"{path}, line {line}: empty code")
    if known is not None and code not in known:
        raise DataError(
            f"{path}, line {line}: unknown code {value!r} (not a municipality or province of "
            f"the boundaries)"
        )
    if code in seen:
        raise DataError(f"{path}, line {line}: code {code} appears twice")
    return code


def _number(value: str, path: Path, line: int, column: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{path}, line {line}: {column} {value!r} is not a number") from None


def _minutes(value: str, path: Path, line: int, column: str) -> int:
    number = _number(value, path, line, column)
    if number < 0 or number != int(number):
        raise DataError(f"{path}, line {line}: {column} {value!r} is not a whole number of minutes")
    return int(number)


def _yes_no(value: str, path: Path, line: int, column: str) -> bool:
    lowered = value.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise DataError(f"{path}, line {line}: {column} {value!r} is not yes or no")


def read_overrides(
    scenario: Scenario | None, municipalities: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame
) -> dict:
    """The scenario's override tables (``town_halls``, ``holiday_regions``, ``ferries``) as
    keyword arguments of :func:`build_organisations`, checked against the boundaries' codes."""
    if scenario is None:
        return {}
    known = set(municipalities["statcode"]) | set(provinces["statcode"])
    data = scenario.data
    out: dict = {}
    if path := scenario.path(data.town_halls_csv):
        out["town_halls"] = read_town_halls(path, known)
    if path := scenario.path(data.holiday_regions_csv):
        out["holiday_regions"] = read_holiday_regions(path, known)
    if path := scenario.path(data.ferries_csv):
        rows = _read_ferries(path)
        for line, code, _ in rows:
            if code not in known:
                raise DataError(
                    f"{path}, line {line}: unknown code {code!r} (not a municipality of the "
                    f"boundaries)"
                )
        out["ferries"] = {code: link for _, code, link in rows}
    return out
