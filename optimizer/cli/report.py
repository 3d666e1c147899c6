"""``optimizer report`` (one offline HTML file) and ``optimizer export gpkg`` (GeoPackage).

Both read a plan folder (``optimizer plan`` writes one) and rebuild its problem from the
scenario its ``summary.json`` records, or from ``--scenario``.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

from optimizer.cli.app import app, command_group, console

export_app = command_group("export", "Write the plan in other formats.")

PlanArgument = typer.Argument(..., help="Plan folder (as `optimizer plan` writes it).")
AsOfOption = typer.Option(
    None,
    "--as-of",
    help="Judge progress on this date YYYY-MM-DD: visits before it count as held "
    "(default: only visits marked done).",
)
ScenarioOption = typer.Option(
    None, "--scenario", "-s", help="Scenario file (default: the one the plan records)."
)


def _as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _load(plan: Path, scenario: Path | None):
    from optimizer.plan.bundle import load_bundle

    with console.status(f"loading {plan} and its scenario"):
        return load_bundle(plan, scenario=scenario)


@app.command("report")
def report_command(
    plan: Path = PlanArgument,
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write."),
    as_of: str = AsOfOption,
    title: str = typer.Option(None, "--title", help="Page title (default: the plan's name)."),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Write one self-contained HTML report (map, timeline, KPIs, unplanned) that works offline."""
    from optimizer.export.report import ReportOptions, report_html, write_report

    began = time.perf_counter()
    when = _as_of(as_of)
    bundle = _load(plan, scenario)
    text = report_html(
        bundle.problem,
        bundle.plan,
        boundaries=bundle.boundaries,
        options=ReportOptions(as_of=when, title=title),
    )
    write_report(text, out)
    console.print(
        f"report written to {out} ({len(text) / 1e6:.1f} MB, {time.perf_counter() - began:.1f} s)",
        highlight=False,
    )


@export_app.command("gpkg")
def export_gpkg(
    plan: Path = PlanArgument,
    out: Path = typer.Option(..., "--out", "-o", help="GeoPackage file to write (.gpkg)."),
    as_of: str = AsOfOption,
    straight: bool = typer.Option(
        False, "--straight", help="Straight legs even when the scenario uses the roads model."
    ),
    scenario: Path | None = ScenarioOption,
) -> None:
    """Write organisations, appointments, day routes, legs and home bases as GeoPackage layers."""
    from optimizer.export.geo import export_geopackage

    began = time.perf_counter()
    when = _as_of(as_of)
    bundle = _load(plan, scenario)
    lines = {} if straight else bundle.leg_lines()
    export_geopackage(
        bundle.problem,
        bundle.plan,
        out,
        boundaries=bundle.boundaries,
        as_of=when,
        leg_lines=lines,
    )
    geometry = "road" if lines else "straight"
    console.print(
        f"GeoPackage written to {out}: {len(bundle.problem.organisations)} organisations, "
        f"{len(bundle.plan.appointments)} appointments, {len(bundle.plan.routes)} day routes "
        f"({geometry} lines), {time.perf_counter() - began:.1f} s",
        highlight=False,
    )
