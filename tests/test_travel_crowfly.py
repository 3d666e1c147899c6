"""The crowfly travel model on the real municipality points and ferries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from travel_data import (
    AMELAND,
    GRONINGEN,
    LEEUWARDEN,
    MAASTRICHT,
    SCHIERMONNIKOOG,
    TERSCHELLING,
    TEXEL,
    VLIELAND,
    ferry_links,
    municipality_points,
)

from optimizer.cli.travel import run_travel
from optimizer.domain import Point
from optimizer.errors import TravelError
from optimizer.travel import TravelSettings, build_travel_matrix, travel_locations
from optimizer.travel.crowfly import drive_minutes, speed_kmh

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def points(shared_data):
    return municipality_points(shared_data)


@pytest.fixture(scope="module")
def ferries(shared_data):
    return ferry_links(shared_data)


@pytest.fixture(scope="module")
def matrix(points, ferries):
    return build_travel_matrix(points, ferries=ferries)


def port(ferries, code: str) -> Point:
    return ferries[code].mainland


def test_matrix_has_the_locations_in_order_and_zero_diagonal(points, matrix):
    assert matrix.ids == tuple(points)
    assert len(matrix.ids) == 342
    assert matrix.minutes.dtype.kind == "i" and matrix.metres.dtype.kind == "i"
    assert not np.diag(matrix.minutes).any() and not np.diag(matrix.metres).any()
    off = ~np.eye(len(points), dtype=bool)
    assert (matrix.minutes[off] > 0).all()


def test_mainland_metres_are_great_circle_times_circuity(points, ferries, matrix):
    mainland = [c for c in points if c not in ferries]
    rng = np.random.default_rng(1)
    for a, b in rng.choice(mainland, size=(40, 2)):
        if a == b:
            continue
        _, _, geodesic_m = GEOD.inv(points[a].lon, points[a].lat, points[b].lon, points[b].lat)
        assert matrix.m(a, b) == pytest.approx(1.3 * geodesic_m, rel=0.005)


def test_speed_curve_is_slow_in_town_and_about_80_kmh_on_long_trips(points, ferries, matrix):
    settings = TravelSettings()
    mainland = [matrix.index[c] for c in points if c not in ferries]
    block = np.ix_(mainland, mainland)
    metres, minutes = matrix.metres[block], matrix.minutes[block]
    off = metres > 0
    kmh = metres[off] / 1000 / ((minutes[off] - settings.parking_min) / 60)
    short, long = metres[off] < 6_000, metres[off] > 200_000
    assert short.any() and long.any()
    assert kmh[short].max() < 45
    assert kmh[long].min() >= 75 and kmh[long].max() <= 81
    assert matrix.min(LEEUWARDEN, MAASTRICHT) > matrix.min(LEEUWARDEN, GRONINGEN)
    # the curve itself: faster with distance, driving time still growing
    road_m = np.linspace(0, 400_000, 2001)
    assert np.all(np.diff(speed_kmh(road_m, settings)) > 0)
    assert np.all(np.diff(drive_minutes(road_m, settings)) > 0)


def test_parking_allowance_is_added_once_at_every_destination(points):
    some = dict(list(points.items())[:30])
    with_parking = build_travel_matrix(some, settings=TravelSettings(parking_min=7))
    without = build_travel_matrix(some, settings=TravelSettings(parking_min=0))
    off = ~np.eye(30, dtype=bool)
    diff = with_parking.minutes - without.minutes
    assert (diff[off] == 7).all() and (diff[~off] == 0).all()


def test_island_trips_from_leeuwarden_cost_far_more_than_the_crow_flies(points, ferries, matrix):
    """Schiermonnikoog and Terschelling lie ~46 and ~41 km from Leeuwarden as the crow
    flies, less than Groningen (54 km); with the drive to the port, the wait and the
    crossing they take several times as long."""
    no_ferries = build_travel_matrix(points)
    for island in (SCHIERMONNIKOOG, TERSCHELLING):
        ferry = ferries[island]
        assert no_ferries.m(LEEUWARDEN, island) < no_ferries.m(LEEUWARDEN, GRONINGEN)
        assert matrix.min(LEEUWARDEN, island) >= 2.5 * no_ferries.min(LEEUWARDEN, island)
        assert matrix.min(LEEUWARDEN, island) >= 2 * matrix.min(LEEUWARDEN, GRONINGEN)
        crossing = min(ferry.crossing_min, ferry.fast_crossing_min or ferry.crossing_min)
        assert (
            matrix.min(LEEUWARDEN, island)
            >= crossing + ferry.headway_min * TravelSettings().ferry_wait_fraction + 30
        )
        assert matrix.min(island, LEEUWARDEN) == matrix.min(LEEUWARDEN, island)


def test_car_free_island_is_reached_on_foot_from_the_mainland_port(points, ferries):
    ferry = ferries[SCHIERMONNIKOOG]
    assert not ferry.cars_allowed
    settings = TravelSettings()
    locations = {
        LEEUWARDEN: points[LEEUWARDEN],
        "port": ferry.mainland,
        SCHIERMONNIKOOG: points[SCHIERMONNIKOOG],
    }
    m = build_travel_matrix(locations, ferries={SCHIERMONNIKOOG: ferry}, settings=settings)
    _, _, stretch = GEOD.inv(*_lonlat(ferry.island_point), *_lonlat(points[SCHIERMONNIKOOG]))
    on_foot = 1.3 * stretch / 1000 / settings.island_speed_kmh * 60
    expected = ferry.headway_min * settings.ferry_wait_fraction + ferry.crossing_min + on_foot
    assert m.min("port", SCHIERMONNIKOOG) == pytest.approx(expected + settings.parking_min, abs=1)
    assert m.min(LEEUWARDEN, SCHIERMONNIKOOG) == pytest.approx(
        m.min(LEEUWARDEN, "port") + expected, abs=1
    )


def test_island_with_a_fast_ferry_is_reached_the_faster_way(points, ferries):
    """Terschelling: the car ferry takes 120 min, the fast passenger ferry 45; leaving the
    car in Harlingen wins. Texel has no fast ferry: there the car goes along."""
    settings = TravelSettings()
    for code, by_foot in ((TERSCHELLING, True), (TEXEL, False)):
        ferry = ferries[code]
        locations = {"port": ferry.mainland, code: points[code]}
        m = build_travel_matrix(locations, ferries={code: ferry}, settings=settings)
        _, _, stretch = GEOD.inv(*_lonlat(ferry.island_point), *_lonlat(points[code]))
        foot = ferry.headway_min * settings.ferry_wait_fraction + (
            ferry.fast_crossing_min or ferry.crossing_min
        )
        foot += 1.3 * stretch / 1000 / settings.island_speed_kmh * 60
        car = (
            ferry.headway_min * settings.ferry_wait_fraction
            + ferry.crossing_min
            + drive_minutes(1.3 * stretch, settings)
        )
        assert (foot < car) == by_foot
        assert m.min("port", code) == pytest.approx(min(foot, car) + settings.parking_min, abs=1)


def test_trips_between_two_islands_go_via_the_mainland(points, ferries, matrix):
    parking = TravelSettings().parking_min
    locations = dict(points)
    locations |= {"den_helder": port(ferries, TEXEL), "holwerd": port(ferries, AMELAND)}
    locations |= {"harlingen": port(ferries, VLIELAND)}
    m = build_travel_matrix(locations, ferries=ferries)
    via = m.min(TEXEL, "den_helder") + m.min("den_helder", "holwerd") + m.min("holwerd", AMELAND)
    assert m.min(TEXEL, AMELAND) == pytest.approx(via - 2 * parking, abs=2)
    # Vlieland and Terschelling share Harlingen: both crossings, no drive between
    both = m.min(VLIELAND, "harlingen") + m.min("harlingen", TERSCHELLING)
    assert m.min(VLIELAND, TERSCHELLING) == pytest.approx(both - parking, abs=2)
    assert m.m(VLIELAND, TERSCHELLING) == pytest.approx(
        m.m(VLIELAND, "harlingen") + m.m("harlingen", TERSCHELLING), abs=2
    )


def test_a_trip_on_one_island_stays_on_the_island(points, ferries):
    ferry = ferries[TEXEL]
    home = Point(4.79, 53.05)  # a base in Den Burg's surroundings
    locations = {"base:T": home, TEXEL: points[TEXEL]}
    m = build_travel_matrix(locations, ferries={"base:T": ferry, TEXEL: ferry})
    assert m.min("base:T", TEXEL) < ferry.crossing_min
    _, _, direct = GEOD.inv(*_lonlat(home), *_lonlat(points[TEXEL]))
    assert m.m("base:T", TEXEL) == pytest.approx(1.3 * direct, rel=0.005)


def test_ferry_metres_include_the_crossing(points, ferries):
    ferry = ferries[TERSCHELLING]
    locations = {LEEUWARDEN: points[LEEUWARDEN], TERSCHELLING: points[TERSCHELLING]}
    m = build_travel_matrix(locations, ferries={TERSCHELLING: ferry})
    _, _, to_port = GEOD.inv(*_lonlat(points[LEEUWARDEN]), *_lonlat(ferry.mainland))
    _, _, crossing = GEOD.inv(*_lonlat(ferry.mainland), *_lonlat(ferry.island_point))
    _, _, stretch = GEOD.inv(*_lonlat(ferry.island_point), *_lonlat(points[TERSCHELLING]))
    expected = 1.3 * to_port + crossing + 1.3 * stretch
    assert m.m(LEEUWARDEN, TERSCHELLING) == pytest.approx(expected, rel=0.005)


def test_home_bases_take_their_municipality_location_and_ferry(points, ferries):
    from optimizer.domain import Kind, Organisation

    orgs = {
        code: Organisation(
            code,
            code,
            Kind.GEMEENTE,
            "PV21",
            "Fryslân",
            points[code],
            "noord",
            ferry=ferries.get(code),
        )
        for code in (LEEUWARDEN, TERSCHELLING)
    }
    locations, island_of = travel_locations(orgs, {"T1": TERSCHELLING, "R1": Point(5.1, 52.1)})
    assert list(locations) == [LEEUWARDEN, TERSCHELLING, "base:T1", "base:R1"]
    assert locations["base:T1"] == points[TERSCHELLING]
    assert set(island_of) == {TERSCHELLING, "base:T1"}
    with pytest.raises(TravelError, match="T2.*GM9999"):
        travel_locations(orgs, {"T2": "GM9999"})


@pytest.mark.parametrize(
    ("locations", "kwargs", "message"),
    [
        ({"a": Point(5, 52)}, {"model": "teleport"}, "unknown travel model 'teleport'"),
        ({}, {}, "no locations"),
        ({"a": Point(5, 152)}, {}, "location a: not a WGS84"),
        ({"a": Point(float("nan"), 52)}, {}, "location a: not a WGS84"),
    ],
)
def test_bad_input_raises_travel_error(locations, kwargs, message):
    with pytest.raises(TravelError, match=message):
        build_travel_matrix(locations, **kwargs)


def test_ferry_for_an_unknown_location_raises(ferries):
    with pytest.raises(TravelError, match=TEXEL):
        build_travel_matrix({"a": Point(5, 52)}, ferries={TEXEL: ferries[TEXEL]})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("circuity", 0.9),
        ("speed_short_kmh", 10.0),
        ("ferry_wait_fraction", 1.5),
        ("parking_min", -1),
    ],
)
def test_settings_reject_values_that_make_no_sense(field, value):
    with pytest.raises(TravelError, match=field):
        TravelSettings(**{field: value})


def test_travel_command_prints_a_summary_and_writes_the_matrix(points, ferries, tmp_path, capsys):
    out = tmp_path / "m.parquet"
    matrix = run_travel(
        points, ferries, model="crowfly", settings=TravelSettings(), cache_dir=None, out=out
    )
    printed = capsys.readouterr().out
    assert "5 longest trips" in printed and "5 shortest trips" in printed
    assert "Schiermonnikoog" in printed and "Terschelling" in printed
    frame = pd.read_parquet(out)
    assert len(frame) == 342 * 342
    row = frame[(frame.origin == LEEUWARDEN) & (frame.destination == TERSCHELLING)].iloc[0]
    assert (row.minutes, row.metres) == (
        matrix.min(LEEUWARDEN, TERSCHELLING),
        matrix.m(LEEUWARDEN, TERSCHELLING),
    )
    with pytest.raises(TravelError, match="csv or .parquet"):
        run_travel(
            points,
            {},
            model="crowfly",
            settings=TravelSettings(),
            cache_dir=None,
            out=tmp_path / "m.xlsx",
        )


def _lonlat(p: Point) -> tuple[float, float]:
    return p.lon, p.lat
