"""The 354 organisations built from the real CBS 2023 boundaries, their overrides, and
``optimizer data check``."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.organisations import (
    DEFAULT_HOLIDAY_REGION,
    load_boundary_frames,
    load_ferries,
    load_organisations,
    organisations_frame,
    read_capitals,
)
from optimizer.domain import Kind, Organisation
from optimizer.errors import DataError
from optimizer.scenario import parse_scenario

CBS_2023_MUNICIPALITIES_PER_PROVINCE = {
    "Groningen": 10,
    "Fryslân": 18,
    "Drenthe": 12,
    "Overijssel": 25,
    "Flevoland": 6,
    "Gelderland": 51,
    "Utrecht": 26,
    "Noord-Holland": 44,
    "Zuid-Holland": 50,
    "Zeeland": 13,
    "Noord-Brabant": 56,
    "Limburg": 31,
}
WADDEN_ISLANDS = {
    "GM0448": "Texel",
    "GM0096": "Vlieland",
    "GM0093": "Terschelling",
    "GM0060": "Ameland",
    "GM0088": "Schiermonnikoog",
}


@pytest.fixture(scope="module")
def orgs(shared_data: Path) -> dict[str, Organisation]:
    return load_organisations()


@pytest.fixture(scope="module")
def frames(shared_data: Path):
    return load_boundary_frames()


def _scenario(tmp_path: Path, **files: str):
    """A scenario in ``tmp_path`` whose [data] section names the given CSV files."""
    lines = ["[data]"]
    for key, text in files.items():
        (tmp_path / f"{key}.csv").write_text(text, encoding="utf-8")
        lines.append(f'{key} = "{key}.csv"')
    return parse_scenario("\n".join(lines) + "\n", folder=tmp_path)


def test_354_organisations_342_municipalities_12_provinces_ordered_by_code(orgs) -> None:
    assert len(orgs) == 354
    assert list(orgs) == sorted(orgs)
    kinds = Counter(o.kind for o in orgs.values())
    assert kinds == {Kind.GEMEENTE: 342, Kind.PROVINCIE: 12}
    assert all(code == o.code for code, o in orgs.items())
    assert all(o.code.startswith("GM") == (o.kind is Kind.GEMEENTE) for o in orgs.values())


def test_municipalities_per_province_match_cbs_2023(orgs) -> None:
    counts = Counter(o.province_name for o in orgs.values() if o.kind is Kind.GEMEENTE)
    assert dict(counts) == CBS_2023_MUNICIPALITIES_PER_PROVINCE


def test_amsterdam_lies_in_noord_holland(orgs) -> None:
    amsterdam = orgs["GM0363"]
    assert amsterdam.name == "Amsterdam"
    assert (amsterdam.province_code, amsterdam.province_name) == ("PV27", "Noord-Holland")


def test_provinces_belong_to_themselves(orgs) -> None:
    for o in orgs.values():
        if o.kind is Kind.PROVINCIE:
            assert (o.province_code, o.province_name) == (o.code, o.name)


def test_every_municipality_visit_location_lies_in_its_own_polygon(orgs, frames) -> None:
    municipalities, _ = frames
    shapes = dict(zip(municipalities["statcode"], municipalities.geometry, strict=True))
    outside = [
        code
        for code, o in orgs.items()
        if o.kind is Kind.GEMEENTE
        and not shapes[code].covers(shapely.Point(o.location.lon, o.location.lat))
    ]
    assert outside == []


def test_each_province_visit_location_lies_in_the_province_at_its_capital(orgs, frames) -> None:
    _, provinces = frames
    shapes = dict(zip(provinces["statcode"], provinces.geometry, strict=True))
    capitals = read_capitals()
    for code, o in orgs.items():
        if o.kind is Kind.PROVINCIE:
            assert shapes[code].covers(shapely.Point(o.location.lon, o.location.lat)), code
            capital = orgs[capitals[code]]
            assert o.location == capital.location
            assert capital.province_code == code


def test_holiday_region_follows_the_province_by_default(orgs) -> None:
    assert set(DEFAULT_HOLIDAY_REGION.values()) == {"noord", "midden", "zuid"}
    for o in orgs.values():
        assert o.holiday_region == DEFAULT_HOLIDAY_REGION[o.province_code], o.code
    assert orgs["GM0363"].holiday_region == "noord"  # Amsterdam
    assert orgs["GM0344"].holiday_region == "midden"  # Utrecht
    assert orgs["GM0935"].holiday_region == "zuid"  # Maastricht


def test_exactly_the_five_wadden_islands_have_a_ferry(orgs) -> None:
    with_ferry = {code: o.ferry.island for code, o in orgs.items() if o.ferry is not None}
    assert with_ferry == WADDEN_ISLANDS
    assert all(orgs[code].province_name in ("Noord-Holland", "Fryslân") for code in with_ferry)


def test_vlieland_and_schiermonnikoog_are_car_free(orgs) -> None:
    car_free = {code for code, o in orgs.items() if o.ferry and not o.ferry.cars_allowed}
    assert car_free == {"GM0096", "GM0088"}


def test_builtin_ferries_have_crossings_and_headways() -> None:
    ferries = load_ferries()
    assert set(ferries) == set(WADDEN_ISLANDS)
    assert ferries["GM0448"].headway_min == 60
    assert ferries["GM0448"].crossing_min == 20
    assert ferries["GM0096"].fast_crossing_min == 45
    assert ferries["GM0060"].fast_crossing_min is None
    assert all(link.headway_min > 0 and link.crossing_min > 0 for link in ferries.values())


def test_organisations_frame_has_one_wgs84_point_per_organisation(orgs) -> None:
    frame = organisations_frame(orgs)
    assert len(frame) == 354
    assert frame.crs.to_epsg() == 4326
    assert list(frame["code"]) == list(orgs)
    row = frame.loc[frame["code"] == "GM0096"].iloc[0]
    assert row["ferry"] == "Vlieland" and bool(row["car_free"])
    assert (row.geometry.x, row.geometry.y) == (
        orgs["GM0096"].location.lon,
        orgs["GM0096"].location.lat,
    )


def test_loading_organisations_takes_well_under_two_seconds(orgs) -> None:
    started = time.perf_counter()
    load_organisations()
    assert time.perf_counter() - started < 2.0


# --- overrides


def test_town_hall_csv_overrides_location_and_address(orgs, tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path,
        town_halls_csv="code,lon,lat,address\nGM0363,4.9003,52.3676,Amstel 1 Amsterdam\n"
        "PV27,4.6340,52.3840,Dreef 3 Haarlem\n",
    )
    loaded = load_organisations(scenario)
    assert (loaded["GM0363"].location.lon, loaded["GM0363"].location.lat) == (4.9003, 52.3676)
    assert loaded["GM0363"].address == "Amstel 1 Amsterdam"
    assert loaded["PV27"].location.lon == 4.6340
    assert loaded["GM0344"].location == orgs["GM0344"].location
    assert loaded["GM0344"].address is None


def test_town_hall_csv_with_unknown_code_names_file_and_line(tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path, town_halls_csv="code,lon,lat\nGM0363,4.9,52.37\nGM9999,5.0,52.0\n"
    )
    with pytest.raises(DataError, match=r"town_halls_csv\.csv, line 3: unknown code 'GM9999'"):
        load_organisations(scenario)


def test_town_hall_csv_with_swapped_coordinates_names_the_line(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, town_halls_csv="code,lon,lat\nGM0363,52.37,4.9\n")
    with pytest.raises(DataError, match=r"line 2: .*outside the Netherlands"):
        load_organisations(scenario)


def test_holiday_region_csv_overrides_per_code(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, holiday_regions_csv="code,region\nGM0363,midden\n")
    loaded = load_organisations(scenario)
    assert loaded["GM0363"].holiday_region == "midden"
    assert loaded["GM0392"].holiday_region == "noord"  # Haarlem keeps its province's


def test_holiday_region_csv_errors_name_the_line(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, holiday_regions_csv="code,region\nGM0363,oost\n")
    with pytest.raises(DataError, match=r"line 2: region 'oost'"):
        load_organisations(scenario)
    scenario = _scenario(tmp_path, holiday_regions_csv="code,region\n\nGM0001,zuid\n")
    with pytest.raises(DataError, match=r"line 3: unknown code 'GM0001'"):
        load_organisations(scenario)


def test_ferries_csv_replaces_the_builtin_links(tmp_path: Path) -> None:
    header = (
        "statcode,island,mainland_port,mainland_lon,mainland_lat,island_port,island_lon,"
        "island_lat,crossing_min,fast_crossing_min,cars_allowed\n"
    )
    scenario = _scenario(
        tmp_path,
        ferries_csv=header
        + "GM0448,Texel,Den Helder,4.783,52.964,'t Horntje,4.789,53.003,25,,no\n",
    )
    loaded = load_organisations(scenario)
    assert {c for c, o in loaded.items() if o.ferry} == {"GM0448"}
    assert loaded["GM0448"].ferry.crossing_min == 25
    assert loaded["GM0448"].ferry.cars_allowed is False
    assert loaded["GM0448"].ferry.headway_min == 120  # no headway column: the default


def test_ferries_csv_errors_name_file_and_line(tmp_path: Path) -> None:
    header = (
        "statcode,island,mainland_port,mainland_lon,mainland_lat,island_port,island_lon,"
        "island_lat,crossing_min,cars_allowed\n"
    )
    row = "{code},X,Port,5.0,53.0,Island,5.1,53.3,{minutes},{cars}\n"
    scenario = _scenario(
        tmp_path, ferries_csv=header + row.format(code="GM0999", minutes=30, cars="yes")
    )
    with pytest.raises(DataError, match=r"ferries_csv\.csv, line 2: unknown code 'GM0999'"):
        load_organisations(scenario)
    bad_cars = header + row.format(code="GM0448", minutes=30, cars="maybe")
    with pytest.raises(DataError, match=r"line 2: cars_allowed 'maybe' is not yes or no"):
        load_ferries(_scenario(tmp_path, ferries_csv=bad_cars).path("ferries_csv.csv"))
    missing = r"ferries_csv\.csv: missing column\(s\) mainland_port.*cars_allowed"
    with pytest.raises(DataError, match=missing):
        load_ferries(_scenario(tmp_path, ferries_csv="statcode,island\n").path("ferries_csv.csv"))


def test_missing_boundaries_folder_gives_the_clear_data_error(tmp_path: Path) -> None:
    scenario = parse_scenario('[data]\nboundaries_dir = "empty"\n', folder=tmp_path)
    with pytest.raises(DataError, match="OPTIMIZER_DATA_DIR") as info:
        load_organisations(scenario)
    assert str(tmp_path / "empty") in str(info.value)


# --- optimizer data check


def test_data_check_prints_the_counts_and_no_problems(shared_data: Path) -> None:
    result = CliRunner().invoke(app, ["data", "check", "--strict"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "342 municipalities" in result.output
    assert "12 provinces" in result.output
    assert "Schiermonnikoog" in result.output
    assert "No problems found." in result.output


def test_data_check_reports_a_town_hall_outside_its_polygon(tmp_path: Path) -> None:
    (tmp_path / "halls.csv").write_text("code,lon,lat\nGM0363,5.12,52.09\n", encoding="utf-8")
    scenario_file = tmp_path / "scenario.toml"
    scenario_file.write_text('[data]\ntown_halls_csv = "halls.csv"\n', encoding="utf-8")
    runner = CliRunner()
    args = ["data", "check", "--scenario", str(scenario_file)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "GM0363 Amsterdam: visit location 5.12000,52.09000 lies outside its polygon" in (
        result.output
    )
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 1


def test_data_check_without_boundaries_raises_the_data_error(tmp_path: Path) -> None:
    scenario_file = tmp_path / "scenario.toml"
    scenario_file.write_text('[data]\nboundaries_dir = "none"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["data", "check", "--scenario", str(scenario_file)])
    assert isinstance(result.exception, DataError)
