"""Heights (z) of atoms seen in projection: from a template, or from chemistry.

A plan-view image gives x, y only. Without a template, cations (the less electronegative
elements) sit in the mid-plane and anions above or below it at a bond length (sum of
covalent radii) from the nearest cation column; a stacked column of two atoms puts one
above and one below. Single anion columns alternate up/down so as to keep anions apart.
Relaxation settles the rest.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from pymatgen.core import Element

#: Elements within this electronegativity [Pauling] of the most electronegative are anions.
ANION_WINDOW = 0.5
#: Buckling below this height [Å] is not put in (planar layers such as hBN stay planar).
MIN_BUCKLING_A = 0.6


def _electronegativity(symbol: str) -> float:
    x = Element(symbol).X
    return float(x) if np.isfinite(x) else 1.0


def anion_elements(elements: list[str]) -> set[str]:
    """Elements treated as anions (none for a unary layer)."""
    if len(set(elements)) < 2:
        return set()
    en = {e: _electronegativity(e) for e in elements}
    top = max(en.values())
    anions = {e for e, x in en.items() if x >= top - ANION_WINDOW}
    return anions if len(anions) < len(en) else {max(en, key=en.get)}


def _radius(symbol: str) -> float:
    return float(covalent_radii[atomic_numbers[symbol]])


def chemical_heights(
    site_xy_A: np.ndarray,
    contents: list[tuple[str, int]],
    cell_A: np.ndarray,
) -> list[list[float]]:
    """Heights [Å] of the atoms of every column (one list per site).

    Parameters
    ----------
    site_xy_A : np.ndarray
        In-plane Cartesian positions (K, 2) [Å].
    contents : list of (element, count)
        Column contents per site.
    cell_A : np.ndarray
        In-plane lattice (2, 2) [Å], vectors as rows.

    Returns
    -------
    list of list of float
        z of each atom of each column, relative to the mid-plane [Å].
    """
    elements = [e for e, _ in contents]
    anions = anion_elements(elements)
    cations = [i for i, (e, _) in enumerate(contents) if e not in anions]
    images = np.array([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)]) @ cell_A
    heights: list[list[float]] = []
    placed: list[np.ndarray] = []
    for i, (element, n) in enumerate(contents):
        if element not in anions or not cations:
            h = _radius(element) if n > 1 else 0.0
            heights.append([h, -h][:n] if n > 1 else [0.0])
            continue
        d_xy = min(
            np.min(np.linalg.norm(site_xy_A[j] + images - site_xy_A[i], axis=1)) for j in cations
        )
        bond = _radius(element) + min(_radius(contents[j][0]) for j in cations)
        h = float(np.sqrt(max(bond**2 - d_xy**2, 0.0)))
        if h < MIN_BUCKLING_A:
            h = _radius(element) if n > 1 else 0.0
        if n > 1:
            heights.append([h, -h][:n])
            continue
        sign = _best_sign(site_xy_A[i], h, placed, images)
        heights.append([sign * h])
        placed.append(np.array([*site_xy_A[i], sign * h]))
    return heights


def _best_sign(xy: np.ndarray, h: float, placed: list[np.ndarray], images: np.ndarray) -> float:
    """Side (+1/-1) that keeps a new anion farthest from those already placed."""
    if h == 0.0 or not placed:
        return 1.0
    best, best_d = 1.0, -1.0
    for sign in (1.0, -1.0):
        p = np.array([*xy, sign * h])
        d = min(
            np.min(
                np.linalg.norm(q[None, :2] + images - p[None, :2], axis=1) ** 2 + (q[2] - p[2]) ** 2
            )
            for q in placed
        )
        if d > best_d + 1e-6:
            best, best_d = sign, d
    return best


def template_heights(
    site_frac: np.ndarray,
    contents: list[tuple[str, int]],
    template: Atoms,
    *,
    cell_A: np.ndarray | None = None,
    tolerance_A: float = 0.5,
    cell_tolerance: float = 0.03,
) -> list[list[float]] | None:
    """Heights from a template with the same 2D cell, or None if it does not fit.

    Every choice of basis of the measured cell (unimodular changes, mirrors included)
    whose lengths and angle match the template's within ``cell_tolerance`` is tried; the
    reconstruction is shifted (over every site-to-atom translation of the same element)
    to the best match, and each site takes the z of the template atoms in its column.

    Parameters
    ----------
    site_frac : np.ndarray
        Fractional in-plane coordinates (K, 2) of the sites.
    contents : list of (element, count)
        Column contents per site.
    template : ase.Atoms
        Known layer, c along z.
    cell_A : np.ndarray, optional
        Measured in-plane cell (2, 2) [Å], vectors as rows; default: the template's.
    tolerance_A : float
        Largest site-to-atom distance [Å] in projection.
    cell_tolerance : float
        Relative tolerance on lengths (and on the angle's cosine) of the two cells.
    """
    cell_t = np.array(template.cell)[:2, :2]
    cell = cell_t if cell_A is None else np.asarray(cell_A, float)
    best: tuple[float, list[list[float]]] | None = None
    for m in _unimodular():
        if not _same_cell(m @ cell, cell_t, cell_tolerance):
            continue
        frac = (site_frac @ np.linalg.inv(m)) % 1.0
        found = _match_template(frac, contents, template, tolerance_A)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return None if best is None else best[1]


def _unimodular() -> list[np.ndarray]:
    values = (-1, 0, 1)
    mats = [
        np.array([[a, b], [c, d]]) for a in values for b in values for c in values for d in values
    ]
    return [m for m in mats if abs(round(np.linalg.det(m))) == 1]


def _same_cell(cell: np.ndarray, ref: np.ndarray, tol: float) -> bool:
    la, lb = np.linalg.norm(cell, axis=1)
    ra, rb = np.linalg.norm(ref, axis=1)
    cos = cell[0] @ cell[1] / (la * lb)
    rcos = ref[0] @ ref[1] / (ra * rb)
    return abs(la / ra - 1) < tol and abs(lb / rb - 1) < tol and abs(cos - rcos) < tol


def _match_template(site_frac, contents, template, tolerance_A):
    """Best (worst distance, heights) over translations, or None."""
    cell = np.array(template.cell)[:2, :2]
    frac_t = template.get_scaled_positions(wrap=True)[:, :2]
    z_t = template.positions[:, 2] - template.positions[:, 2].mean()
    sym_t = np.array(template.get_chemical_symbols())
    best: tuple[float, list[list[float]]] | None = None
    for anchor in np.nonzero(sym_t == contents[0][0])[0]:
        shift = frac_t[anchor] - site_frac[0]
        heights, worst = [], 0.0
        for uv, (element, n) in zip(site_frac, contents, strict=True):
            d = frac_t - (uv + shift)
            d -= np.round(d)
            dist = np.linalg.norm(d @ cell, axis=1)
            match = np.nonzero((dist < tolerance_A) & (sym_t == element))[0]
            if len(match) != n:
                worst = np.inf
                break
            worst = max(worst, float(dist[match].max()))
            heights.append(sorted(z_t[match].tolist(), reverse=True))
        if np.isfinite(worst) and (best is None or worst < best[0]):
            best = (worst, heights)
    return best
