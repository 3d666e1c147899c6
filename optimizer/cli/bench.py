"""The ``optimizer bench`` command group: benchmarks against reference instances and peers."""

from __future__ import annotations

import typer

from optimizer.cli.app import app

bench_app = typer.Typer(
    help="Benchmarks: reference instances, best-known costs and peer solvers (PyVRP).",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")
