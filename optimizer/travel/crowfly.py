"""The ``crowfly`` travel model: great-circle distance, a circuity factor, a speed curve and
ferries, vectorised with numpy.

Every function here is pure. Distances are metres, times minutes (floats; the matrix
interface rounds them), coordinates WGS84 degrees. The rules and their settings are documented
in :mod:`optimizer.travel.settings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.domain import FerryLink, Point
from optimizer.travel.settings import TravelSettings

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees; broadcasts.

    The haversine formula ``d = 2 R asin(sqrt(a))`` with ``a`` computed as the squared half
    chord between the two points on the unit sphere (the same number as ``sin²(Δφ/2) + cos φ1
    cos φ2 sin²(Δλ/2)``): one transcendental per pair, which matters for n x n matrices.
    """
    x1, y1, z1 = _unit_vector(lon1, lat1)
    x2, y2, z2 = _unit_vector(lon2, lat2)
    dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
    half_chord = np.sqrt(dx * dx + dy * dy + dz * dz) / 2.0
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(half_chord, 1.0))


def _unit_vector(lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat)
    return cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)


def point_distance_m(a: Point, b: Point) -> float:
    """Great-circle metres between two points."""
    return float(haversine_m(a.lon, a.lat, b.lon, b.lat))


def speed_kmh(road_m, settings: TravelSettings) -> np.ndarray:
    """Average driving speed (km/h) of a trip of ``road_m`` road metres: the speed curve."""
    road_km = np.asarray(road_m, dtype=float) / 1000.0
    gap = settings.speed_long_kmh - settings.speed_short_kmh
    return settings.speed_long_kmh - gap * np.exp(-road_km / settings.speed_scale_km)


def drive_minutes(road_m, settings: TravelSettings) -> np.ndarray:
    """Driving minutes for ``road_m`` road metres along the speed curve (no parking)."""
    road_m = np.asarray(road_m, dtype=float)
    return road_m / 1000.0 / speed_kmh(road_m, settings) * 60.0


@dataclass(frozen=True, slots=True)
class Access:
    """Getting from an island's mainland port to a location on the island (or back):
    ``minutes`` (wait, crossing, island stretch) and ``metres`` (crossing and stretch)."""

    minutes: float
    metres: float
    by_car: bool


def ferry_wait_min(ferry: FerryLink, settings: TravelSettings) -> float:
    """Average minutes waiting for a departure at either port."""
    return settings.ferry_wait_fraction * ferry.headway_min


def island_access(
    point: Point, ferry: FerryLink, settings: TravelSettings, *, by_car: bool
) -> Access:
    """Port-to-door on an island: with the car on the regular ferry, or on foot (walk, bike,
    bus at ``island_speed_kmh``) on the fastest ferry with the car left at the mainland port."""
    crossing_m = point_distance_m(ferry.mainland, ferry.island_point)
    stretch_m = settings.circuity * point_distance_m(ferry.island_point, point)
    if by_car:
        crossing = ferry.crossing_min
        stretch = float(drive_minutes(stretch_m, settings))
    else:
        crossing = min(ferry.crossing_min, ferry.fast_crossing_min or ferry.crossing_min)
        stretch = stretch_m / 1000.0 / settings.island_speed_kmh * 60.0
    minutes = ferry_wait_min(ferry, settings) + crossing + stretch
    return Access(minutes=minutes, metres=crossing_m + stretch_m, by_car=by_car)


def best_island_access(point: Point, ferry: FerryLink, settings: TravelSettings) -> Access:
    """The faster of going with the car (if allowed) and going on foot."""
    foot = island_access(point, ferry, settings, by_car=False)
    if not ferry.cars_allowed:
        return foot
    car = island_access(point, ferry, settings, by_car=True)
    return car if car.minutes <= foot.minutes else foot


def on_island_minutes(road_m: np.ndarray, cars_allowed: np.ndarray, settings: TravelSettings):
    """Minutes between two places on the same island: driven, or at ``island_speed_kmh``."""
    walk = road_m / 1000.0 / settings.island_speed_kmh * 60.0
    return np.where(cars_allowed, drive_minutes(road_m, settings), walk)


def crowfly_matrix(
    points: Sequence[Point],
    ferries: Sequence[FerryLink | None],
    settings: TravelSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and metres (float n x n) between ``points``; ``ferries[i]`` is the ferry of an
    island location or None.

    A trip between two places on the mainland (or on the same island) is direct. Otherwise
    each island end is replaced by its mainland port plus its :func:`best_island_access`, so
    a trip between two islands goes via the mainland. The parking allowance is added at every
    destination; the diagonal is zero.
    """
    n = len(points)
    lon = np.array([p.lon for p in points], dtype=float)
    lat = np.array([p.lat for p in points], dtype=float)
    gate_lon, gate_lat = lon.copy(), lat.copy()
    access_min, access_m = np.zeros(n), np.zeros(n)
    island = np.full(n, "", dtype=object)
    for i, ferry in enumerate(ferries):
        if ferry is None:
            continue
        access = best_island_access(points[i], ferry, settings)
        gate_lon[i], gate_lat[i] = ferry.mainland.lon, ferry.mainland.lat
        access_min[i], access_m[i] = access.minutes, access.metres
        island[i] = ferry.island

    road_m = settings.circuity * haversine_m(
        gate_lon[:, None], gate_lat[:, None], gate_lon[None, :], gate_lat[None, :]
    )
    minutes = access_min[:, None] + drive_minutes(road_m, settings) + access_min[None, :]
    metres = access_m[:, None] + road_m + access_m[None, :]

    on_island = np.flatnonzero(island != "")
    if on_island.size:
        _direct_on_islands(on_island, lon, lat, island, ferries, settings, minutes, metres)

    minutes += settings.parking_min
    np.fill_diagonal(minutes, 0.0)
    np.fill_diagonal(metres, 0.0)
    return minutes, metres


def _direct_on_islands(
    idx: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    island: np.ndarray,
    ferries: Sequence[FerryLink | None],
    settings: TravelSettings,
    minutes: np.ndarray,
    metres: np.ndarray,
) -> None:
    """Overwrite, in place, the trips between two places on the same island with the
    direct trip on that island."""
    same = island[idx][:, None] == island[idx][None, :]
    road_m = settings.circuity * haversine_m(
        lon[idx][:, None], lat[idx][:, None], lon[idx][None, :], lat[idx][None, :]
    )
    cars = np.array([ferries[i].cars_allowed for i in idx])[:, None]
    direct_min = on_island_minutes(road_m, cars, settings)
    block = np.ix_(idx, idx)
    minutes[block] = np.where(same, direct_min, minutes[block])
    metres[block] = np.where(same, road_m, metres[block])
