"""``optimizer data``: download the CBS boundaries and check every input the planner reads."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import typer
from rich.table import Table

from optimizer.cli.app import app, console
from optimizer.data.boundaries import ATTRIBUTION, download_boundaries
from optimizer.data.organisations import (
    HOLIDAY_REGIONS,
    build_organisations,
    data_problems,
    load_boundary_frames,
    read_overrides,
)
from optimizer.data.paths import boundaries_dir, cache_boundaries_dir
from optimizer.domain import Kind, Organisation
from optimizer.errors import OptimizerError
from optimizer.scenario import Scenario, load_scenario

data_app = typer.Typer(
    help="Download the CBS boundaries and check the input data.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


@data_app.command("download")
def download(
    year: int = typer.Option(2023, "--year", help="CBS year of the boundaries."),
    dest: Path | None = typer.Option(
        None, "--dest", help="Folder to write to (default: the cache, ./data/boundaries)."
    ),
) -> None:
    """Download the municipality and province boundaries from PDOK into the cache."""
    folder = dest or cache_boundaries_dir()
    written = download_boundaries(year, folder)
    for path in written:
        console.print(f"wrote {path}")
    console.print(f"Source: {ATTRIBUTION}")


@data_app.command("check")
def check(
    scenario_file: Path | None = typer.Option(
        None, "--scenario", help="Scenario file (default: built-in defaults)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 if problems."),
) -> None:
    """Load boundaries, organisations and calendars and report counts and problems."""
    scenario = load_scenario(scenario_file) if scenario_file else Scenario()
    municipalities, provinces = load_boundary_frames(scenario)
    orgs = build_organisations(
        municipalities, provinces, **read_overrides(scenario, municipalities, provinces)
    )
    console.print(
        f"Boundaries {scenario.data.year} from {boundaries_dir(scenario)}: "
        f"{len(municipalities)} municipalities, {len(provinces)} provinces ({ATTRIBUTION})"
    )
    console.print(_kinds_table(orgs))
    console.print(_provinces_table(orgs))
    console.print(_regions_table(orgs))
    console.print(_ferries_table(orgs))
    problems = data_problems(orgs, municipalities, provinces, scenario.data.year)
    calendar_lines = _calendar_lines(scenario, orgs)
    if calendar_lines:
        console.print("[bold]Calendars[/]")
        for line in calendar_lines:
            if line.startswith("problem:"):
                problems.append(line.removeprefix("problem:").strip())
            else:
                console.print(f"  {line}", highlight=False)
    _print_problems(problems)
    if strict and problems:
        raise typer.Exit(1)


def _calendar_lines(scenario: Scenario, orgs: Mapping[str, Organisation]) -> list[str]:
    """What ``optimizer.data.calendars.check_calendars`` says, if that function exists."""
    try:
        module = importlib.import_module("optimizer.data.calendars")
    except ModuleNotFoundError as exc:
        if exc.name == "optimizer.data.calendars":
            return []
        raise
    check_calendars: Callable | None = getattr(module, "check_calendars", None)
    if check_calendars is None:
        return []
    try:
        return [str(line) for line in check_calendars(scenario, orgs)]
    except OptimizerError as exc:
        return [f"problem: {exc}"]


def _kinds_table(orgs: Mapping[str, Organisation]) -> Table:
    counts = Counter(o.kind for o in orgs.values())
    table = Table(title="Organisations per kind")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for kind in Kind:
        table.add_row(kind.value, str(counts[kind]))
    table.add_row("total", str(len(orgs)), style="bold")
    return table


def _provinces_table(orgs: Mapping[str, Organisation]) -> Table:
    municipalities = Counter(o.province_code for o in orgs.values() if o.kind is Kind.GEMEENTE)
    table = Table(title="Municipalities per province")
    for column in ("province", "name", "holiday region", "municipalities"):
        table.add_column(column, justify="right" if column == "municipalities" else "left")
    for o in orgs.values():
        if o.kind is Kind.PROVINCIE:
            table.add_row(o.code, o.name, o.holiday_region, str(municipalities[o.code]))
    table.add_row("", "total", "", str(sum(municipalities.values())), style="bold")
    return table


def _regions_table(orgs: Mapping[str, Organisation]) -> Table:
    counts = Counter((o.holiday_region, o.kind) for o in orgs.values())
    table = Table(title="Holiday regions")
    for column in ("region", "municipalities", "provinces"):
        table.add_column(column, justify="left" if column == "region" else "right")
    regions = list(HOLIDAY_REGIONS) + sorted({r for r, _ in counts} - set(HOLIDAY_REGIONS))
    for region in regions:
        table.add_row(
            region, str(counts[region, Kind.GEMEENTE]), str(counts[region, Kind.PROVINCIE])
        )
    return table


def _ferries_table(orgs: Mapping[str, Organisation]) -> Table:
    table = Table(title="Ferry links")
    for column in ("code", "island", "from", "to", "crossing", "fast", "headway", "cars"):
        table.add_column(column)
    for o in orgs.values():
        if f := o.ferry:
            table.add_row(
                o.code,
                f.island,
                f.mainland_port,
                f.island_port,
                f"{f.crossing_min} min",
                f"{f.fast_crossing_min} min" if f.fast_crossing_min else "-",
                f"{f.headway_min} min",
                "yes" if f.cars_allowed else "no",
            )
    return table


def _print_problems(problems: list[str]) -> None:
    if not problems:
        console.print("[green]No problems found.[/]")
        return
    console.print(f"[bold yellow]{len(problems)} problem(s):[/]")
    for problem in problems:
        console.print(f"  - {problem}", highlight=False, markup=False)
