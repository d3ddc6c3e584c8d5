"""Small monolayers built with ASE (no data file needed), a along x, vacuum along z."""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.build import graphene, mx2

MOS2_A = 3.184
GRAPHENE_A = 2.46


def mos2() -> Atoms:
    """2H-MoS2 monolayer, a = 3.184 Å."""
    atoms = mx2(formula="MoS2", kind="2H", a=MOS2_A, thickness=3.13, vacuum=10.0)
    atoms.pbc = True
    return atoms


def carbon() -> Atoms:
    """Graphene, a = 2.46 Å."""
    atoms = graphene(a=GRAPHENE_A, vacuum=10.0)
    atoms.pbc = True
    return atoms


def values_at(image: np.ndarray, xy_px: np.ndarray) -> np.ndarray:
    """Image values at the nearest pixels of (x, y) positions, skipping a 3 px border."""
    rows, cols = image.shape
    ij = np.round(xy_px).astype(int)
    ok = (ij[:, 0] >= 3) & (ij[:, 0] < cols - 3) & (ij[:, 1] >= 3) & (ij[:, 1] < rows - 3)
    return image[ij[ok, 1], ij[ok, 0]]
