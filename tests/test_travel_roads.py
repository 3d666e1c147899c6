"""The roads travel model on a small OSM XML network the tests write themselves
(:mod:`osm_sample`): every expected time is added up by hand along a chosen route."""

from __future__ import annotations

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import requests
from osm_sample import NODES, route_m, route_seconds, segment_m, write_sample_osm

from optimizer.cli.travel import run_travel
from optimizer.domain import FerryLink, Point
from optimizer.errors import NetworkError, TravelError
from optimizer.travel import TravelSettings, build_travel_matrix
from optimizer.travel import roads as roads_module
from optimizer.travel.roads import (
    add_ferry_edges,
    download_drive_graph,
    graph_from_osm_xml,
    load_road_graph,
    parse_osm_duration_s,
    road_graph_from_networkx,
)

SETTINGS = TravelSettings()
PARKING = SETTINGS.parking_min
WAIT_S = (
    SETTINGS.ferry_wait_fraction * SETTINGS.default_ferry_headway_min * 60
)  # the sample ferry has no interval
FERRY_S = 45 * 60 + WAIT_S

# hand-chosen fastest routes: (node path, km/h) legs; "ferry" for the crossing 16 - 41 - 21
NORTH = ([11, 12, 13, 14, 15, 16], 100)  # one-way eastbound
EAST_DOWN = ([16, 34, 33, 6], 30)
SOUTH_EAST_WEST = ([6, 5, 4], 80)
SOUTH_WEST_WEST = ([4, 3, 2, 1], 50)
WEST_UP = ([1, 31, 32, 11], 30)
WEST_DOWN = ([11, 32, 31, 1], 30)
ISLAND_OUT = ([21, 22, 23], 60)
ISLAND_IN = ([23, 22, 21], 60)
FERRY_OUT, FERRY_IN = "ferry-out", "ferry-in"

LOCATIONS = {"W": 11, "E": 16, "S": 1, "I": 23}
ROUTES = {
    ("W", "E"): [NORTH],
    ("E", "W"): [EAST_DOWN, SOUTH_EAST_WEST, SOUTH_WEST_WEST, WEST_UP],
    ("W", "S"): [WEST_DOWN],
    ("S", "W"): [WEST_UP],
    ("S", "E"): [WEST_UP, NORTH],
    ("E", "S"): [EAST_DOWN, SOUTH_EAST_WEST, SOUTH_WEST_WEST],
    ("W", "I"): [NORTH, FERRY_OUT, ISLAND_OUT],
    ("I", "W"): [ISLAND_IN, FERRY_IN, EAST_DOWN, SOUTH_EAST_WEST, SOUTH_WEST_WEST, WEST_UP],
    ("E", "I"): [FERRY_OUT, ISLAND_OUT],
    ("I", "E"): [ISLAND_IN, FERRY_IN],
    ("S", "I"): [WEST_UP, NORTH, FERRY_OUT, ISLAND_OUT],
    ("I", "S"): [ISLAND_IN, FERRY_IN, EAST_DOWN, SOUTH_EAST_WEST, SOUTH_WEST_WEST],
}


def by_hand(legs) -> tuple[float, float]:
    """Seconds and metres along hand-chosen legs."""
    seconds = metres = 0.0
    for leg in legs:
        if leg in (FERRY_OUT, FERRY_IN):
            seconds += FERRY_S
            metres += route_m([16, 41, 21] if leg == FERRY_OUT else [21, 41, 16])
        else:
            nodes, kmh = leg
            seconds += route_seconds(nodes, kmh)
            metres += route_m(nodes)
    return seconds, metres


def point(node: int) -> Point:
    return Point(*NODES[node])


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory):
    return write_sample_osm(tmp_path_factory.mktemp("osm") / "sample.osm")


@pytest.fixture(scope="module")
def osm_file_without_ferry(tmp_path_factory):
    return write_sample_osm(tmp_path_factory.mktemp("osm") / "no_ferry.osm", ferry=False)


def roads(locations, graph_file, *, ferries=None, settings=SETTINGS, cache_dir=None):
    return build_travel_matrix(
        locations,
        ferries=ferries or {},
        model="roads",
        settings=settings.with_graph(graph_file),
        cache_dir=cache_dir,
    )


@pytest.fixture(scope="module")
def sample_matrix(osm_file):
    return roads({k: point(n) for k, n in LOCATIONS.items()}, osm_file)


@pytest.mark.parametrize(("a", "b"), sorted(ROUTES))
def test_matrix_equals_the_times_added_up_by_hand(sample_matrix, a, b):
    seconds, metres = by_hand(ROUTES[a, b])
    assert sample_matrix.min(a, b) == round(seconds / 60 + PARKING)
    assert sample_matrix.m(a, b) == pytest.approx(metres, abs=1)


def test_one_way_street_makes_the_matrix_asymmetric(sample_matrix):
    assert sample_matrix.min("E", "W") - PARKING > 3 * (sample_matrix.min("W", "E") - PARKING)
    assert sample_matrix.m("E", "W") > sample_matrix.m("W", "E")
    assert sample_matrix.min("W", "S") == sample_matrix.min("S", "W")


def test_ferry_crossing_and_wait_come_from_the_osm_tags(osm_file, tmp_path):
    text = osm_file.read_text().replace(
        '<tag k="duration" v="00:45"/>', '<tag k="duration" v="0:30"/><tag k="interval" v="01:00"/>'
    )
    edited = tmp_path / "faster_ferry.osm"
    edited.write_text(text)
    m = roads({"E": point(16), "I": point(23)}, edited)
    expected = 30 * 60 + SETTINGS.ferry_wait_fraction * 3600 + route_seconds(*ISLAND_OUT)
    assert m.min("E", "I") == round(expected / 60 + PARKING)


def test_off_road_location_gets_an_access_leg(osm_file):
    off = Point(5.08, 53.003)  # ~334 m north of node 5
    m = roads({"S": point(1), "off": off}, osm_file)
    straight = float(ox.distance.great_circle(53.00, 5.08, off.lat, off.lon))
    legs = [([1, 2, 3, 4], 50), ([4, 5], 80)]
    seconds, metres = by_hand(legs)
    access_m = 1.3 * straight
    seconds += access_m / (SETTINGS.speed_short_kmh / 3.6)
    assert m.min("S", "off") == round(seconds / 60 + PARKING)
    assert m.m("S", "off") == pytest.approx(metres + access_m, abs=2)


def test_location_far_from_any_road_raises_naming_it(osm_file):
    with pytest.raises(TravelError, match=r"location sea .* km from the nearest road"):
        roads({"W": point(11), "sea": Point(4.80, 53.05)}, osm_file)


def test_missing_graph_file_raises(tmp_path):
    with pytest.raises(TravelError, match="no road graph file.*roads download"):
        roads({"W": point(11)}, tmp_path / "nowhere.graphml")


def test_roads_model_without_a_graph_raises():
    with pytest.raises(TravelError, match="needs a road graph"):
        build_travel_matrix({"W": point(11)}, model="roads")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.osm", "<osm><node id='1' lat='53' lon=", "not a readable road graph"),
        ("broken.graphml", "this is not xml at all", "not a readable road graph"),
        ("empty.osm", '<osm version="0.6"></osm>', "not a readable road graph|no edges"),
        ("roads.shp", "whatever", "unknown road graph format"),
    ],
)
def test_garbled_graph_file_raises(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TravelError, match=message) as info:
        roads({"W": point(11)}, path)
    assert name in str(info.value)


def test_graphml_round_trip_keeps_the_matrix(osm_file, sample_matrix, tmp_path):
    graphml = tmp_path / "sample.graphml"
    ox.save_graphml(graph_from_osm_xml(osm_file), graphml)
    again = roads({k: point(n) for k, n in LOCATIONS.items()}, graphml)
    assert np.array_equal(again.minutes, sample_matrix.minutes)
    assert np.array_equal(again.metres, sample_matrix.metres)


def test_simplified_graph_keeps_travel_times_exact(osm_file):
    """Simplification merges node 4, where 50 km/h becomes 80 km/h, and the ferry's shape
    point: times are summed per merged edge, so routes between intersections cost the same."""
    full = road_graph_from_networkx(graph_from_osm_xml(osm_file))
    simple = road_graph_from_networkx(graph_from_osm_xml(osm_file, simplify=True))
    assert simple.n_nodes < full.n_nodes
    ids, points = ["W", "E", "S", "I"], [point(11), point(16), point(3), point(22)]
    a, am = roads_module.road_matrix(full, ids, points, {}, SETTINGS)
    b, bm = roads_module.road_matrix(simple, ids, points, {}, SETTINGS)
    # edge times are rounded to centiseconds: merged edges may differ by that much
    assert np.allclose(a, b, atol=0.001) and np.allclose(am, bm, atol=1.5)


def test_car_free_island_is_reached_on_foot_from_its_mainland_port(osm_file):
    ferry = FerryLink(
        island="Proefeiland",
        mainland_port="Zuidhaven",
        mainland=point(1),
        island_port="Eilandhaven",
        island_point=Point(4.95, 53.08),
        crossing_min=50,
        fast_crossing_min=30,
        cars_allowed=False,
        headway_min=90,
    )
    village = Point(4.93, 53.09)  # ~ 8 km from the nearest road: no road on the island
    m = roads({"W": point(11), "X": village}, osm_file, ferries={"X": ferry})
    crossing_m = float(ox.distance.great_circle(53.00, 5.00, 53.08, 4.95))
    walk_m = 1.3 * float(ox.distance.great_circle(53.08, 4.95, village.lat, village.lon))
    seconds, metres = by_hand([WEST_DOWN])
    seconds += (
        SETTINGS.ferry_wait_fraction * 90 * 60
        + 30 * 60
        + walk_m / (SETTINGS.island_speed_kmh / 3.6)
    )
    assert m.min("W", "X") == round(seconds / 60 + PARKING)
    assert m.m("W", "X") == pytest.approx(metres + crossing_m + walk_m, rel=0.002)


def island_ferry(cars_allowed: bool = True) -> FerryLink:
    """The sample's ferry as a FerryLink: ports at nodes 16 and 21, 45 min, every 2 hours."""
    return FerryLink(
        island="Eiland",
        mainland_port="Oosthaven",
        mainland=point(16),
        island_port="Eilandhaven",
        island_point=point(21),
        crossing_min=45,
        fast_crossing_min=None,
        cars_allowed=cars_allowed,
        headway_min=120,
    )


def test_car_island_without_a_ferry_in_the_graph_is_reached_on_foot(osm_file_without_ferry):
    m = roads(
        {"W": point(11), "I": point(23)}, osm_file_without_ferry, ferries={"I": island_ferry()}
    )
    walk_m = 1.3 * float(ox.distance.great_circle(53.10, 5.10, 53.12, 5.14))
    seconds, _ = by_hand([NORTH])
    seconds += (
        SETTINGS.ferry_wait_fraction * 120 * 60
        + 45 * 60
        + walk_m / (SETTINGS.island_speed_kmh / 3.6)
    )
    assert m.min("W", "I") == round(seconds / 60 + PARKING)


def test_added_ferry_edges_carry_the_car_to_the_island(osm_file_without_ferry):
    graph = graph_from_osm_xml(osm_file_without_ferry)
    assert add_ferry_edges(graph, [island_ferry(), island_ferry(cars_allowed=False)]) == ["Eiland"]
    frozen = road_graph_from_networkx(graph)
    minutes, metres = roads_module.road_matrix(
        frozen, ["W", "I"], [point(11), point(23)], {"I": island_ferry()}, SETTINGS
    )
    seconds, by_road_m = by_hand([NORTH, ISLAND_OUT])
    seconds += 45 * 60 + SETTINGS.ferry_wait_fraction * 120 * 60
    assert round(minutes[0, 1]) == round(seconds / 60 + PARKING)
    assert metres[0, 1] == pytest.approx(by_road_m + segment_m(16, 21), abs=1)


def test_download_builds_and_saves_a_graph_with_ferries(
    osm_file_without_ferry, tmp_path, monkeypatch
):
    """The download pipeline, with Overpass replaced by the sample file (simplified: the
    island location is put at an intersection, node 22)."""
    raw = ox.graph_from_xml(osm_file_without_ferry, simplify=False, retain_all=True)
    monkeypatch.setattr(roads_module, "check_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", lambda *a, **k: raw.copy())
    path = download_drive_graph(None, [island_ferry()], tmp_path / "roads")
    assert path.name == "nl_drive.graphml" and not list(path.parent.glob("*.tmp"))
    graph = load_road_graph(path)
    assert graph.ferry.sum() == 2
    m = roads({"W": point(11), "I": point(22)}, path)
    seconds, _ = by_hand([NORTH, ([21, 22], 60)])
    assert m.min("W", "I") == round(
        (seconds + 45 * 60 + SETTINGS.ferry_wait_fraction * 120 * 60) / 60 + PARKING
    )


def test_download_without_network_raises_network_error(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(roads_module.socket, "create_connection", offline)
    with pytest.raises(NetworkError, match="roads download"):
        download_drive_graph(None, [], tmp_path)

    def refused(*args, **kwargs):
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(roads_module, "check_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", refused)
    with pytest.raises(NetworkError, match="connection refused"):
        download_drive_graph(None, [], tmp_path)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:45", 2700),
        ("1:30", 5400),
        ("45", 2700),
        ("01:00:30", 3630),
        ("soon", None),
        (None, None),
    ],
)
def test_osm_durations_are_read(value, seconds):
    parsed = parse_osm_duration_s(value)
    assert (np.isnan(parsed) and seconds is None) or parsed == seconds


def test_travel_command_with_roads_writes_an_asymmetric_matrix(osm_file, tmp_path, capsys):
    out = tmp_path / "roads.csv"
    locations = {k: point(n) for k, n in LOCATIONS.items()}
    settings = SETTINGS.with_graph(osm_file)
    m = run_travel(locations, {}, model="roads", settings=settings, cache_dir=tmp_path, out=out)
    assert "5 longest trips" in capsys.readouterr().out
    text = out.read_text().splitlines()
    assert text[0] == "origin,destination,minutes,metres"
    assert f"E,W,{m.min('E', 'W')},{m.m('E', 'W')}" in text
    with pytest.raises(TravelError, match="no road graph file"):
        run_travel(
            locations,
            {},
            model="roads",
            settings=SETTINGS.with_graph(tmp_path / "x.osm"),
            cache_dir=None,
            out=out,
        )


def test_sample_network_is_what_the_docstring_draws(osm_file):
    graph = graph_from_osm_xml(osm_file)
    assert isinstance(graph, nx.MultiDiGraph) and len(graph) == len(NODES)
    assert graph.has_edge(11, 12) and not graph.has_edge(12, 11)  # one-way
    assert graph.has_edge(16, 41) and graph.has_edge(41, 16)  # ferry both ways
