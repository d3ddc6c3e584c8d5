"""Symmetry-aware matching of two projected layers: lattice correspondence, origin shift and
element-wise assignment, giving the projected mean squared position error MSE_2D [Å²].

Both layers are first reduced to their primitive projected cells (Gauss-reduced basis). The
predicted basis is then related to the reference basis by every unimodular integer matrix M
(|m_ij| <= ``max_coeff``) whose image M·B_pred has, within a window of the best one, the
same metric (lengths of a, b, a - b) as B_ref. Comparing metrics rather than vectors makes
the search blind to any in-plane rotation or reflection of the prediction, and the set of M
found contains the whole point group of the reference lattice (all rotations and mirrors
that map it onto itself), so every symmetry-equivalent way of overlaying the two lattices is
tried. For each M the origin shift and the per-element one-to-one assignment are optimised
together (anchor trials + alternating Hungarian assignment / mean-residual shift).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from reconstruction.metrics.layer import Layer2D, pair_displacements, species_indices

Frame = Literal["reference", "own"]


@dataclass(frozen=True)
class PositionMatch:
    """Outcome of overlaying a predicted layer on a reference layer.

    Attributes
    ----------
    mse_2d_A2 : float | None
        Mean squared projected distance between matched atoms [Å²]; None when no
        one-to-one element-wise matching exists.
    transform : tuple[tuple[int, int], tuple[int, int]] | None
        Integer basis change M of the best overlay (predicted basis -> M @ basis).
    lattice_mismatch : float | None
        Largest relative difference of |a|, |b|, |a - b| after the basis change.
    reason : str
        Why no matching exists (empty otherwise).
    tolerance_A : float | None
        Primitive-reduction tolerance [Å] the two cells were reduced with, when known.
    """

    mse_2d_A2: float | None
    transform: tuple[tuple[int, int], tuple[int, int]] | None = None
    lattice_mismatch: float | None = None
    reason: str = ""
    tolerance_A: float | None = None


def _unimodular(max_coeff: int) -> np.ndarray:
    """(k, 2, 2) integer matrices with entries in [-max_coeff, max_coeff] and det ±1."""
    values = range(-max_coeff, max_coeff + 1)
    mats = np.array(list(itertools.product(values, repeat=4)), dtype=int).reshape(-1, 2, 2)
    det = mats[:, 0, 0] * mats[:, 1, 1] - mats[:, 0, 1] * mats[:, 1, 0]
    return mats[np.abs(det) == 1]


def _metric_lengths(lattices: np.ndarray) -> np.ndarray:
    """(..., 3) lengths |a|, |b|, |a - b| [Å] of (..., 2, 2) lattices."""
    a, b = lattices[..., 0, :], lattices[..., 1, :]
    return np.stack([np.linalg.norm(v, axis=-1) for v in (a, b, a - b)], axis=-1)


def lattice_correspondences(
    pred_lattice_A: np.ndarray,
    ref_lattice_A: np.ndarray,
    *,
    max_coeff: int = 2,
    window: float = 0.05,
) -> list[tuple[np.ndarray, float]]:
    """Basis changes that overlay the predicted lattice on the reference lattice.

    Parameters
    ----------
    pred_lattice_A, ref_lattice_A : np.ndarray
        (2, 2) rows a, b [Å]; Gauss-reduced bases keep the coefficients needed small.
    max_coeff : int
        Largest |m_ij| tried.
    window : float
        Matrices whose relative metric mismatch is within ``window`` of the best are kept.

    Returns
    -------
    list[tuple[np.ndarray, float]]
        (M, mismatch) pairs, best first; never empty. M is (2, 2) integer, det ±1.
    """
    mats = _unimodular(max_coeff)
    ref = _metric_lengths(np.asarray(ref_lattice_A, dtype=float))
    pred = _metric_lengths(mats @ np.asarray(pred_lattice_A, dtype=float))
    mismatch = np.max(np.abs(pred - ref) / ref, axis=-1)
    keep = np.flatnonzero(mismatch <= mismatch.min() + window)
    keep = keep[np.argsort(mismatch[keep], kind="stable")]
    return [(mats[i], float(mismatch[i])) for i in keep]


def predicted_in_reference_cell(
    pred: Layer2D, ref: Layer2D, transform: np.ndarray, *, frame: Frame = "reference"
) -> np.ndarray:
    """Fractional coordinates, in the reference cell, of the predicted atoms.

    Parameters
    ----------
    pred, ref : Layer2D
        Primitive, Gauss-reduced layers.
    transform : np.ndarray
        (2, 2) integer basis change M: the predicted basis M @ B_pred plays the role of B_ref.
    frame : {"reference", "own"}
        ``"reference"``: the predicted fractional coordinates are placed in the reference
        cell, so the lattice error (measured by RMSD_xy) does not enter the position error.
        ``"own"``: the predicted cell keeps its own size and shape; it is only rotated (or
        reflected) onto the reference by the orthogonal Procrustes solution, so a strained
        lattice adds to the position error, more for atoms far from the matched origin.

    Returns
    -------
    np.ndarray
        (n, 2) fractional coordinates along the reference basis.
    """
    frac = pred.frac @ np.linalg.inv(transform)
    if frame == "reference":
        return frac
    if frame != "own":
        raise ValueError(f"frame must be 'reference' or 'own', not {frame!r}")
    own = transform @ pred.lattice_A
    u, _, vt = np.linalg.svd(own.T @ ref.lattice_A)
    return frac @ own @ (u @ vt) @ np.linalg.inv(ref.lattice_A)


def match_positions(
    pred: Layer2D,
    ref: Layer2D,
    *,
    max_coeff: int = 2,
    window: float = 0.05,
    frame: Frame = "reference",
    max_iter: int = 10,
) -> PositionMatch:
    """Smallest projected MSE [Å²] over lattice overlays, origin shifts and assignments.

    Parameters
    ----------
    pred, ref : Layer2D
        Primitive, Gauss-reduced projected layers (see ``layer.primitive_layer``).
    max_coeff, window : int, float
        Search for basis changes (see :func:`lattice_correspondences`).
    frame : {"reference", "own"}
        Which cell the predicted positions are measured in (see
        :func:`predicted_in_reference_cell`).
    max_iter : int
        Alternations of assignment and shift per anchor.

    Returns
    -------
    PositionMatch
        With ``mse_2d_A2 = None`` and a reason when the atom counts or the element counts
        differ.
    """
    reason = _count_mismatch(pred, ref)
    if reason:
        return PositionMatch(None, reason=reason)
    best = PositionMatch(np.inf)
    for transform, mismatch in lattice_correspondences(
        pred.lattice_A, ref.lattice_A, max_coeff=max_coeff, window=window
    ):
        frac = predicted_in_reference_cell(pred, ref, transform, frame=frame)
        mse = _best_overlay(frac, pred.species, ref, max_iter)
        if mse < best.mse_2d_A2:
            as_tuple = tuple(tuple(int(x) for x in row) for row in transform)
            best = PositionMatch(mse, as_tuple, mismatch)
        if mse < 1e-12:
            break
    return best


def _count_mismatch(pred: Layer2D, ref: Layer2D) -> str:
    """Why an element-wise one-to-one matching is impossible, or ''."""
    if pred.n_atoms != ref.n_atoms:
        return (
            f"atom count differs after primitive reduction: predicted {pred.n_atoms}, "
            f"reference {ref.n_atoms}"
        )
    p = {s: len(i) for s, i in species_indices(pred.species).items()}
    r = {s: len(i) for s, i in species_indices(ref.species).items()}
    if p != r:
        return f"element counts differ in the primitive cell: predicted {p}, reference {r}"
    return ""


def _best_overlay(frac: np.ndarray, species: tuple[str, ...], ref: Layer2D, max_iter: int) -> float:
    """Smallest MSE [Å²] over origin shifts started by putting one predicted atom of the
    rarest element on each reference atom of that element."""
    pred_groups = species_indices(species)
    ref_groups = species_indices(ref.species)
    anchor = min(ref_groups, key=lambda s: len(ref_groups[s]))
    p0 = frac[pred_groups[anchor][0]]
    best = np.inf
    for j in ref_groups[anchor]:
        shift = ref.frac[j] - p0
        best = min(best, _refine_shift(frac, shift, pred_groups, ref, ref_groups, max_iter))
        if best < 1e-12:
            break
    return best


def _refine_shift(
    frac: np.ndarray,
    shift: np.ndarray,
    pred_groups: dict[str, np.ndarray],
    ref: Layer2D,
    ref_groups: dict[str, np.ndarray],
    max_iter: int,
) -> float:
    """Alternate optimal assignment (fixed shift) and optimal shift (fixed assignment)."""
    inv_lattice = np.linalg.inv(ref.lattice_A)
    mse = np.inf
    for _ in range(max_iter):
        residuals = _assigned_residuals(frac + shift, pred_groups, ref, ref_groups)
        mse = min(mse, float(np.mean(np.einsum("ij,ij->i", residuals, residuals))))
        mean = residuals.mean(axis=0)
        if mean @ mean < 1e-14:
            return mse  # the shift is optimal for an assignment that is optimal for it
        shift = shift + mean @ inv_lattice
    residuals = _assigned_residuals(frac + shift, pred_groups, ref, ref_groups)
    return min(mse, float(np.mean(np.einsum("ij,ij->i", residuals, residuals))))


def _assigned_residuals(
    frac: np.ndarray,
    pred_groups: dict[str, np.ndarray],
    ref: Layer2D,
    ref_groups: dict[str, np.ndarray],
) -> np.ndarray:
    """(n, 2) minimum-image vectors [Å] from predicted to assigned reference atoms."""
    out = []
    for symbol, ref_idx in ref_groups.items():
        disp = pair_displacements(frac[pred_groups[symbol]], ref.frac[ref_idx], ref.lattice_A)
        cost = np.einsum("ijk,ijk->ij", disp, disp)
        rows, cols = linear_sum_assignment(cost)
        out.append(disp[rows, cols])
    return np.concatenate(out)
