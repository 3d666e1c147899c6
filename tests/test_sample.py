"""The small sample scenario for notebooks and CI: its organisations are one province's,
its people keep their real home bases, and it loads like any scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.data.organisations import load_organisations
from optimizer.data.problem import build_people
from optimizer.errors import DataError
from optimizer.plan.sample import plan_folder_from_env, write_sample_scenario
from optimizer.scenario import load_scenario


@pytest.fixture(scope="module")
def national(shared_data: Path):
    return load_organisations()


@pytest.fixture(scope="module")
def scenario_path(shared_data: Path, tmp_path_factory) -> Path:
    return write_sample_scenario(tmp_path_factory.mktemp("sample"), provinces=("PV26", "PV29"))


def test_sample_has_the_organisations_of_its_provinces_only(scenario_path, national) -> None:
    scenario = load_scenario(scenario_path)
    orgs = load_organisations(scenario)
    expected = {c for c, o in national.items() if o.province_code in ("PV26", "PV29")}
    assert set(orgs) == expected and {"PV26", "PV29"} <= expected
    assert all(orgs[c].location == national[c].location for c in orgs)
    requests = (scenario_path.parent / "requests.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in requests} == expected


def test_sample_people_keep_their_national_home_bases(scenario_path, national) -> None:
    scenario = load_scenario(scenario_path)
    people = build_people(scenario, load_organisations(scenario))
    assert len(people) == 13
    groningen = national["GM0014"].location
    assert (people["T1"].base.lon, people["T1"].base.lat) == (groningen.lon, groningen.lat)
    assert people["T1"].base_name == "Groningen"


def test_plan_folder_comes_from_the_environment_when_set(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    monkeypatch.setenv("OPTIMIZER_PLAN_DIR", str(folder))
    with pytest.raises(DataError, match="not a plan folder"):
        plan_folder_from_env("OPTIMIZER_PLAN_DIR")
    (folder / "summary.json").write_text("{}")
    assert plan_folder_from_env("OPTIMIZER_PLAN_DIR") == folder


def test_unknown_province_is_an_error(shared_data, tmp_path) -> None:
    with pytest.raises(DataError, match="PV99"):
        write_sample_scenario(tmp_path, provinces=("PV99",))


def test_a_plan_folder_whose_scenario_is_gone_says_so(tmp_path) -> None:
    import json

    from optimizer.plan.bundle import scenario_of_plan

    folder = tmp_path / "plan"
    folder.mkdir()
    summary = {"format": "optimizer-plan", "format_version": 1, "scenario": None}
    (folder / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(DataError, match="records no scenario"):
        scenario_of_plan(folder)
    summary["scenario"] = str(tmp_path / "gone.toml")
    (folder / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(DataError, match="does not exist any more"):
        scenario_of_plan(folder)
