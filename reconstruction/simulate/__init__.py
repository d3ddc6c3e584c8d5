"""Simulated STEM micrographs (iDPC, HAADF, ABF) of 2D monolayers with ground truth.

``simulate_fast`` (projected potential convolved with the probe, no abTEM import) and
``simulate_full`` (abTEM multislice of one periodic cell, imported lazily) share the
geometry, field, rotation and noise code and return a :class:`SimulationResult`.
"""

from ase import Atoms

from reconstruction.simulate.config import ImagingConfig, SimulationError, SimulationResult
from reconstruction.simulate.fast import simulate_fast


def simulate_full(atoms: Atoms, config: ImagingConfig) -> SimulationResult:
    """Full multislice simulation; see :func:`reconstruction.simulate.multislice.simulate_full`."""
    from reconstruction.simulate.multislice import simulate_full as _simulate_full

    return _simulate_full(atoms, config)


__all__ = ["ImagingConfig", "SimulationError", "SimulationResult", "simulate_fast", "simulate_full"]
