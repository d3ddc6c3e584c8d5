"""Build the 3D layer, find its symmetry, symmetrise it, write and re-read a CIF.

Conventions as in the data set: a along x, b in the xy-plane, c along z (vacuum,
``c = max(20, thickness + 15)`` Å) and the layer centred at ``c / 2``.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import spglib
from ase import Atoms

# spglib 2.x: raise SpglibError instead of returning None (the old way is deprecated).
spglib.error.OLD_ERROR_HANDLING = False


def cell_matrix(a_A: float, b_A: float, gamma_deg: float, c_A: float) -> np.ndarray:
    """Cell (3, 3) [Å], vectors as rows: a along x, b in xy, c along z."""
    g = np.radians(gamma_deg)
    return np.array([[a_A, 0, 0], [b_A * np.cos(g), b_A * np.sin(g), 0], [0, 0, c_A]])


def build_layer(
    a_A: float,
    b_A: float,
    gamma_deg: float,
    site_frac: np.ndarray,
    contents: list[tuple[str, int]],
    heights_A: list[list[float]],
    *,
    vacuum_A: float = 15.0,
    min_c_A: float = 20.0,
) -> Atoms:
    """A periodic slab from the in-plane cell, the sites and the heights of their atoms.

    Parameters
    ----------
    a_A, b_A, gamma_deg : float
        In-plane lattice [Å, Å, deg].
    site_frac : np.ndarray
        Fractional in-plane coordinates (K, 2) of the columns.
    contents : list of (element, count)
        Atoms in each column.
    heights_A : list of list of float
        z of each atom of each column about the mid-plane [Å].
    vacuum_A, min_c_A : float
        c = max(min_c_A, thickness + vacuum_A) [Å].

    Returns
    -------
    ase.Atoms
        The layer, pbc in all three directions (the data set's convention).
    """
    symbols, frac, z = [], [], []
    for uv, (element, _), hs in zip(site_frac, contents, heights_A, strict=True):
        for h in hs:
            symbols.append(element)
            frac.append(uv % 1.0)
            z.append(h)
    z_arr = np.array(z)
    thickness = float(z_arr.max() - z_arr.min()) if len(z_arr) else 0.0
    c = max(min_c_A, thickness + vacuum_A)
    cell = cell_matrix(a_A, b_A, gamma_deg, c)
    scaled = np.column_stack(
        [np.array(frac), (z_arr - 0.5 * (z_arr.max() + z_arr.min())) / c + 0.5]
    )
    return Atoms(symbols=symbols, scaled_positions=scaled, cell=cell, pbc=True)


def spacegroup(atoms: Atoms, *, symprec_A: float = 0.1) -> tuple[str, int]:
    """Hermann-Mauguin symbol and number of the layer's space group (spglib)."""
    try:
        data = spglib.get_symmetry_dataset(_spg_cell(atoms), symprec=symprec_A)
    except spglib.error.SpglibError:
        return "P1", 1
    return str(data.international), int(data.number)


def _spg_cell(atoms: Atoms):
    return (np.array(atoms.cell), atoms.get_scaled_positions(), atoms.numbers)


def symmetrize(atoms: Atoms, *, symprec_A: float = 0.1) -> Atoms:
    """Average positions and in-plane metric over the symmetry found at ``symprec_A``.

    Operations are taken in the cell's own setting, so a stays along x and c along z.
    """
    try:
        sym = spglib.get_symmetry(_spg_cell(atoms), symprec=symprec_A)
    except spglib.error.SpglibError:
        return atoms.copy()
    rots, trans = sym["rotations"], sym["translations"]
    frac = atoms.get_scaled_positions()
    numbers = atoms.numbers
    acc = np.zeros_like(frac)
    for rot, t in zip(rots, trans, strict=True):
        mapped = frac @ rot.T + t
        diff = mapped[:, None, :] - frac[None, :, :]
        diff -= np.round(diff)
        dist = np.linalg.norm(diff @ np.array(atoms.cell), axis=2)
        dist[numbers[:, None] != numbers[None, :]] = np.inf
        target = np.argmin(dist, axis=1)
        if len(np.unique(target)) != len(target):
            return atoms.copy()  # not a permutation at this tolerance: leave as measured
        acc[target] += frac[target] + diff[np.arange(len(frac)), target]
    new_frac = acc / len(rots)
    metric = np.array(atoms.cell) @ np.array(atoms.cell).T
    metric = np.mean([r.T @ metric @ r for r in rots], axis=0)
    a, b = np.sqrt(metric[0, 0]), np.sqrt(metric[1, 1])
    gamma = np.degrees(np.arccos(np.clip(metric[0, 1] / (a * b), -1, 1)))
    cell = cell_matrix(a, b, gamma, float(atoms.cell[2, 2]))
    return Atoms(numbers=numbers, scaled_positions=new_frac % 1.0, cell=cell, pbc=True)


def ideal_cells(
    atoms: Atoms, *, length_tolerance: float = 0.05, angle_tolerance_deg: float = 4.0
) -> list[Atoms]:
    """The layer on the higher-symmetry cells its measured one is close to.

    A scan stretches and shears the lattice by a few per cent and degrees, more than
    :func:`symmetrize`'s distance tolerance forgives, so a hexagonal layer comes out
    oblique or centred-rectangular. Each candidate keeps the fractional coordinates and
    the cell's area; it is offered for hexagonal (a = b, gamma = 120°), square and
    rectangular (gamma = 90°) when the measured cell is within ``length_tolerance`` /
    ``angle_tolerance_deg`` of it, highest symmetry first. The cell must be Gauss-reduced
    (a <= b, 90° <= gamma <= 120°), as STEM2CIF measures it.
    """
    a, b, _, _, _, gamma = atoms.cell.cellpar()
    area = a * b * np.sin(np.radians(gamma))
    equal = abs(b / a - 1) <= length_tolerance
    targets = []
    if equal and abs(gamma - 120.0) <= angle_tolerance_deg:
        side = np.sqrt(area / np.sin(np.radians(120.0)))
        targets.append((side, side, 120.0))
    if abs(gamma - 90.0) <= angle_tolerance_deg:
        if equal:
            targets.append((np.sqrt(area), np.sqrt(area), 90.0))
        scale = np.sqrt(area / (a * b))
        targets.append((a * scale, b * scale, 90.0))
    out = []
    for ta, tb, tg in targets:
        ideal = atoms.copy()
        ideal.set_cell(cell_matrix(ta, tb, tg, float(atoms.cell[2, 2])), scale_atoms=True)
        out.append(ideal)
    return out


def symmetry_order(atoms: Atoms, *, symprec_A: float = 0.1) -> int:
    """Number of symmetry operations spglib finds (1 when it finds none)."""
    try:
        return len(spglib.get_symmetry(_spg_cell(atoms), symprec=symprec_A)["rotations"])
    except spglib.error.SpglibError:
        return 1


def to_cif(atoms: Atoms) -> str:
    """CIF text of the structure (pymatgen writer), checked by parsing it back.

    Raises
    ------
    ValueError
        The CIF does not parse back to the same composition and cell.
    """
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.cif import CifParser, CifWriter

    structure = AseAtomsAdaptor.get_structure(atoms)
    text = str(CifWriter(structure))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = CifParser(io.StringIO(text)).parse_structures(primitive=False)[0]
    same = back.composition.almost_equals(structure.composition) and np.allclose(
        back.lattice.abc, structure.lattice.abc, atol=1e-3
    )
    if not same:
        raise ValueError("the CIF written does not read back to the same structure")
    return text
