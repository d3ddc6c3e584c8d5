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


#: Every Mo-S monolayer of the shared data set: a small, real template library.
MO_S_TEMPLATES = (
    "c2dm-MoS2-H", "c2dm-MoS2-T", "2dlam-MoS2-1", "2dlam-MoS-1", "2dlam-MoS3-1", "2dlam-Mo3S4-1",
)  # fmt: skip


@lru_cache(maxsize=1)
def mo_s_retriever():
    """An ArrayRetriever over :data:`MO_S_TEMPLATES`, described by the library's own builder."""
    from reconstruction.descriptors import ArrayRetriever
    from templates_lib.builder import describe_template, library_from_records

    records = [describe_template(monolayer(sid), with_png=False) for sid in MO_S_TEMPLATES]
    return ArrayRetriever(library_from_records(records))
