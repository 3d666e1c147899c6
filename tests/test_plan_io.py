"""The plan folder: exact round trip, the files' columns, atomic replacement, clear errors for
malformed files, and the ``optimizer validate`` command on a written folder."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from factories import appointment, replace_appointment, tiny_problem, valid_plan

import optimizer.cli.validate as cli_validate
import optimizer.plan.io as plan_io
from optimizer.cli import main
from optimizer.domain import Plan, Problem, SolveStats, Status, Unplanned
from optimizer.errors import DataError
from optimizer.plan.io import read_plan, read_summary, write_plan


@pytest.fixture(scope="module")
def problem() -> Problem:
    return tiny_problem()


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    """The valid tiny plan with varied statuses, a bound and solver details."""
    p = valid_plan(
        problem, solver="exact", runtime_s=1.25, objective=240.0, bound=228.0, seed=3,
        details={"columns": 812, "stage": "master"},
    )  # fmt: skip
    statuses = [Status.DONE, Status.CONFIRMED, Status.PROPOSED]
    appts = tuple(
        dataclasses.replace(a, status=statuses[i]) if i < 3 else a
        for i, a in enumerate(p.appointments)
    )
    return dataclasses.replace(p, appointments=appts)


def test_round_trip_is_exact(tmp_path, problem, plan):
    write_plan(plan, tmp_path / "plan", problem=problem)
    assert read_plan(tmp_path / "plan") == plan


def test_round_trip_of_an_empty_plan_with_unplanned_reasons(tmp_path, problem):
    reasons = ['no free day, "really"', "council; declined, twice", ""]
    unplanned = tuple(Unplanned(v, r) for v, r in zip(problem.visits, reasons * 3, strict=False))
    empty = Plan((), (), unplanned, SolveStats("greedy", 0.5, 1e5, None, 0))
    write_plan(empty, tmp_path / "plan", problem=problem)
    assert read_plan(tmp_path / "plan") == empty


def test_appointment_and_route_files_have_the_documented_columns(tmp_path, problem, plan):
    write_plan(plan, tmp_path / "plan", problem=problem)
    appts = pd.read_csv(tmp_path / "plan" / "appointments.csv", dtype=str)
    assert list(appts.columns) == [
        "visit_id", "org", "org_name", "stage", "people", "date", "start", "end",
        "start_min", "end_min", "status", "lon", "lat",
    ]  # fmt: skip
    session = appts.set_index("visit_id").loc["GM0344:session"]
    assert session["people"] == "T1;R1"
    assert session["start"] == "2023-05-02T19:30:00+02:00"  # summer time in May
    assert appts.set_index("visit_id").loc["GM0310:intake", "start"].endswith("+01:00")
    routes = pd.read_csv(tmp_path / "plan" / "routes.csv")
    assert len(routes) == sum(len(r.legs) for r in plan.routes)
    assert {"person", "date", "seq", "origin", "destination", "depart", "arrive"} <= set(
        routes.columns
    )
    parquet = pq.read_table(tmp_path / "plan" / "appointments.parquet")
    start_type = parquet.schema.field("start").type
    assert pa.types.is_timestamp(start_type) and start_type.tz == "Europe/Amsterdam"


def test_summary_records_stats_gap_kpis_scenario_and_axis(tmp_path, problem, plan):
    scenario = tmp_path / "scenario.toml"
    write_plan(plan, tmp_path / "plan", problem=problem, scenario_path=scenario)
    summary = read_summary(tmp_path / "plan")
    assert summary["stats"]["gap"] == pytest.approx((240 - 228) / 240)
    assert summary["scenario"] == str(scenario.resolve())
    assert summary["axis_origin"] == "2023-01-02"
    assert summary["kpis"]["travel_min"] == plan.travel_min
    assert summary["created_at"].endswith("+00:00")


def test_rewriting_replaces_the_folder_only_when_complete(tmp_path, problem, plan, monkeypatch):
    folder = tmp_path / "plan"
    write_plan(plan, folder, problem=problem)
    moved = appointment(problem, "GM0014:intake", "T2", "2023-03-10", "10:00")
    second = replace_appointment(problem, plan, moved)
    write_plan(second, folder, problem=problem)
    assert read_plan(folder) == second

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(plan_io, "_summary", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        write_plan(plan, folder, problem=problem)
    assert read_plan(folder) == second  # the previous plan is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # no temporary folders left


def test_refuses_to_replace_a_folder_that_is_not_a_plan(tmp_path, problem, plan):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(DataError, match="not a plan folder"):
        write_plan(plan, folder, problem=problem)
    assert (folder / "thesis.docx").read_text() == "precious"


@pytest.mark.parametrize("name", ["appointments.parquet", "routes.parquet", "unplanned.csv"])
def test_missing_file_is_named(tmp_path, problem, plan, name):
    write_plan(plan, tmp_path / "plan", problem=problem)
    (tmp_path / "plan" / name).unlink()
    with pytest.raises(DataError, match=rf"{name}: missing"):
        read_plan(tmp_path / "plan")


def test_corrupt_parquet_file_is_named(tmp_path, problem, plan):
    write_plan(plan, tmp_path / "plan", problem=problem)
    (tmp_path / "plan" / "routes.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"routes\.parquet: not a readable Parquet file"):
        read_plan(tmp_path / "plan")


def test_bad_status_names_file_and_row(tmp_path, problem, plan):
    write_plan(plan, tmp_path / "plan", problem=problem)
    path = tmp_path / "plan" / "appointments.parquet"
    table = pq.read_table(path)
    statuses = table.column("status").to_pylist()
    statuses[1] = "maybe"
    column = table.schema.get_field_index("status")
    pq.write_table(table.set_column(column, "status", pa.array(statuses)), path)
    with pytest.raises(DataError, match=r"appointments\.parquet: row 2: 'maybe'"):
        read_plan(tmp_path / "plan")


def test_missing_or_foreign_summary_is_an_error(tmp_path, problem, plan):
    write_plan(plan, tmp_path / "plan", problem=problem)
    summary = tmp_path / "plan" / "summary.json"
    summary.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(DataError, match="not a plan summary"):
        read_plan(tmp_path / "plan")
    summary.unlink()
    with pytest.raises(DataError, match=r"summary\.json: missing"):
        read_plan(tmp_path / "plan")


# --- optimizer validate -----------------------------------------------------------------------


@pytest.fixture
def loaded(monkeypatch, problem) -> list[Path]:
    """Make the command build the tiny problem; records the scenario paths it was given."""
    paths: list[Path] = []

    def load(path: Path) -> Problem:
        paths.append(path)
        return problem

    monkeypatch.setattr(cli_validate, "load_problem", load)
    monkeypatch.setenv("COLUMNS", "250")
    return paths


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return exit_info.value.code


def test_validate_command_accepts_a_valid_plan(tmp_path, problem, plan, loaded, capsys):
    scenario = tmp_path / "scenario.toml"
    write_plan(plan, tmp_path / "plan", problem=problem, scenario_path=scenario)
    assert run(["validate", str(tmp_path / "plan")]) == 0
    assert "valid" in capsys.readouterr().out
    assert loaded == [scenario.resolve()]  # the scenario recorded in summary.json


def test_validate_command_lists_violations_and_exits_1(tmp_path, problem, plan, loaded, capsys):
    saturday = appointment(problem, "GM0014:intake", "T2", "2023-04-15", "10:00")
    write_plan(replace_appointment(problem, plan, saturday), tmp_path / "plan", problem=problem)
    other = tmp_path / "other.toml"
    assert run(["validate", str(tmp_path / "plan"), "--scenario", str(other)]) == 1
    out = capsys.readouterr().out
    assert "working-day GM0014:intake is on Saturday 2023-04-15, a weekend day" in out
    assert loaded == [other]


def test_validate_command_needs_a_scenario(tmp_path, problem, plan, loaded, capsys):
    write_plan(plan, tmp_path / "plan", problem=problem)
    assert run(["validate", str(tmp_path / "plan")]) == 2
    assert "records no scenario file; pass --scenario" in capsys.readouterr().err


def test_validate_command_refuses_a_scenario_with_another_time_axis(
    tmp_path, problem, plan, monkeypatch, capsys
):
    write_plan(plan, tmp_path / "plan", problem=problem)
    later = dataclasses.replace(
        problem,
        axis=dataclasses.replace(problem.axis, origin=problem.axis.origin.replace(year=2024)),
    )
    monkeypatch.setattr(cli_validate, "load_problem", lambda path: later)
    assert run(["validate", str(tmp_path / "plan"), "--scenario", "x.toml"]) == 2
    assert "not this plan's scenario" in capsys.readouterr().err
