"""Detecting relaxations that blew up: atoms flying apart, bonds broken, absurd energies.

A relaxation that ends in such a state has no meaningful energy; it is reported as a
failure with a reason instead of a number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ase import Atoms


@dataclass(frozen=True)
class StabilityLimits:
    """Thresholds that separate a relaxed structure from one that blew up.

    Attributes
    ----------
    bond_factor : float
        Two atoms are bonded when closer than ``bond_factor`` × the sum of their covalent
        radii (ASE ``natural_cutoffs``) in the starting structure.
    broken_bond_factor : float
        A starting bond counts as broken when it has stretched beyond this multiple of the
        covalent radii sum (larger than ``bond_factor``, so small stretches do not count).
    max_broken_fraction : float
        Largest tolerated fraction of starting bonds that break.
    max_thickness_growth_A : float
        Largest tolerated growth of the slab thickness (z extent of the atoms) [Å]; the
        limit is ``max(max_thickness_growth_A, max_thickness_growth_rel * thickness)``.
    max_thickness_growth_rel : float
        Relative thickness growth limit [-].
    max_area_change_rel : float
        Largest tolerated relative change of the in-plane cell area [-].
    min_distance_A : float
        Two atoms closer than this have collapsed onto each other [Å].
    energy_per_atom_range_eV : tuple of float
        Total energies per atom outside this range are absurd [eV/atom].
    """

    bond_factor: float = 1.3
    broken_bond_factor: float = 1.6
    max_broken_fraction: float = 0.25
    max_thickness_growth_A: float = 2.0
    max_thickness_growth_rel: float = 0.5
    max_area_change_rel: float = 0.5
    min_distance_A: float = 0.5
    energy_per_atom_range_eV: tuple[float, float] = (-25.0, 10.0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StabilityLimits:
        data = dict(data)
        if "energy_per_atom_range_eV" in data:
            data["energy_per_atom_range_eV"] = tuple(data["energy_per_atom_range_eV"])
        return cls(**data)


def thickness_A(atoms: Atoms) -> float:
    """Slab thickness: the z extent of the atom centres [Å] (positions not wrapped)."""
    z = atoms.positions[:, 2]
    return float(z.max() - z.min()) if len(z) else 0.0


def in_plane_area_A2(atoms: Atoms) -> float:
    """Area of the cell spanned by the first two lattice vectors [Å²]."""
    cell = np.asarray(atoms.cell)
    return float(np.linalg.norm(np.cross(cell[0], cell[1])))


def _bonds(atoms: Atoms, factor: float) -> set[tuple[int, int, int, int, int]]:
    from ase.neighborlist import natural_cutoffs, neighbor_list

    cutoffs = natural_cutoffs(atoms, mult=factor)
    i, j, shift = neighbor_list("ijS", atoms, cutoffs, self_interaction=False)
    return {(int(a), int(b), *map(int, s)) for a, b, s in zip(i, j, shift, strict=True)}


def blow_up_reason(
    start: Atoms, end: Atoms, energy_per_atom_eV: float, limits: StabilityLimits
) -> str | None:
    """Why a relaxation from ``start`` to ``end`` blew up, or None when it did not.

    Parameters
    ----------
    start, end : ase.Atoms
        Structure before and after relaxation (same atoms, same order).
    energy_per_atom_eV : float
        Energy of ``end`` [eV/atom].
    limits : StabilityLimits
        Thresholds.
    """
    low, high = limits.energy_per_atom_range_eV
    if not math.isfinite(energy_per_atom_eV) or not low <= energy_per_atom_eV <= high:
        return f"absurd energy {energy_per_atom_eV:.3g} eV/atom (outside [{low}, {high}])"
    if not np.all(np.isfinite(end.positions)) or not np.all(np.isfinite(end.cell)):
        return "non-finite positions or cell"
    t0, t1 = thickness_A(start), thickness_A(end)
    growth_limit = max(limits.max_thickness_growth_A, limits.max_thickness_growth_rel * t0)
    if t1 - t0 > growth_limit:
        return f"slab thickness grew from {t0:.2f} Å to {t1:.2f} Å (limit +{growth_limit:.2f} Å)"
    a0, a1 = in_plane_area_A2(start), in_plane_area_A2(end)
    if abs(a1 / a0 - 1) > limits.max_area_change_rel:
        return f"in-plane cell area changed from {a0:.2f} Å² to {a1:.2f} Å²"
    if len(end) > 1:
        d_min = float(_min_distance_A(end))
        if d_min < limits.min_distance_A:
            return f"atoms collapsed ({d_min:.2f} Å apart)"
    return _bond_reason(start, end, limits)


def _min_distance_A(atoms: Atoms) -> float:
    from ase.neighborlist import neighbor_list

    d = neighbor_list("d", atoms, 1.0)
    return float(d.min()) if len(d) else math.inf


def _bond_reason(start: Atoms, end: Atoms, limits: StabilityLimits) -> str | None:
    bonds0 = _bonds(start, limits.bond_factor)
    if not bonds0:
        return None
    kept = bonds0 & _bonds(end, limits.broken_bond_factor)
    isolated = sorted({b[0] for b in bonds0} - {b[0] for b in kept})
    if isolated:
        symbols = end.get_chemical_symbols()
        names = ", ".join(f"{symbols[i]}{i}" for i in isolated[:5])
        return f"atoms flew apart: {names} lost all neighbours"
    broken = len(bonds0) - len(kept)
    if broken > limits.max_broken_fraction * len(bonds0):
        return f"{broken} of {len(bonds0)} bonds broken"
    return None
