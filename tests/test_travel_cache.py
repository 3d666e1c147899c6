"""The on-disk cache of travel matrices: hits, misses, corrupt files, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest
from osm_sample import NODES, write_sample_osm
from travel_data import ferry_links, municipality_points

from optimizer.domain import Point
from optimizer.travel import TravelSettings, build_travel_matrix
from optimizer.travel import matrix as matrix_module
from optimizer.travel import roads as roads_module


@pytest.fixture(scope="module")
def points(shared_data):
    return municipality_points(shared_data)


@pytest.fixture(scope="module")
def ferries(shared_data):
    return ferry_links(shared_data)


@pytest.fixture
def counted(monkeypatch):
    """Counts how often the crowfly model really computes."""
    calls = []
    real = matrix_module.crowfly_matrix

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(matrix_module, "crowfly_matrix", counting)
    return calls


def test_second_build_reads_the_cache(points, ferries, tmp_path, counted):
    first = build_travel_matrix(points, ferries=ferries, cache_dir=tmp_path)
    again = build_travel_matrix(points, ferries=ferries, cache_dir=tmp_path)
    assert len(counted) == 1
    assert again.ids == first.ids and again.model == "crowfly"
    assert np.array_equal(again.minutes, first.minutes)
    assert np.array_equal(again.metres, first.metres)
    assert [p.name for p in tmp_path.iterdir()] == [
        next(tmp_path.glob("travel-crowfly-*.npz")).name
    ]


@pytest.mark.parametrize(
    "change",
    ["coordinates", "order", "settings", "ferries", "one more location"],
)
def test_anything_the_matrix_depends_on_misses_the_cache(
    points, ferries, tmp_path, counted, change
):
    build_travel_matrix(points, ferries=ferries, cache_dir=tmp_path)
    locations, island, settings = dict(points), dict(ferries), TravelSettings()
    if change == "coordinates":
        code = next(iter(locations))
        locations[code] = Point(locations[code].lon + 1e-6, locations[code].lat)
    elif change == "order":
        locations = dict(reversed(list(locations.items())))
    elif change == "settings":
        settings = TravelSettings(parking_min=6)
    elif change == "ferries":
        island.pop("GM0448")
    else:
        locations["base:X"] = Point(5.1, 52.1)
    changed = build_travel_matrix(locations, ferries=island, settings=settings, cache_dir=tmp_path)
    assert len(counted) == 2
    assert changed.ids == tuple(locations)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_corrupt_cache_file_is_recomputed_and_rewritten(points, tmp_path, counted):
    first = build_travel_matrix(points, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npz")
    cached.write_bytes(b"not a zip file")
    again = build_travel_matrix(points, cache_dir=tmp_path)
    assert len(counted) == 2
    assert np.array_equal(again.minutes, first.minutes)
    assert build_travel_matrix(points, cache_dir=tmp_path).min("GM0014", "GM0034") == first.min(
        "GM0014", "GM0034"
    )
    assert len(counted) == 2  # the rewritten file is good


def test_cache_write_is_atomic_and_leaves_no_temporary_file(points, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(matrix_module.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        build_travel_matrix(points, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    build_travel_matrix(points, cache_dir=tmp_path / "new" / "folder")
    assert [p.suffix for p in (tmp_path / "new" / "folder").iterdir()] == [".npz"]


def test_roads_cache_follows_the_graph_file(tmp_path, monkeypatch):
    graph_file = write_sample_osm(tmp_path / "sample.osm")
    locations = {"W": Point(*NODES[11]), "E": Point(*NODES[16])}
    settings = TravelSettings().with_graph(graph_file)
    loads = []
    real = roads_module.load_road_graph

    def counting(path):
        loads.append(path)
        return real(path)

    monkeypatch.setattr(roads_module, "load_road_graph", counting)
    cache = tmp_path / "cache"
    first = build_travel_matrix(locations, model="roads", settings=settings, cache_dir=cache)
    build_travel_matrix(locations, model="roads", settings=settings, cache_dir=cache)
    assert len(loads) == 1
    # another crowd of locations on the same graph: the frozen graph is reused
    build_travel_matrix({"E": locations["E"]}, model="roads", settings=settings, cache_dir=cache)
    assert len(loads) == 1
    # a changed graph file (new ferry timetable) is read again
    write_sample_osm(graph_file, ferry=False)
    os.utime(graph_file, ns=(1, 1))
    second = build_travel_matrix(locations, model="roads", settings=settings, cache_dir=cache)
    assert len(loads) == 2
    assert np.array_equal(second.minutes, first.minutes)  # W and E do not need the ferry
