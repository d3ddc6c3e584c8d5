"""A 2D-periodic layer seen along its normal, its reduced basis and its primitive cell.

Every metric of the benchmark works on a :class:`Layer2D`: the two in-plane lattice vectors
written in an orthonormal frame of the layer plane, fractional in-plane coordinates, heights
along the normal and element symbols. :func:`to_layer` builds one from an ``ase.Atoms`` or a
pymatgen ``Structure`` whatever the orientation of the input cell (the vacuum axis is found,
not assumed), so a structure that is rotated, reflected or re-based in 3D gives the same
layer up to an in-plane isometry and a change of basis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

_NEIGHBOURS = np.array(list(itertools.product((-1, 0, 1), repeat=2)), dtype=float)
_MIN_SINE = 0.5  # in-plane vectors with a smaller |sin(angle)| count as collinear


@dataclass(frozen=True, eq=False)
class Layer2D:
    """A periodic layer in its own plane.

    Attributes
    ----------
    lattice_A : np.ndarray
        (2, 2) rows are the in-plane lattice vectors a, b [Å], in an orthonormal frame of
        the layer plane.
    frac : np.ndarray
        (n, 2) fractional coordinates along a, b, wrapped to [0, 1).
    z_A : np.ndarray
        (n,) heights along the layer normal [Å] (the layer is made contiguous first).
    species : tuple[str, ...]
        n element symbols.
    """

    lattice_A: np.ndarray
    frac: np.ndarray
    z_A: np.ndarray
    species: tuple[str, ...]

    @property
    def n_atoms(self) -> int:
        """Number of atoms in the cell."""
        return len(self.species)

    @property
    def area_A2(self) -> float:
        """Cell area [Å²]."""
        return float(abs(np.linalg.det(self.lattice_A)))

    @property
    def lengths_A(self) -> tuple[float, float]:
        """In-plane lattice lengths |a|, |b| [Å]."""
        a, b = np.linalg.norm(self.lattice_A, axis=1)
        return float(a), float(b)

    def xy_A(self) -> np.ndarray:
        """(n, 2) projected Cartesian positions [Å] in the layer frame."""
        return self.frac @ self.lattice_A


def to_layer(structure: Any) -> Layer2D:
    """Project a monolayer onto its plane.

    Parameters
    ----------
    structure : ase.Atoms | pymatgen.core.Structure | Layer2D
        A 3D-periodic cell with vacuum along one lattice vector (any one: the vacuum axis
        is the lattice vector across which the widest empty slab lies), or an ``Atoms``
        whose third cell vector is zero. A ``Layer2D`` is returned unchanged.

    Returns
    -------
    Layer2D
        The layer in the frame e1 = a/|a|, e3 = a × b/|a × b| (the normal), e2 = e3 × e1.
    """
    if isinstance(structure, Layer2D):
        return structure
    cell, cart, species = _cell_positions_species(structure)
    if len(species) == 0:
        raise ValueError("structure has no atoms")
    axis = _vacuum_axis(cell, cart)
    cart = _contiguous_along(cell, cart, axis)
    u, v = cell[(axis + 1) % 3], cell[(axis + 2) % 3]
    normal = np.cross(u, v)
    if np.linalg.norm(normal) < 1e-8:
        raise ValueError("the in-plane lattice vectors are collinear or zero")
    normal /= np.linalg.norm(normal)
    e1 = u / np.linalg.norm(u)
    e2 = np.cross(normal, e1)
    frame = np.stack([e1, e2])
    lattice = np.stack([u, v]) @ frame.T
    frac = (cart @ frame.T) @ np.linalg.inv(lattice)
    return Layer2D(lattice, np.mod(frac, 1.0), cart @ normal, tuple(species))


def _cell_positions_species(structure: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(3, 3) cell [Å], (n, 3) Cartesian positions [Å] and symbols of Atoms or Structure."""
    if hasattr(structure, "get_chemical_symbols"):  # ase.Atoms
        return (
            np.asarray(structure.cell.array, dtype=float),
            np.asarray(structure.positions, dtype=float),
            list(structure.get_chemical_symbols()),
        )
    if hasattr(structure, "lattice") and hasattr(structure, "cart_coords"):  # pymatgen
        if not getattr(structure, "is_ordered", True):
            raise ValueError("disordered structures (partial occupancies) are not supported")
        symbols = [str(site.specie.symbol) for site in structure]
        return (
            np.asarray(structure.lattice.matrix, dtype=float),
            np.asarray(structure.cart_coords, dtype=float),
            symbols,
        )
    raise TypeError(f"structure must be ase.Atoms or pymatgen Structure, not {type(structure)}")


def _vacuum_axis(cell: np.ndarray, cart: np.ndarray) -> int:
    """Index of the lattice vector across which the widest empty slab [Å] lies."""
    lengths = np.linalg.norm(cell, axis=1)
    if np.any(lengths < 1e-8):
        return int(np.argmin(lengths))
    frac = np.mod(cart @ np.linalg.inv(cell), 1.0)
    volume = abs(np.linalg.det(cell))
    widths = []
    for i in range(3):
        spacing = volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3]))
        widths.append(_largest_gap(frac[:, i])[0] * spacing)
    return int(np.argmax(widths))


def _largest_gap(values: np.ndarray) -> tuple[float, float]:
    """Widest cyclic gap of values in [0, 1): (width, upper edge)."""
    s = np.sort(values)
    gaps = np.diff(np.append(s, s[0] + 1.0))
    i = int(np.argmax(gaps))
    return float(gaps[i]), float(s[(i + 1) % len(s)])


def _contiguous_along(cell: np.ndarray, cart: np.ndarray, axis: int) -> np.ndarray:
    """Shift atoms by the vacuum lattice vector so the layer does not straddle the cell edge."""
    if np.linalg.norm(cell[axis]) < 1e-8:
        return cart
    frac = np.mod(cart @ np.linalg.inv(cell), 1.0)
    _, upper = _largest_gap(frac[:, axis])
    frac[:, axis] = np.where(frac[:, axis] < upper - 1e-12, frac[:, axis] + 1.0, frac[:, axis])
    return frac @ cell


def gauss_reduce(lattice_A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lagrange-Gauss reduction of a 2D basis.

    Parameters
    ----------
    lattice_A : np.ndarray
        (2, 2) rows a, b [Å].

    Returns
    -------
    reduced, transform : tuple[np.ndarray, np.ndarray]
        ``reduced = transform @ lattice_A`` with |a| <= |b|, |a·b| <= |a|²/2 and
        a·b <= 0 (γ >= 90°, hence 120° for hexagonal cells); ``transform`` is an integer
        matrix of determinant ±1.
    """
    basis = np.array(lattice_A, dtype=float)
    transform = np.eye(2, dtype=int)
    for _ in range(1000):
        if basis[1] @ basis[1] < basis[0] @ basis[0]:
            basis, transform = basis[::-1].copy(), transform[::-1].copy()
        mu = int(np.round(basis[0] @ basis[1] / (basis[0] @ basis[0])))
        if mu == 0:
            break
        basis[1] -= mu * basis[0]
        transform[1] -= mu * transform[0]
    if basis[0] @ basis[1] > 1e-12:
        basis[1], transform[1] = -basis[1], -transform[1]
    return basis, transform


def reduce_layer(layer: Layer2D) -> Layer2D:
    """The same layer in its Gauss-reduced basis (fractional coordinates re-expressed)."""
    reduced, transform = gauss_reduce(layer.lattice_A)
    frac = np.mod(layer.frac @ np.linalg.inv(transform), 1.0)
    return Layer2D(reduced, frac, layer.z_A, layer.species)


def min_image(dfrac: np.ndarray, lattice_A: np.ndarray) -> np.ndarray:
    """Shortest Cartesian vectors [Å] of fractional differences under the lattice.

    Parameters
    ----------
    dfrac : np.ndarray
        (..., 2) fractional differences.
    lattice_A : np.ndarray
        (2, 2) Gauss-reduced lattice [Å] (for a reduced basis checking the 9 neighbouring
        images of the wrapped difference is exact).

    Returns
    -------
    np.ndarray
        (..., 2) Cartesian displacements [Å].
    """
    wrapped = dfrac - np.round(dfrac)
    candidates = (wrapped[..., None, :] + _NEIGHBOURS) @ lattice_A
    best = np.argmin(np.einsum("...ij,...ij->...i", candidates, candidates), axis=-1)
    return np.take_along_axis(candidates, best[..., None, None], axis=-2)[..., 0, :]


def pair_displacements(frac_a: np.ndarray, frac_b: np.ndarray, lattice_A: np.ndarray) -> np.ndarray:
    """(n, m, 2) minimum-image vectors [Å] from each point of ``frac_a`` to each of ``frac_b``."""
    return min_image(frac_b[None, :, :] - frac_a[:, None, :], lattice_A)


def species_indices(species: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Indices of the atoms of each element, elements in order of first appearance."""
    symbols = np.asarray(species)
    return {s: np.flatnonzero(symbols == s) for s in dict.fromkeys(species)}


def primitive_layer(layer: Layer2D, *, tolerance_A: float = 0.1, use_z: bool = True) -> Layer2D:
    """Reduce a layer to its primitive 2D cell, in the Gauss-reduced basis.

    A pure in-plane translation t is a symmetry when the translated layer can be matched
    one-to-one, element by element, onto itself with a root-mean-square displacement of at
    most ``tolerance_A`` and no atom displaced by more than twice that (robust to noise).
    The translations found generate the primitive lattice; equivalent atoms are averaged.

    Parameters
    ----------
    layer : Layer2D
        Any cell of the layer (a supercell, a skewed basis).
    tolerance_A : float
        RMS displacement [Å] of the matched atoms under a symmetry translation.
    use_z : bool
        Compare heights too (the 3D layer's own periodicity). ``False`` reduces the
        projection, where two atoms stacked along the normal are two atoms at one site.

    Returns
    -------
    Layer2D
        The primitive cell in its Gauss-reduced basis. Where atoms cannot be folded
        consistently (noise near the tolerance), the last consistent cell is returned.
    """
    current = reduce_layer(layer)
    for _ in range(8):  # each pass folds by the translations it finds; noise may hide some
        translations = _symmetry_translations(current, tolerance_A, use_z)
        basis = _sublattice_basis(current.lattice_A, translations) if translations else None
        if basis is None:
            return current
        folded = _fold_into(current, *basis, tolerance_A, use_z)
        if folded is None:
            return current
        current = reduce_layer(folded)
    return current


def _distance_sq(
    frac_a: np.ndarray,
    z_a: np.ndarray,
    frac_b: np.ndarray,
    z_b: np.ndarray,
    lattice_A: np.ndarray,
    use_z: bool,
) -> np.ndarray:
    """(n, m) squared distances [Å²], minimum image in-plane, heights optionally."""
    disp = pair_displacements(frac_a, frac_b, lattice_A)
    d2 = np.einsum("ijk,ijk->ij", disp, disp)
    if use_z:
        d2 = d2 + (z_b[None, :] - z_a[:, None]) ** 2
    return d2


def _symmetry_translations(layer: Layer2D, tolerance_A: float, use_z: bool) -> list[np.ndarray]:
    """Distinct non-zero fractional translations that map the layer onto itself."""
    groups = species_indices(layer.species)
    anchor_idx = min(groups.values(), key=len)
    i0 = anchor_idx[0]
    found: list[np.ndarray] = []
    for j in anchor_idx[1:]:
        t = layer.frac[j] - layer.frac[i0]
        t = t - np.round(t)
        if np.linalg.norm(min_image(t, layer.lattice_A)) < tolerance_A:
            continue  # stacked in projection: the identity
        if any(np.linalg.norm(min_image(t - f, layer.lattice_A)) < tolerance_A for f in found):
            continue
        refined = _is_symmetry(layer, groups, t, tolerance_A, use_z)
        if refined is not None:
            found.append(refined)
    return found


def _is_symmetry(
    layer: Layer2D,
    groups: dict[str, np.ndarray],
    t: np.ndarray,
    tolerance_A: float,
    use_z: bool,
) -> np.ndarray | None:
    """The translation refined to the mean matched offset, or None when it is no symmetry."""
    for attempt in range(2):  # the anchor pair's own noise is in t: refine once, then judge
        disp, dz = [], []
        for idx in sorted(groups.values(), key=len):  # rare elements reject cheaply
            frac, z = layer.frac[idx], layer.z_A[idx]
            d = pair_displacements(frac + t, frac, layer.lattice_A)
            d2 = np.einsum("ijk,ijk->ij", d, d)
            if use_z:
                d2 = d2 + (z[None, :] - z[:, None]) ** 2
            rows, cols = linear_sum_assignment(d2)
            if attempt == 0 and np.max(d2[rows, cols]) > 16.0 * tolerance_A**2:
                return None
            disp.append(d[rows, cols])
            dz.append((z[cols] - z[rows]) if use_z else np.zeros(len(rows)))
        offsets = np.concatenate(disp)
        t = t + offsets.mean(axis=0) @ np.linalg.inv(layer.lattice_A)
    sq = np.einsum("ij,ij->i", offsets, offsets) + np.concatenate(dz) ** 2
    if np.mean(sq) > tolerance_A**2 or np.max(sq) > 4.0 * tolerance_A**2:
        return None
    return t - np.round(t)


def _sublattice_basis(
    lattice_A: np.ndarray, translations: list[np.ndarray]
) -> tuple[np.ndarray, int] | None:
    """Basis (2, 2) [Å] of the lattice generated by the cell and the translations, and its
    index (how many of its cells fit in the original one); None when degenerate.

    The two shortest non-collinear vectors of a 2D lattice form a basis; they are then
    snapped so that the original cell vectors are exact integer combinations of them.
    """
    a_len, b_len = np.linalg.norm(lattice_A, axis=1)
    n1 = int(np.ceil(np.sqrt(2.0) * b_len / a_len)) + 1
    shifts = np.array(list(itertools.product(range(-n1, n1 + 1), range(-3, 4))), dtype=float)
    points = np.concatenate([t + shifts for t in [np.zeros(2), *translations]]) @ lattice_A
    lengths = np.linalg.norm(points, axis=1)
    points, lengths = points[lengths > 1e-6], lengths[lengths > 1e-6]
    order = np.argsort(lengths, kind="stable")
    v1 = points[order[0]]
    cross = v1[0] * points[order, 1] - v1[1] * points[order, 0]
    sines = np.abs(cross) / (lengths[order] * lengths[order[0]])
    v2 = points[order[np.argmax(sines > _MIN_SINE)]]
    counts = np.round(lattice_A @ np.linalg.inv(np.stack([v1, v2])))
    index = int(np.rint(abs(np.linalg.det(counts))))
    if index < 2:
        return None
    return np.linalg.inv(counts) @ lattice_A, index


def _fold_into(
    layer: Layer2D, basis: np.ndarray, multiplicity: int, tolerance_A: float, use_z: bool
) -> Layer2D | None:
    """Fold the atoms of ``layer`` into the smaller cell ``basis``; None when inconsistent."""
    reduced_basis, _ = gauss_reduce(basis)
    frac_all = np.mod(layer.xy_A() @ np.linalg.inv(reduced_basis), 1.0)
    fracs, heights, symbols = [], [], []
    for symbol, idx in species_indices(layer.species).items():
        groups = _clusters(frac_all[idx], layer.z_A[idx], reduced_basis, 2.0 * tolerance_A, use_z)
        for members in groups:
            if len(members) % multiplicity:
                return None
            offsets = min_image(frac_all[idx][members] - frac_all[idx][members[0]], reduced_basis)
            centre = frac_all[idx][members[0]] + offsets.mean(axis=0) @ np.linalg.inv(reduced_basis)
            for _ in range(len(members) // multiplicity):
                fracs.append(np.mod(centre, 1.0))
                heights.append(float(layer.z_A[idx][members].mean()))
                symbols.append(symbol)
    return Layer2D(reduced_basis, np.array(fracs), np.array(heights), tuple(symbols))


def _clusters(
    frac: np.ndarray, z: np.ndarray, lattice_A: np.ndarray, tolerance_A: float, use_z: bool
) -> list[list[int]]:
    """Greedy grouping of points that lie within ``tolerance_A`` of a group's first point."""
    d2 = _distance_sq(frac, z, frac, z, lattice_A, use_z)
    unassigned = np.ones(len(frac), dtype=bool)
    groups: list[list[int]] = []
    for i in range(len(frac)):
        if unassigned[i]:
            members = np.flatnonzero(unassigned & (d2[i] <= tolerance_A**2))
            unassigned[members] = False
            groups.append(members.tolist())
    return groups
