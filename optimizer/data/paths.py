"""Where the data lives: the boundaries folder's look-up order and the built-in resources.

Boundaries folder, first match wins:

1. the scenario's ``data.boundaries_dir`` (relative to the scenario file's folder);
2. the environment variable ``OPTIMIZER_DATA_DIR``;
3. the download cache ``<cache root>/boundaries``, where the cache root is
   ``$OPTIMIZER_CACHE_DIR`` or else ``./data`` in the current working directory
   (``optimizer data download`` writes there).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from optimizer.errors import DataError
from optimizer.scenario import Scenario

DATA_DIR_ENV = "OPTIMIZER_DATA_DIR"
"""Environment variable naming the boundaries folder."""
CACHE_DIR_ENV = "OPTIMIZER_CACHE_DIR"
"""Environment variable naming the cache root (default ``./data``)."""


def cache_root() -> Path:
    """The root of the download cache: ``$OPTIMIZER_CACHE_DIR`` or ``./data``."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else Path.cwd() / "data"


def cache_boundaries_dir() -> Path:
    """Where ``optimizer data download`` writes the boundaries: ``<cache root>/boundaries``."""
    return cache_root() / "boundaries"


def boundaries_dir(scenario: Scenario | None = None) -> Path:
    """The folder to read the CBS boundaries from (see the module docstring for the order).

    The folder is not checked here; the loader says what is missing.
    """
    if scenario is not None:
        configured = scenario.path(scenario.data.boundaries_dir)
        if configured is not None:
            return configured
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return cache_boundaries_dir()


def resource(name: str) -> Path:
    """A built-in data file from ``optimizer/resources/`` (e.g. ``ferries_nl.csv``)."""
    path = Path(str(files("optimizer") / "resources" / name))
    if not path.is_file():
        raise DataError(f"built-in resource {name!r} not found at {path}; reinstall the package")
    return path
