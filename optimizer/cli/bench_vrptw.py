"""``optimizer bench vrptw``: the classic VRPTW engine on Solomon instances, with a peer."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from pathlib import Path
from types import ModuleType

import typer
from rich.table import Table

from optimizer.cli.app import console
from optimizer.cli.bench import bench_app
from optimizer.errors import OptimizerError

PEERS = ("pyvrp",)


def _benchmarks_module(name: str) -> ModuleType:
    """Import ``benchmarks.<name>`` from the source checkout the package was installed from."""
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("benchmarks", f"benchmarks.{name}"):
            raise OptimizerError(
                f"benchmark dependency {exc.name!r} is missing: pip install -e '.[bench]'"
            ) from exc
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / f"{name}.py").is_file():
        raise OptimizerError(f"benchmarks/{name}.py not found: run from a source checkout")
    sys.path.insert(0, str(root))
    return importlib.import_module(f"benchmarks.{name}")


def _table(rows: list[dict], time_limit: float) -> Table:
    table = Table(title=f"VRPTW, DIMACS costs (x10), {time_limit:g} s per instance")
    for column in ("instance", "solver", "cost", "vehicles", "time s", "best-known", "gap %"):
        table.add_column(column, justify="left" if column in ("instance", "solver") else "right")
    for r in rows:
        gap = (
            "infeasible"
            if not r["feasible"]
            else ("-" if r["gap_pct"] is None else f"{r['gap_pct']:.2f}")
        )
        table.add_row(
            r["instance"],
            r["solver"],
            str(r["cost"]),
            str(r["vehicles"]),
            f"{r['time_s']:.1f}",
            "-" if r["best_known"] is None else str(r["best_known"]),
            gap,
        )
    return table


@bench_app.command("vrptw")
def vrptw(
    folder: Path = typer.Argument(..., help="Folder of VRPLIB .vrp instances (.sol beside)."),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds per instance."),
    seed: int = typer.Option(0, "--seed", help="Random seed (ours and the peer's)."),
    peer: list[str] = typer.Option([], "--peer", help="Also run a peer solver: pyvrp."),
    out: Path = typer.Option(
        Path("benchmarks/results/vrptw.json"), "--out", help="JSON file of the results."
    ),
) -> None:
    """Solve every VRPTW instance of FOLDER with our engine (and peers); table and JSON."""
    unknown = sorted(set(peer) - set(PEERS))
    if unknown:
        raise OptimizerError(f"--peer {unknown[0]}: unknown peer, choose from {list(PEERS)}")
    bench = _benchmarks_module("vrptw")
    rows = bench.run_vrptw(folder, time_limit, seed)
    if "pyvrp" in peer:
        try:
            rows += bench.run_pyvrp(folder, time_limit, seed)
        except ModuleNotFoundError as exc:
            raise OptimizerError("peer pyvrp is not installed: pip install -e '.[bench]'") from exc
    rows.sort(key=lambda r: (r["instance"], r["solver"]))
    console.print(_table(rows, time_limit))
    report = {
        "time_limit_s": time_limit,
        "seed": seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "mean_gap_pct": bench.summary(rows),
        "rows": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"written {out}")
