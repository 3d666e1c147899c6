"""The Typer application that every command module registers on.

Each ``optimizer/cli/<concern>.py`` module adds its commands (or a sub-app) to :data:`app`;
:mod:`optimizer.cli` imports them all. Commands only wire loaders, solvers and exporters
together: no domain logic lives here.
"""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="optimizer",
    help="Plan the intakes, council sessions and trainings of the Ondersteuningsteam "
    "Weerbaar Bestuur along all Dutch municipalities and provinces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)
