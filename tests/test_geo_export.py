"""The GeoPackage export: layers, row counts, CRS, attributes, route lines from home and back,
road geometry over a real OSM network, atomic writing, and the ``export gpkg`` command."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from factories import (
    appointment,
    plan_of,
    tiny_problem,
    valid_appointments,
)
from osm_sample import NODES, write_sample_osm
from pyproj import Transformer
from shapely.geometry import Point as ShapelyPoint
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain import Kind, Organisation, Person, Plan, Point, Role, Status, Unplanned
from optimizer.export.geo import LAYERS, export_geopackage, road_leg_lines, write_geopackage
from optimizer.travel import TravelSettings
from optimizer.travel.roads import load_road_graph

TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
REASON = "no team member can make any of Groningen's free days (leave) <before> the deadline"


@pytest.fixture(scope="module")
def boundaries(shared_data: Path) -> gpd.GeoDataFrame:
    from optimizer.data.organisations import load_boundary_frames

    municipalities, _ = load_boundary_frames()
    return municipalities


@pytest.fixture(scope="module")
def problem():
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem) -> Plan:
    """The hand-checked plan with Groningen's intake left out and some statuses set."""
    statuses = {"GM0310:intake": Status.DONE, "GM0344:session": Status.PROPOSED}
    appointments = [
        replace(a, status=statuses.get(a.visit_id, a.status))
        for a in valid_appointments(problem)
        if a.visit_id != "GM0014:intake"
    ]
    return plan_of(problem, appointments, unplanned=[Unplanned("GM0014:intake", REASON)])


@pytest.fixture(scope="module")
def gpkg(problem, plan, boundaries, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("geo") / "plan.gpkg"
    return export_geopackage(problem, plan, path, boundaries=boundaries)


def _layer(path: Path, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=name)


def _rd(p: Point) -> tuple[float, float]:
    return TO_RD.transform(p.lon, p.lat)


def test_geopackage_has_every_layer_in_rd_new(gpkg) -> None:
    listed = gpd.list_layers(gpkg)
    assert list(listed["name"]) == list(LAYERS)
    for name in LAYERS:
        assert _layer(gpkg, name).crs.to_epsg() == 28992, name
    kinds = dict(zip(listed["name"], listed["geometry_type"], strict=True))
    assert kinds == {
        "organisations": "MultiPolygon",
        "appointments": "Point",
        "routes": "LineString",
        "legs": "LineString",
        "bases": "Point",
    }


def test_layers_have_one_row_per_organisation_appointment_route_leg_person(
    gpkg, problem, plan
) -> None:
    counts = {name: len(_layer(gpkg, name)) for name in LAYERS}
    assert counts == {
        "organisations": len(problem.organisations),
        "appointments": len(plan.appointments),
        "routes": len(plan.routes),
        "legs": sum(len(r.legs) for r in plan.routes),
        "bases": len(problem.people),
    }


def test_routes_carry_person_date_stage_minutes_and_km(gpkg, plan) -> None:
    routes = _layer(gpkg, "routes")
    for column in ("person", "date", "week", "stages", "visits", "travel_min", "travel_km"):
        assert column in routes.columns, column
    assert routes["travel_min"].sum() == plan.travel_min
    assert routes["travel_km"].sum() == pytest.approx(plan.travel_m / 1000, abs=0.01)
    by_key = {(r.person, r.day.isoformat()): r for r in plan.routes}
    for row in routes.itertuples():
        route = by_key[(row.person, row.date)]
        assert row.visits == len(route.visits)
        assert row.travel_min == route.travel_min
        assert row.visit_ids.split(";") == list(route.visits)
    evening = routes[(routes.person == "T1") & (routes.date == "2023-05-02")]
    assert evening["evening"].tolist() == [True]
    assert evening["stages"].tolist() == ["session"]


def test_route_lines_start_and_end_at_the_home_base_through_the_visits(gpkg, problem) -> None:
    routes = _layer(gpkg, "routes")
    for row in routes.itertuples():
        coords = np.asarray(row.geometry.coords)
        home = _rd(problem.people[row.person].base)
        np.testing.assert_allclose(coords[0], home, atol=0.01)
        np.testing.assert_allclose(coords[-1], home, atol=0.01)
        stops = [_rd(problem.organisations[code].location) for code in row.orgs.split(";")]
        np.testing.assert_allclose(coords[1:-1], stops, atol=0.01)


def test_appointments_are_points_at_the_town_halls_with_local_times(gpkg, problem, plan) -> None:
    points = _layer(gpkg, "appointments").set_index("visit_id")
    for a in plan.appointments:
        row = points.loc[a.visit_id]
        assert row["stage"] == a.stage.value and row["status"] == a.status.value
        assert row["people"].split(";") == list(a.people)
        assert row["date"] == problem.axis.date_of(a.start).isoformat()
        assert row["start"].to_pydatetime() == problem.axis.datetime_of(a.start).replace(
            tzinfo=None
        )
        assert row["duration_min"] == a.end - a.start
        x, y = _rd(problem.organisations[a.org].location)
        assert row.geometry.distance(ShapelyPoint(x, y)) < 0.01
    session = points.loc["GM0344:session"]
    assert (session["team_member"], session["trainer"]) == ("T1", "R1")


def test_organisations_have_their_polygon_stage_statuses_and_next_appointment(
    gpkg, problem
) -> None:
    orgs = _layer(gpkg, "organisations").set_index("code")
    for code, org in problem.organisations.items():
        assert orgs.loc[code].geometry.contains(ShapelyPoint(*_rd(org.location))), code
    utrecht = orgs.loc["GM0344"]
    assert (utrecht["intake_status"], utrecht["session_status"]) == ("planned", "proposed")
    assert utrecht["training_date"] == "2023-05-23" and utrecht["training_people"] == "R1"
    assert (utrecht["next_stage"], utrecht["next_date"]) == ("intake", "2023-03-07")
    assert utrecht["progress"] == "intake"
    de_bilt = orgs.loc["GM0310"]  # intake done, no session
    assert de_bilt["session_status"] == "-" and de_bilt["progress"] == "complete"
    assert pd.isna(de_bilt["next_stage"]) and pd.isna(de_bilt["next_date"])
    groningen = orgs.loc["GM0014"]
    assert groningen["intake_status"] == "unplanned" and groningen["progress"] == "unplanned"
    assert groningen["unplanned_reason"] == REASON


def test_progress_as_of_a_date_counts_earlier_visits_as_held(problem, plan, tmp_path) -> None:
    from datetime import date

    path = export_geopackage(problem, plan, tmp_path / "p.gpkg", as_of=date(2023, 5, 4))
    orgs = _layer(path, "organisations").set_index("code")
    assert orgs.loc["GM0344", "progress"] == "training"  # intake and session passed
    assert orgs.loc["GM0307", "progress"] == "complete"
    assert orgs.loc["GM0355", "progress"] == "session"  # its session is on 05-11
    assert orgs.loc["GM0014", "progress"] == "unplanned"
    assert orgs.geometry.isna().all()  # no boundaries given: no polygons, rows still there


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(gpkg, tmp_path) -> None:
    target = tmp_path / "plan.gpkg"
    target.write_bytes(gpkg.read_bytes())

    class Broken:
        def to_file(self, *args, **kwargs):
            raise RuntimeError("disk full")

    good = _layer(gpkg, "bases")
    with pytest.raises(RuntimeError, match="disk full"):
        write_geopackage({"bases": good, "broken": Broken()}, target)
    assert target.read_bytes() == gpkg.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


# --------------------------------------------------------------------------- road geometry


def _node_org(code: str, node: int) -> Organisation:
    lon, lat = NODES[node]
    return Organisation(code, code, Kind.GEMEENTE, "PV21", "Fryslân", Point(lon, lat), "noord")


def test_road_lines_follow_the_fastest_path_of_the_osm_network(tmp_path) -> None:
    graph = load_road_graph(write_sample_osm(tmp_path / "sample.osm"))
    west, east = _node_org("GM9001", 11), _node_org("GM9002", 16)
    person = Person("T1", "T", Role.TEAM, west.location, "west", region="noord")
    problem = tiny_problem(orgs=[west, east], people=[person], sessions=(), trainings={})
    a = appointment(problem, "GM9002:intake", "T1", "2023-03-07", "10:00")
    plan = plan_of(problem, [a], unplanned=[Unplanned("GM9001:intake", "test")])
    lines = road_leg_lines(problem, plan, graph, TravelSettings())
    assert set(lines) == {("base:T1", "GM9002"), ("GM9002", "base:T1")}
    out = [tuple(c) for c in lines[("base:T1", "GM9002")].coords]
    back = [tuple(c) for c in lines[("GM9002", "base:T1")].coords]
    north_row = [NODES[n] for n in (11, 12, 13, 14, 15, 16)]
    assert out[1:-1] == north_row  # the one-way primary road east
    assert NODES[1] in back and NODES[6] in back  # back west along the south row
    assert not set(north_row[1:-1]) & set(back)

    path = export_geopackage(problem, plan, tmp_path / "roads.gpkg", leg_lines=lines)
    route = _layer(path, "routes").geometry.iloc[0]
    assert len(route.coords) == len(out) + len(back) - 1


# --------------------------------------------------------------------------- command


@pytest.mark.slow
def test_export_gpkg_command_writes_the_plan_folder_as_a_geopackage(shared_data, tmp_path):
    from optimizer.plan.io import read_plan
    from optimizer.plan.sample import sample_plan

    sample = sample_plan(tmp_path / "sample", time_limit=5)
    out = tmp_path / "out" / "plan.gpkg"
    result = CliRunner().invoke(app, ["export", "gpkg", str(sample.plan), "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = read_plan(sample.plan)
    assert len(_layer(out, "appointments")) == len(plan.appointments)
    assert len(_layer(out, "routes")) == len(plan.routes)
    orgs = _layer(out, "organisations")
    assert orgs.crs.to_epsg() == 28992 and orgs.geometry.notna().all()
    sample_codes = gpd.read_file(sample.folder / "boundaries" / "gemeenten_2023.geojson")
    assert set(orgs["code"]) == {*sample_codes["statcode"], "PV26"}
    help_text = CliRunner().invoke(app, ["export", "--help"]).output
    assert "gpkg" in help_text and "ics" in help_text
