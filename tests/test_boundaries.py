"""Loading, checking and downloading the CBS boundaries, on the real 2023 files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import requests
import shapely

from optimizer.data import boundaries as boundaries_module
from optimizer.data.boundaries import (
    MUNICIPALITY_LAYER,
    PROVINCE_LAYER,
    download_boundaries,
    geometry_problems,
    getfeature_url,
    load_boundaries,
)
from optimizer.data.paths import boundaries_dir, resource
from optimizer.errors import DataError, NetworkError
from optimizer.scenario import parse_scenario


@pytest.fixture(scope="module")
def real(shared_data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return load_boundaries(shared_data / "boundaries", 2023)


def _copy_geojson(shared_data: Path, dest: Path, *, year: int = 2023) -> None:
    for name in (f"gemeenten_{year}.geojson", f"provincies_{year}.geojson"):
        (dest / name).write_bytes((shared_data / "boundaries" / name).read_bytes())


def test_real_boundaries_have_342_municipalities_and_12_provinces(real) -> None:
    municipalities, provinces = real
    assert len(municipalities) == 342
    assert len(provinces) == 12
    assert municipalities["statcode"].str.startswith("GM").all()
    assert provinces["statcode"].str.startswith("PV").all()


def test_loaded_frames_are_normalised_sorted_and_wgs84(real) -> None:
    for frame in real:
        assert list(frame.columns) == ["statcode", "statnaam", "geometry"]
        assert frame.crs.to_epsg() == 4326
        assert list(frame["statcode"]) == sorted(frame["statcode"])
    municipalities, _ = real
    amsterdam = municipalities.loc[municipalities["statcode"] == "GM0363"].iloc[0]
    assert amsterdam["statnaam"] == "Amsterdam"
    assert amsterdam.geometry.contains(shapely.Point(4.90, 52.37))  # Dam square


def test_real_boundaries_have_no_geometry_problems(real) -> None:
    municipalities, provinces = real
    assert geometry_problems(municipalities, kind="municipality", prefix="GM", expected=342) == []
    assert geometry_problems(provinces, kind="province", prefix="PV", expected=12) == []


def test_geometry_problems_report_count_invalid_and_code_prefix(real) -> None:
    municipalities, _ = real
    broken = municipalities.head(3).copy()
    bowtie = shapely.Polygon([(5, 52), (5.1, 52.1), (5.1, 52), (5, 52.1)])
    broken.loc[1, "geometry"] = bowtie
    broken.loc[2, "statcode"] = "XX0001"
    problems = geometry_problems(broken, kind="municipality", prefix="GM", expected=342)
    assert any("3 municipality features, CBS counts 342" in p for p in problems)
    assert any(broken.loc[1, "statcode"] in p and "invalid geometry" in p for p in problems)
    assert any("XX0001" in p and "does not start with GM" in p for p in problems)


def test_geopackage_in_rd_new_loads_like_the_geojson(real, tmp_path: Path) -> None:
    municipalities, provinces = real
    gpkg = tmp_path / "gebiedsindelingen_2023.gpkg"
    municipalities.to_crs(28992).to_file(gpkg, layer=MUNICIPALITY_LAYER, driver="GPKG")
    provinces.to_crs(28992).to_file(gpkg, layer=PROVINCE_LAYER, driver="GPKG")
    loaded_m, loaded_p = load_boundaries(tmp_path, 2023)
    assert list(loaded_m["statcode"]) == list(municipalities["statcode"])
    assert list(loaded_p["statcode"]) == list(provinces["statcode"])
    assert loaded_m.crs.to_epsg() == 4326
    original = municipalities.geometry.iloc[0]
    assert loaded_m.geometry.iloc[0].symmetric_difference(original).area < 1e-6 * original.area


def test_geopackage_without_province_layer_names_the_layer(real, tmp_path: Path) -> None:
    gpkg = tmp_path / "gebiedsindelingen_2023.gpkg"
    real[0].to_file(gpkg, layer=MUNICIPALITY_LAYER, driver="GPKG")
    with pytest.raises(DataError, match=PROVINCE_LAYER) as info:
        load_boundaries(tmp_path, 2023)
    assert str(gpkg) in str(info.value)


def test_missing_files_name_folder_expected_files_and_three_ways(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_boundaries(tmp_path / "nowhere", 2023)
    message = str(info.value)
    for part in (
        str(tmp_path / "nowhere"),
        "gemeenten_2023.geojson",
        "provincies_2023.geojson",
        "gebiedsindelingen_2023.gpkg",
        "data.boundaries_dir",
        "OPTIMIZER_DATA_DIR",
        "optimizer data download",
    ):
        assert part in message


def test_missing_statcode_column_names_file_and_column(shared_data: Path, tmp_path: Path) -> None:
    _copy_geojson(shared_data, tmp_path)
    path = tmp_path / "provincies_2023.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"].pop("statcode")
        feature.pop("id", None)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match="'statcode'") as info:
        load_boundaries(tmp_path, 2023)
    assert str(path) in str(info.value)


def test_duplicate_statcode_is_a_data_error(shared_data: Path, tmp_path: Path) -> None:
    _copy_geojson(shared_data, tmp_path)
    path = tmp_path / "provincies_2023.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][1]["properties"]["statcode"] = data["features"][0]["properties"]["statcode"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match="more than once: PV20"):
        load_boundaries(tmp_path, 2023)


def test_not_geojson_names_the_file(shared_data: Path, tmp_path: Path) -> None:
    _copy_geojson(shared_data, tmp_path)
    (tmp_path / "gemeenten_2023.geojson").write_text("not json at all", encoding="utf-8")
    with pytest.raises(DataError, match="gemeenten_2023.geojson"):
        load_boundaries(tmp_path, 2023)


def test_boundaries_dir_prefers_scenario_then_env_then_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = parse_scenario('[data]\nboundaries_dir = "bnd"\n', folder=tmp_path)
    monkeypatch.setenv("OPTIMIZER_DATA_DIR", str(tmp_path / "env"))
    assert boundaries_dir(scenario) == tmp_path / "bnd"
    assert boundaries_dir(parse_scenario("", folder=tmp_path)) == tmp_path / "env"
    assert boundaries_dir(None) == tmp_path / "env"
    monkeypatch.delenv("OPTIMIZER_DATA_DIR")
    monkeypatch.delenv("OPTIMIZER_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert boundaries_dir() == tmp_path / "data" / "boundaries"
    monkeypatch.setenv("OPTIMIZER_CACHE_DIR", str(tmp_path / "cache"))
    assert boundaries_dir() == tmp_path / "cache" / "boundaries"


def test_builtin_resources_are_found() -> None:
    assert resource("ferries_nl.csv").read_text(encoding="utf-8").startswith("statcode,")
    assert "capital_statcode" in resource("province_capitals.csv").read_text(encoding="utf-8")
    with pytest.raises(DataError, match="no_such.csv"):
        resource("no_such.csv")


def test_getfeature_url_asks_pdok_for_the_layer_as_geojson_in_wgs84() -> None:
    url = getfeature_url(2024, PROVINCE_LAYER)
    assert url.startswith("https://service.pdok.nl/cbs/gebiedsindelingen/2024/wfs/v1_0?")
    assert "request=GetFeature" in url
    assert "typeNames=gebiedsindelingen%3Aprovincie_gegeneraliseerd" in url
    assert "outputFormat=application%2Fjson" in url
    assert "srsName=EPSG%3A4326" in url


def test_download_without_network_raises_network_error_saying_where(tmp_path: Path) -> None:
    dest = tmp_path / "cache"
    with pytest.raises(NetworkError) as info:
        download_boundaries(
            2023, dest, progress=False, base_url="http://127.0.0.1:9/wfs", timeout=2
        )
    message = str(info.value)
    assert "127.0.0.1:9" in message
    assert str(dest) in message
    assert "gemeenten_2023.geojson" in message and "OPTIMIZER_DATA_DIR" in message
    assert not dest.exists() or not any(dest.iterdir())


class _FakeResponse:
    """Enough of ``requests.Response`` for the download: serves bytes in two chunks."""

    def __init__(self, content: bytes, status: int = 200) -> None:
        self.content, self.status_code = content, status
        self.headers = {"Content-Length": str(len(content))}

    def __enter__(self) -> _FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Client Error")

    def iter_content(self, chunk_size: int):
        half = len(self.content) // 2
        yield self.content[:half]
        yield self.content[half:]


def _serve(shared_data: Path, *, swap_axes: bool = False):
    """A fake ``requests.get`` that answers each layer with the real GeoJSON file."""
    files = {
        MUNICIPALITY_LAYER: shared_data / "boundaries" / "gemeenten_2023.geojson",
        PROVINCE_LAYER: shared_data / "boundaries" / "provincies_2023.geojson",
    }
    calls: list[str] = []

    def fake_get(url: str, **kwargs: object) -> _FakeResponse:
        calls.append(url)
        layer = next(name for name in files if name in url)
        frame = gpd.read_file(files[layer])
        if swap_axes:
            frame = frame.set_geometry(
                shapely.transform(frame.geometry.to_numpy(), lambda c: c[:, ::-1])
            )
        return _FakeResponse(frame.to_json().encode())

    return fake_get, calls


def test_download_writes_both_geojson_files_that_load(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_get, calls = _serve(shared_data)
    monkeypatch.setattr(boundaries_module.requests, "get", fake_get)
    written = download_boundaries(2023, tmp_path / "cache", progress=False)
    assert [p.name for p in written] == ["gemeenten_2023.geojson", "provincies_2023.geojson"]
    assert len(calls) == 2 and all("service.pdok.nl" in c for c in calls)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [p.name for p in written]
    municipalities, provinces = load_boundaries(tmp_path / "cache", 2023)
    assert (len(municipalities), len(provinces)) == (342, 12)


def test_download_swaps_latitude_first_answers_to_longitude_first(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_get, _ = _serve(shared_data, swap_axes=True)
    monkeypatch.setattr(boundaries_module.requests, "get", fake_get)
    download_boundaries(2023, tmp_path, progress=False)
    municipalities, _ = load_boundaries(tmp_path, 2023)
    min_lon, min_lat, max_lon, max_lat = municipalities.total_bounds
    assert 3 < min_lon < max_lon < 8 and 50 < min_lat < max_lat < 54


def test_download_http_error_is_a_network_error_and_keeps_old_files(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_geojson(shared_data, tmp_path)
    before = (tmp_path / "gemeenten_2023.geojson").read_bytes()
    monkeypatch.setattr(
        boundaries_module.requests, "get", lambda url, **kw: _FakeResponse(b"", status=404)
    )
    with pytest.raises(NetworkError, match="404"):
        download_boundaries(2023, tmp_path, progress=False)
    assert (tmp_path / "gemeenten_2023.geojson").read_bytes() == before


def test_cli_download_offline_prints_the_advice_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from optimizer.cli import main

    def offline(url: str, **kwargs: object) -> None:
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(boundaries_module.requests, "get", offline)
    with pytest.raises(SystemExit) as info:
        main(["data", "download", "--year", "2023", "--dest", str(tmp_path / "out")])
    assert info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Name or service not known" in err
    assert "gemeenten_2023.geojson" in err
