"""Structures from the shared data set, read by id, and the transformations a faithful
reconstruction is free to apply (rotation, mirror, origin shift, basis change, supercell)."""

from __future__ import annotations

import io
import os
import re
from functools import lru_cache
from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase import Atoms

ROOT = Path(__file__).resolve().parents[3]

MOS2_2H = "c2dm-MoS2-H"
MOS2_1T = "c2dm-MoS2-T"
GRAPHENE = "2dm-3993"
HBN = "2dm-4991"
TERNARY = "mc2d-ZrNCl-2b92cc43"  # ZrNCl, P3m1
RECTANGULAR = "2dm-4280"  # CuBrO2, P2/m, a = 2.94, b = 6.01 Å
OBLIQUE = "mc2d-AgNO2-5306dd58"  # AgNO2, P1, γ = 100.5°
SIBR4 = "2dm-10"  # SiBr4, 4.5 Å thick


def data_file() -> Path:
    env = os.environ.get("AUTOMAT_SHARED_DATA")
    base = Path(env) if env else ROOT / ".." / "shared" / "data"
    return base / "monolayers.extxyz"


@lru_cache(maxsize=1)
def _frames_text() -> dict[str, str]:
    """The extxyz text of every frame, by id (one pass over the file, no parsing)."""
    path = data_file()
    if not path.exists():
        pytest.skip(f"shared data set not found at {path}")
    lines = path.read_text().splitlines(keepends=True)
    frames: dict[str, str] = {}
    i = 0
    while i < len(lines):
        n = int(lines[i])
        found = re.search(r"\bid=(\S+)", lines[i + 1])
        if found:
            frames[found.group(1)] = "".join(lines[i : i + n + 2])
        i += n + 2
    return frames


def load(structure_id: str) -> Atoms:
    """A fresh copy of the data set's structure ``structure_id``."""
    return ase.io.read(io.StringIO(_frames_text()[structure_id]), format="extxyz")


def rotated(atoms: Atoms, degrees: float) -> Atoms:
    out = atoms.copy()
    out.rotate(degrees, "z", rotate_cell=True)
    return out


def mirrored(atoms: Atoms) -> Atoms:
    """The image flipped: y -> -y for the cell and the atoms."""
    out = atoms.copy()
    cell = out.cell.array.copy()
    cell[:, 1] *= -1
    out.positions[:, 1] *= -1
    out.set_cell(cell, scale_atoms=False)
    return out


def shifted(atoms: Atoms, shift_A: tuple[float, float]) -> Atoms:
    out = atoms.copy()
    out.translate([shift_A[0], shift_A[1], 0.0])
    out.wrap()
    return out


def rebased(atoms: Atoms, matrix: tuple[tuple[int, int], tuple[int, int]]) -> Atoms:
    """The same lattice in another basis: (a', b') = matrix @ (a, b), det ±1."""
    out = atoms.copy()
    cell = out.cell.array.copy()
    cell[:2] = np.asarray(matrix) @ cell[:2]
    out.set_cell(cell, scale_atoms=False)
    out.wrap()
    return out


def noisy(atoms: Atoms, sigma_A: float, seed: int) -> Atoms:
    """Gaussian noise of ``sigma_A`` [Å] on x and y."""
    out = atoms.copy()
    rng = np.random.default_rng(seed)
    out.positions[:, :2] += rng.normal(0.0, sigma_A, (len(out), 2))
    return out


def strained(atoms: Atoms, sx: float, sy: float) -> Atoms:
    """Cell and atoms scaled by (1 + sx) along x and (1 + sy) along y."""
    out = atoms.copy()
    cell = out.cell.array.copy()
    cell[:, 0] *= 1 + sx
    cell[:, 1] *= 1 + sy
    out.set_cell(cell, scale_atoms=True)
    return out
