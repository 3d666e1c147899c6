"""``optimizer bench intake FILE``: the intake reference instance through the planner's path."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from optimizer.cli.app import console
from optimizer.cli.bench import bench_app


def run_intake_benchmark(path: Path, *, time_limit: float, seed: int, method: str) -> dict:
    """Solve an intake instance with :func:`optimizer.solve.solve.solve`, validate, measure."""
    from optimizer.data.intake_bench import read_intake_benchmark
    from optimizer.plan.validate import validate
    from optimizer.solve.solve import solve

    bench = read_intake_benchmark(path)
    began = time.perf_counter()
    plan = solve(bench.problem, time_limit=time_limit, seed=seed, method=method)
    wall = time.perf_counter() - began
    violations = validate(bench.problem, plan)
    best = bench.best_known
    return {
        "instance": bench.name,
        "method": method,
        "time_limit_s": time_limit,
        "seed": seed,
        "travel_min": plan.travel_min,
        "travel_km": round(plan.travel_m / 1000, 1),
        "planned": len(plan.appointments),
        "unplanned": len(plan.unplanned),
        "wall_s": round(wall, 2),
        "bound": plan.stats.bound,
        "gap_to_bound": plan.stats.gap,
        "best_known": best,
        "gap_to_best_known": (plan.travel_min - best) / best if best else None,
        "violations": len(violations),
        "details": dict(plan.stats.details),
    }


@bench_app.command("intake")
def intake_command(
    file: Path = typer.Argument(..., help="Instance in the intake_k8.json format."),
    time_limit: float = typer.Option(60.0, help="Seconds for the solver."),
    seed: int = typer.Option(0, help="Random seed."),
    method: str = typer.Option("exact", help="exact (the planner) or greedy (the baseline)."),
    json_out: Path = typer.Option(None, "--json", help="Also write the result as JSON."),
) -> None:
    """Solve an intake reference instance, validate it, print travel, time and gap."""
    result = run_intake_benchmark(file, time_limit=time_limit, seed=seed, method=method)
    table = Table(title=f"intake benchmark: {result['instance']}")
    for key in ("method", "travel_min", "travel_km", "planned", "unplanned", "wall_s"):
        table.add_row(key, str(result[key]))
    table.add_row("best known", str(result["best_known"]))
    gap = result["gap_to_best_known"]
    table.add_row("gap to best known", f"{gap:.3%}" if gap is not None else "-")
    bound_gap = result["gap_to_bound"]
    table.add_row("gap to own bound", f"{bound_gap:.3%}" if bound_gap is not None else "-")
    table.add_row("violations", str(result["violations"]))
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    if result["violations"]:
        raise typer.Exit(1)
