"""Command-line interface: ``optimizer --help`` lists every command.

Command modules in this package are imported automatically; each registers its commands on
:data:`optimizer.cli.app.app`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from optimizer.cli.app import app, err_console
from optimizer.errors import OptimizerError

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "app":
        importlib.import_module(f"{__name__}.{_module}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors print one clear message and exit 2."""
    try:
        app(args=argv, standalone_mode=True)
    except OptimizerError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


__all__ = ["app", "main"]
