"""Simulated clean/noisy pairs for the denoiser tests (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, simulate_fast


def simulated(structure_id: str, *, mode: str = "idpc", dose: float | None = 2e4, size=192):
    config = ImagingConfig(
        mode=mode, dose_e_per_A2=dose, shape_px=(size, size), rotation_deg=23.0, seed=5
    )
    return simulate_fast(monolayer(structure_id), config)


def psnr(image: np.ndarray, clean: np.ndarray) -> float:
    span = float(clean.max() - clean.min())
    return 10 * np.log10(span**2 / float(np.mean((image - clean) ** 2)))


@pytest.fixture(scope="session")
def mos2_pair():
    """MoS2 (2H), iDPC, 2e4 e/Å², 192 px at 0.1 Å/px."""
    return simulated("c2dm-MoS2-H")
