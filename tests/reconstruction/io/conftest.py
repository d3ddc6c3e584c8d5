"""Fixtures for the pure micrograph-reading tests (no Django, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fixtures.images import lattice_image


@pytest.fixture
def lattice() -> np.ndarray:
    """A 64 × 64 float32 lattice image (fixed seed)."""
    return lattice_image((64, 64), spacing_px=8.0, seed=1)
