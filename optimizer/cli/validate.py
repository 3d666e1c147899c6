"""``optimizer validate``: re-check a written plan folder against every scheduling rule."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape

from optimizer.cli.app import app, console
from optimizer.domain import Problem
from optimizer.errors import DataError


def load_problem(scenario: Path) -> Problem:
    """The Problem of a scenario file (the loaders are imported only when needed)."""
    from optimizer.data.problem import build_problem

    return build_problem(scenario)


@app.command("validate")
def validate_command(
    plan_dir: Path = typer.Argument(..., help="Plan folder written by `optimizer plan`."),
    scenario: Path | None = typer.Option(
        None, "--scenario", "-s", help="Scenario file (default: the one in summary.json)."
    ),
) -> None:
    """Check a plan folder against every rule of docs/rules.md; exit 1 if any is broken."""
    from optimizer.plan.io import read_plan, read_summary
    from optimizer.plan.validate import validate

    summary = read_summary(plan_dir)
    plan = read_plan(plan_dir)
    scenario_path = scenario or _recorded_scenario(summary, plan_dir)
    problem = load_problem(scenario_path)
    origin = summary.get("axis_origin")
    if origin != problem.axis.origin.isoformat():
        raise DataError(
            f"{plan_dir / 'summary.json'}: the plan counts minutes from {origin}, but "
            f"{scenario_path} starts on {problem.axis.origin}: it is not this plan's scenario"
        )
    violations = validate(problem, plan)
    for v in violations:
        console.print(f"[red]✗ {v.rule}[/] {escape(v.message)}", highlight=False)
    if violations:
        counts = Counter(v.rule for v in violations)
        per_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        console.print(f"[bold red]{len(violations)} violations[/] ({per_rule})", highlight=False)
        raise typer.Exit(1)
    console.print(
        f"[bold green]✓ valid:[/] {len(plan.appointments)} appointments, {len(plan.routes)} "
        f"day routes, {len(plan.unplanned)} unplanned; every rule holds",
        highlight=False,
    )


def _recorded_scenario(summary: dict, plan_dir: Path) -> Path:
    recorded = summary.get("scenario")
    if not recorded:
        raise DataError(
            f"{plan_dir / 'summary.json'}: records no scenario file; pass --scenario FILE"
        )
    return Path(recorded)
