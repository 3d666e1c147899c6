"""``optimizer plan`` and ``optimizer demo``: load a scenario, solve, validate, report, write."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from optimizer.cli.app import app, console
from optimizer.domain import Plan, Problem


class _ProgressView:
    """Live line: elapsed seconds, stage, best objective and bound so far, visits planned."""

    def __init__(self) -> None:
        self.state: dict = {"elapsed_s": 0.0, "stage": "loading"}
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False)

    def __call__(self, event: dict) -> None:
        self.state.update(event)
        self.live.update(self._render())

    def _render(self) -> Table:
        s = self.state
        table = Table.grid(padding=(0, 2))
        best = s.get("objective")
        bound = s.get("bound")
        table.add_row(
            f"[bold]{s['elapsed_s']:6.1f} s[/]",
            f"stage: {s['stage']}",
            f"best: {best:,.0f}" if best is not None else "best: -",
            f"bound: {bound:,.0f}" if bound is not None else "bound: -",
            f"routes: {s['routes']:,}" if "routes" in s else "",
            f"planned: {s['planned']}" if "planned" in s else "",
        )
        return table


def run_plan(
    problem: Problem, *, time_limit: float, seed: int, method: str, deterministic: bool
) -> Plan:
    """Solve with a live progress line on the console."""
    from optimizer.solve.solve import solve

    view = _ProgressView()
    with view.live:
        return solve(
            problem,
            time_limit=time_limit,
            seed=seed,
            progress=view,
            method=method,
            deterministic=deterministic,
        )


def report_plan(problem: Problem, plan: Plan) -> int:
    """Print validation and KPIs; return the number of violations."""
    from optimizer.plan.kpi import compute_kpis, kpi_table
    from optimizer.plan.validate import validate

    violations = validate(problem, plan)
    table = Table(title="Plan KPIs")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for _, row in kpi_table(compute_kpis(problem, plan)).iterrows():
        table.add_row(str(row["metric"]), str(row["value"]))
    console.print(table)
    gap = plan.stats.gap
    console.print(
        f"solver {plan.stats.solver}: {plan.stats.runtime_s:.1f} s, objective "
        f"{plan.stats.objective:,.0f}, bound {plan.stats.bound or 0:,.0f}, gap "
        + (f"{gap:.2%}" if gap is not None else "unknown")
    )
    for u in plan.unplanned:
        console.print(f"[yellow]unplanned[/] {u.visit_id}: {u.reason}")
    if violations:
        console.print(f"[bold red]{len(violations)} violation(s):[/]")
        for v in violations[:50]:
            console.print(f"  [red]{v.rule}[/] {v.subject}: {v.message}")
    else:
        console.print("[green]valid: every hard constraint holds[/]")
    return len(violations)


@app.command("plan")
def plan_command(
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario TOML file."),
    time_limit: float = typer.Option(
        300.0, help="Seconds for reading the scenario and solving (writing comes on top)."
    ),
    seed: int = typer.Option(0, help="Random seed of the MIP solver."),
    out: Path = typer.Option(None, help="Output folder (default: <scenario folder>/plan)."),
    method: str = typer.Option("exact", help="exact (the planner) or greedy (the baseline)."),
    deterministic: bool = typer.Option(
        False, "--deterministic", help="Let no clock decide: same inputs, same plan."
    ),
) -> None:
    """Plan all visits of a scenario, show progress and KPIs, write the plan folder."""
    from optimizer.data.problem import build_problem
    from optimizer.plan.io import write_plan
    from optimizer.scenario import load_scenario

    began = time.perf_counter()
    loaded = load_scenario(scenario)
    with console.status("loading boundaries, calendars and travel"):
        problem = build_problem(loaded)
    loading = time.perf_counter() - began
    console.print(
        f"{problem.name}: {len(problem.organisations)} organisations, {len(problem.visits)} "
        f"visits, {len(problem.people)} people, {problem.horizon_start} .. {problem.horizon_end}"
    )
    console.print(f"read in {loading:.1f} s; {max(1.0, time_limit - loading):.0f} s left to solve")
    plan = run_plan(
        problem,
        time_limit=max(1.0, time_limit - loading),
        seed=seed,
        method=method,
        deterministic=deterministic,
    )
    violations = report_plan(problem, plan)
    target = out or loaded.folder / "plan"
    write_plan(plan, target, problem=problem, scenario_path=scenario.resolve())
    console.print(f"plan written to {target}")
    if violations:
        raise typer.Exit(1)


@app.command("demo")
def demo_command(
    out: Path = typer.Option(Path("demo"), help="Folder for the example scenario and plan."),
    seed: int = typer.Option(7, help="Seed of the example scenario."),
    time_limit: float = typer.Option(60.0, help="Seconds for reading the scenario and solving."),
) -> None:
    """Write the built-in example scenario, plan it and show the KPIs (first run downloads data)."""
    from optimizer.data.example import generate_example, write_example
    from optimizer.data.organisations import load_organisations
    from optimizer.data.paths import boundaries_dir

    _ensure_boundaries(boundaries_dir())
    write_example(generate_example(load_organisations(), seed=seed), out)
    console.print(f"example scenario written to {out} (seed {seed})")
    plan_command(
        scenario=out / "scenario.toml",
        time_limit=time_limit,
        seed=0,
        out=out / "plan",
        method="exact",
        deterministic=False,
    )


def _ensure_boundaries(folder: Path) -> None:
    """Download the CBS boundaries into the cache when none are found (needs internet)."""
    from optimizer.data.boundaries import download_boundaries, geojson_names, geopackage_name
    from optimizer.data.paths import cache_boundaries_dir

    names = [*geojson_names(2023), geopackage_name(2023)]
    if folder.is_dir() and any((folder / n).exists() for n in names):
        return
    console.print(f"no boundaries in {folder}: downloading the CBS 2023 boundaries from PDOK")
    download_boundaries(2023, cache_boundaries_dir())
