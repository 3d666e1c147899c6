"""The planner's commands end to end: `optimizer plan`, `optimizer validate`,
`optimizer bench intake` (the same code path as the library)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.plan.io import read_plan, read_summary
from optimizer.plan.sample import write_sample_scenario

runner = CliRunner()


def test_plan_command_writes_a_valid_plan_folder_and_validate_agrees(tmp_path):
    scenario = write_sample_scenario(tmp_path / "utrecht", provinces=("PV26",))
    out = tmp_path / "plan"
    result = runner.invoke(
        app, ["plan", "--scenario", str(scenario), "--time-limit", "15", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "valid: every hard constraint holds" in result.output
    for name in ("appointments.parquet", "appointments.csv", "routes.parquet", "summary.json"):
        assert (out / name).exists(), name
    plan = read_plan(out)
    counts = read_summary(out)["counts"]
    assert (len(plan.appointments), len(plan.unplanned)) == (counts["appointments"], 0)
    assert len(plan.appointments) > 27  # the 27 intakes of the province of Utrecht, and more
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output


def test_bench_intake_command_reaches_the_reference_optimum(shared_data, tmp_path):
    out = tmp_path / "result.json"
    path = shared_data / "bench" / "intake_k8.json"
    result = runner.invoke(
        app, ["bench", "intake", str(path), "--time-limit", "60", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    measured = json.loads(out.read_text())
    assert measured["travel_min"] == measured["best_known"] == 23098
    assert measured["violations"] == 0 and measured["unplanned"] == 0
