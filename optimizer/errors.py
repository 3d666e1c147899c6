"""The optimizer's own exception types, in one place.

Every error a user can cause by bad input derives from :class:`OptimizerError` and carries a
message that names the file, line or record and what is wrong with it. The CLI prints these
messages without a traceback and exits with status 2.
"""

from __future__ import annotations


class OptimizerError(Exception):
    """Base of every error caused by input, configuration or environment."""


class ScenarioError(OptimizerError):
    """The scenario file is missing, not TOML, or has an unknown key or a wrong value."""


class DataError(OptimizerError):
    """A data file (boundaries, CSV, overrides) is missing or malformed."""


class CalendarError(DataError):
    """A calendar file (ICS or CSV) cannot be read; the message names file and problem."""


class NetworkError(OptimizerError):
    """A download failed (no network); the message says where to put the files instead."""


class TravelError(OptimizerError):
    """A travel model cannot be built: missing graph file, a location far from any road."""


class SolveError(OptimizerError):
    """The solver was given a problem it cannot work on (not: visits it cannot place)."""


class StoreError(OptimizerError):
    """The plan store is locked by another run, or its schema is too new."""
