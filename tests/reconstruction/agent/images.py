"""Simulated micrographs of monolayers from the shared data set, small enough for tests."""

from __future__ import annotations

from functools import lru_cache

from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, SimulationResult, simulate_fast

PIXEL_SIZE_A = 0.1


@lru_cache(maxsize=8)
def simulated(
    structure_id: str = "c2dm-MoS2-H",
    *,
    size: int = 192,
    rotation_deg: float = 23.0,
    dose: float | None = 3e4,
    seed: int = 3,
) -> SimulationResult:
    """Fast-simulated iDPC image of one monolayer of ``../shared/data`` (cached)."""
    config = ImagingConfig(
        mode="idpc",
        dose_e_per_A2=dose,
        pixel_size_A=PIXEL_SIZE_A,
        shape_px=(size, size),
        rotation_deg=rotation_deg,
        seed=seed,
    )
    return simulate_fast(monolayer(structure_id), config)
