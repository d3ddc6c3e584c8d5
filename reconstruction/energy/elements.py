"""Ground-state structures of the elements, the starting points of elemental references.

Metals and semiconductors come from ASE's reference states (fcc, bcc, hcp, diamond, ...) and
are relaxed fully. Elements whose ground state ASE does not build correctly get their
crystal structure here (experimental lattice parameters, Wyckoff positions from the
standard crystallographic tables). Molecular and van der Waals solids (halogen and gas
molecules, S8, graphite, black phosphorus, Se/Te chains) are relaxed at fixed cell: the
potentials have no dispersion, so a full relaxation swells them (α-S by ~30%, NOTES.md)
while the energy changes by little; gases are molecules in a box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np

from .errors import MissingReference

if TYPE_CHECKING:
    from ase import Atoms

RelaxMode = Literal["full", "positions"]
BOX_A = 12.0  # edge of the box around a molecule [Å]

# Diatomic gases: bond length [Å] of the free molecule (a start; it is relaxed).
_DIATOMIC = {"H": 0.74, "N": 1.10, "O": 1.21, "F": 1.42}


def _crystal(symbol: str, basis: list, spacegroup: int, cellpar: list[float]) -> Atoms:
    from ase.spacegroup import crystal

    return crystal([symbol] * len(basis), basis, spacegroup=spacegroup, cellpar=cellpar)


def _molecule_in_box(symbols: str, positions: np.ndarray) -> Atoms:
    from ase import Atoms

    # A slightly non-cubic box breaks the artificial symmetry of the periodic images.
    atoms = Atoms(symbols, positions=positions, cell=[BOX_A, BOX_A + 0.5, BOX_A + 1.0], pbc=True)
    atoms.center()
    return atoms


def _diatomic(symbol: str) -> Atoms:
    bond = _DIATOMIC[symbol]
    return _molecule_in_box(symbol * 2, np.array([[0, 0, 0], [0.1, 0.05, bond]]))


def _s8_ring() -> Atoms:
    """Crown-shaped S8 (D4d): S-S 2.06 Å, ring radius 2.40 Å, ±0.52 Å out of plane."""
    angles = np.arange(8) * np.pi / 4
    z = np.where(np.arange(8) % 2 == 0, 0.52, -0.52)
    positions = np.column_stack([2.40 * np.cos(angles), 2.40 * np.sin(angles), z])
    return _molecule_in_box("S8", positions)


def _halogen_crystal(symbol: str) -> Atoms:
    """Orthorhombic Cmce molecular crystal (Cl2, Br2, I2) at its experimental cell."""
    cells = {
        "Cl": ([6.24, 4.48, 8.26], (0.1017, 0.1083), 1.99),
        "Br": ([6.67, 4.48, 8.72], (0.1034, 0.1335), 2.28),
        "I": ([7.18, 4.71, 9.81], (0.1543, 0.1174), 2.72),
    }
    (a, b, c), (y, z), bond = cells[symbol]
    # Scale the in-molecule offset so that the start has the molecule's bond length.
    half = 0.5 * bond / np.hypot(y * b, z * c)
    return _crystal(symbol, [(0, y * half, z * half)], 64, [a, b, c, 90, 90, 90])


def _a7(a: float, c: float, z: float) -> Callable[[str], Atoms]:
    return lambda s: _primitive(_crystal(s, [(0, 0, z)], 166, [a, a, c, 90, 90, 120]))


def _chain(a: float, c: float, x: float) -> Callable[[str], Atoms]:
    return lambda s: _crystal(s, [(x, 0, 1 / 3)], 152, [a, a, c, 90, 90, 120])


def _graphite(_: str) -> Atoms:
    return _crystal(
        "C", [(0, 0, 0.25), (1 / 3, 2 / 3, 0.25)], 194, [2.464, 2.464, 6.711, 90, 90, 120]
    )


def _alpha_boron(_: str) -> Atoms:
    basis = [(0.11886, -0.11886, 0.89133), (0.19686, -0.19686, 0.02432)]
    return _primitive(_crystal("B", basis, 166, [4.908, 4.908, 12.567, 90, 90, 120]))


def _alpha_gallium(_: str) -> Atoms:
    return _crystal("Ga", [(0, 0.1549, 0.0810)], 64, [4.5192, 7.6586, 4.5258, 90, 90, 90])


def _black_phosphorus(_: str) -> Atoms:
    return _crystal("P", [(0, 0.10168, 0.08056)], 64, [3.3136, 10.478, 4.3763, 90, 90, 90])


def _alpha_manganese(_: str) -> Atoms:
    basis = [
        (0, 0, 0),
        (0.3179, 0.3179, 0.3179),
        (0.3571, 0.3571, 0.0347),
        (0.0896, 0.0896, 0.2819),
    ]
    return _primitive(_crystal("Mn", basis, 217, [8.911, 8.911, 8.911, 90, 90, 90]))


def _primitive(atoms: Atoms) -> Atoms:
    """The primitive cell (spglib through pymatgen), so fewer atoms go through the model."""
    from pymatgen.io.ase import AseAtomsAdaptor

    structure = AseAtomsAdaptor.get_structure(atoms).get_primitive_structure(tolerance=0.05)
    return AseAtomsAdaptor.get_atoms(structure)


def _ase_bulk(symbol: str, crystalstructure: str | None = None, **kwargs: float) -> Atoms:
    from ase.build import bulk

    return bulk(symbol, crystalstructure, **kwargs)


# symbol -> (builder, relax mode, description)
_SPECIAL: dict[str, tuple[Callable[[str], Atoms], RelaxMode, str]] = {
    **{s: (_diatomic, "positions", f"{s}2 molecule in a box") for s in _DIATOMIC},
    **{
        s: (_halogen_crystal, "positions", f"{s}2 molecular crystal (Cmce)")
        for s in ("Cl", "Br", "I")
    },
    "S": (lambda _: _s8_ring(), "positions", "S8 ring in a box"),
    "C": (_graphite, "positions", "graphite (AB)"),
    "P": (_black_phosphorus, "positions", "black phosphorus (Cmce)"),
    "Se": (_chain(4.366, 4.954, 0.2254), "positions", "trigonal Se chains (P3121)"),
    "Te": (_chain(4.457, 5.929, 0.2633), "positions", "trigonal Te chains (P3121)"),
    "As": (_a7(3.7598, 10.5475, 0.22712), "full", "A7 rhombohedral As"),
    "Sb": (_a7(4.3084, 11.274, 0.23349), "full", "A7 rhombohedral Sb"),
    "Bi": (_a7(4.546, 11.862, 0.2339), "full", "A7 rhombohedral Bi"),
    "B": (_alpha_boron, "full", "alpha-B12 (R-3m)"),
    "Ga": (_alpha_gallium, "full", "alpha-Ga (Cmce)"),
    "Mn": (_alpha_manganese, "full", "alpha-Mn (I-43m), non-magnetic start"),
    "Sn": (lambda s: _ase_bulk(s, "diamond", a=6.489), "full", "alpha-Sn (diamond)"),
}


def ground_state(symbol: str) -> tuple[Atoms, RelaxMode, str]:
    """Starting structure of an element's reference state.

    Parameters
    ----------
    symbol : str
        Element symbol.

    Returns
    -------
    atoms : ase.Atoms
        Periodic starting structure.
    mode : {"full", "positions"}
        Relax positions and cell, or positions only at this cell.
    description : str
        What the structure is, for the provenance of a reference.

    Raises
    ------
    MissingReference
        No ground state is known for this element.
    """
    if symbol in _SPECIAL:
        builder, mode, description = _SPECIAL[symbol]
        return builder(symbol), mode, description
    from ase.data import atomic_numbers, reference_states

    state = reference_states[atomic_numbers.get(symbol, 0)]
    lattice = state["symmetry"] if state else None
    if lattice not in {"fcc", "bcc", "hcp", "diamond", "bct", "rhombohedral"}:
        raise MissingReference(f"no elemental ground state is known for {symbol} ({lattice})")
    try:
        return _ase_bulk(symbol), "full", f"{lattice} {symbol} (ASE reference state)"
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise MissingReference(f"cannot build the ground state of {symbol}: {exc}") from exc
