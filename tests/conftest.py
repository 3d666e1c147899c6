"""Shared fixtures: where the real reference data lives.

The reference data (CBS boundaries, VRPTW instances, the intake reference instance) is not
committed: it is read from ``$OPTIMIZER_SHARED_DATA`` or, by default, ``../shared/data``
beside the repository. ``OPTIMIZER_DATA_DIR`` (the boundaries folder the product reads) is
pointed there too when it is not set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIMIZER_SHARED_DATA", REPO.parent / "shared" / "data"))

os.environ.setdefault("OPTIMIZER_DATA_DIR", str(SHARED / "boundaries"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of the shared reference data (``../shared/data``)."""
    if not SHARED.is_dir():
        pytest.fail(f"shared reference data not found at {SHARED}; set OPTIMIZER_SHARED_DATA")
    return SHARED
