"""Test monolayers (built here, no data file needed) and their simulated images.

Cells and positions of the rectangular, oblique and ternary layers are copied from the
data set (/work/shared/data/monolayers.extxyz: 2dm-718, 2dm-811, 2dm-4280).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from ase import Atoms
from ase.build import graphene, mx2

from reconstruction.simulate import ImagingConfig, SimulationResult, simulate_fast

PIXEL_SIZE_A = 0.1


def _layer(cell: list, symbols: list[str], scaled: list) -> Atoms:
    return Atoms(symbols=symbols, scaled_positions=scaled, cell=cell, pbc=True)


def mos2() -> Atoms:
    """2H-MoS2, hexagonal, a = 3.184 Å; S2 columns stacked."""
    atoms = mx2(formula="MoS2", kind="2H", a=3.184, thickness=3.13, vacuum=10.0)
    atoms.pbc = True
    return atoms


def nis2() -> Atoms:
    """1T-NiS2, a = 3.354 Å: its columns form a triangular lattice of a / sqrt(3)."""
    atoms = mx2(formula="NiS2", kind="1T", a=3.354, thickness=2.4, vacuum=10.0)
    atoms.pbc = True
    return atoms


def carbon() -> Atoms:
    """Graphene, a = 2.46 Å."""
    atoms = graphene(a=2.46, vacuum=10.0)
    atoms.pbc = True
    return atoms


def cucl2() -> Atoms:
    """Rectangular CuCl2 (2dm-718), 3.681 x 6.034 Å."""
    return _layer(
        [[3.68074, 0, 0], [0, 6.03372, 0], [0, 0, 20]],
        ["Cu", "Cu", "Cl", "Cl", "Cl", "Cl"],
        [
            [0.5, 0.92217, 0.5],
            [0.0, 0.42217, 0.5],
            [0.91021, 0.72794, 0.43275],
            [0.41021, 0.61641, 0.56725],
            [0.58979, 0.22794, 0.43275],
            [0.08979, 0.11641, 0.56725],
        ],
    )


def gas() -> Atoms:
    """Oblique GaS (2dm-811), a = 3.635, b = 5.213 Å, gamma = 110.4°."""
    return _layer(
        [[3.63515, 0, 0], [-1.81665, 4.88669, 0], [0, 0, 20]],
        ["Ga", "Ga", "S", "S"],
        [
            [0.1811, 0.86994, 0.51507],
            [0.94042, 0.38705, 0.48493],
            [0.34732, 0.20036, 0.42551],
            [0.7742, 0.05663, 0.57449],
        ],
    )


def cubro2() -> Atoms:
    """Ternary rectangular CuBrO2 (2dm-4280), 2.938 x 6.014 Å."""
    return _layer(
        [[2.93804, 0, 0], [0, 6.01375, 0], [0, 0, 20]],
        ["Cu", "Br", "O", "O"],
        [[0.5, 0.0, 0.5], [0.0, 0.5, 0.5], [0.0, 0.1781, 0.52786], [0.0, 0.8219, 0.47214]],
    )


STRUCTURES = {"NiS2": nis2, "MoS2": mos2, "C": carbon, "CuCl2": cucl2, "GaS": gas, "CuBrO2": cubro2}


@lru_cache(maxsize=32)
def simulated(
    name: str,
    *,
    mode: str = "idpc",
    rotation_deg: float = 0.0,
    dose: float | None = 3e4,
    size: int = 320,
    seed: int = 7,
) -> SimulationResult:
    """Fast-simulated image of one of ``STRUCTURES`` (cached across tests)."""
    config = ImagingConfig(
        mode=mode,
        dose_e_per_A2=dose,
        pixel_size_A=PIXEL_SIZE_A,
        shape_px=(size, size),
        rotation_deg=rotation_deg,
        seed=seed,
    )
    return simulate_fast(STRUCTURES[name](), config)


def reduced_lengths(atoms: Atoms) -> np.ndarray:
    """Gauss-reduced in-plane lattice lengths [Å], shortest first."""
    from reconstruction.detection.lattice import gauss_reduce

    return np.sort(np.linalg.norm(gauss_reduce(np.array(atoms.cell)[:2, :2].T), axis=0))
