"""Fixtures for the pure micrograph-reading tests: no Django, no database.

``tests/conftest.py`` isolates the portal's data directory through pytest-django's
``settings`` fixture for every test; these tests never touch it, and must also run with
``-p no:django``, so the fixture is replaced here by one that needs nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.images import lattice_image


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def lattice() -> np.ndarray:
    """A 64 × 64 float32 lattice image (fixed seed)."""
    return lattice_image((64, 64), spacing_px=8.0, seed=1)
