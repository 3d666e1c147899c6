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


def command_group(name: str, help: str) -> typer.Typer:
    """The sub-command group ``name`` on :data:`app`, created by whichever command module asks
    first (modules are imported in name order, so none may assume it owns the group)."""
    for group in app.registered_groups:
        if group.name == name and isinstance(group.typer_instance, typer.Typer):
            return group.typer_instance
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group
