"""2D lattice of a micrograph: find it from the autocorrelation, refine it on all columns.

Lattice vectors are the columns of a (2, 2) matrix ``basis`` in pixels, ``basis[:, 0] = a``
and ``basis[:, 1] = b`` as (x, y); a point ``p = origin + basis @ (u, v)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from reconstruction.detection.supercell import SUPERCELLS
from reconstruction.errors import NoLatticeFound


@dataclass(frozen=True)
class Lattice2D:
    """A 2D lattice in the image frame.

    Attributes
    ----------
    a_A, b_A : float
        Lengths of the lattice vectors [Å].
    gamma_deg : float
        Angle between them [deg].
    rotation_deg : float
        Angle of ``a`` from +x towards +y (image rows) [deg].
    basis_px : tuple
        ((ax, bx), (ay, by)) [px]: the vectors as columns.
    residual_A : float
        RMS distance between measured columns and the fitted lattice + motif [Å].
    """

    a_A: float
    b_A: float
    gamma_deg: float
    rotation_deg: float
    basis_px: tuple[tuple[float, float], tuple[float, float]]
    residual_A: float = float("nan")

    @classmethod
    def from_basis(cls, basis_px: np.ndarray, pixel_size_A: float, residual_A: float = np.nan):
        """Build from a (2, 2) basis [px] (vectors as columns)."""
        a, b = basis_px[:, 0], basis_px[:, 1]
        la, lb = np.linalg.norm(a), np.linalg.norm(b)
        gamma = np.degrees(np.arccos(np.clip(a @ b / (la * lb), -1, 1)))
        return cls(
            a_A=float(la * pixel_size_A),
            b_A=float(lb * pixel_size_A),
            gamma_deg=float(gamma),
            rotation_deg=float(np.degrees(np.arctan2(a[1], a[0]))),
            basis_px=tuple(tuple(float(v) for v in row) for row in basis_px),
            residual_A=float(residual_A),
        )

    @property
    def basis(self) -> np.ndarray:
        """The (2, 2) basis [px], vectors as columns."""
        return np.array(self.basis_px, dtype=float)

    def as_dict(self) -> dict[str, Any]:
        return {
            "a_A": self.a_A,
            "b_A": self.b_A,
            "gamma_deg": self.gamma_deg,
            "rotation_deg": self.rotation_deg,
            "basis_px": [list(r) for r in self.basis_px],
            "residual_A": self.residual_A,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lattice2D:
        return cls(
            a_A=float(d["a_A"]),
            b_A=float(d["b_A"]),
            gamma_deg=float(d["gamma_deg"]),
            rotation_deg=float(d["rotation_deg"]),
            basis_px=tuple(tuple(float(v) for v in r) for r in d["basis_px"]),
            residual_A=float(d["residual_A"]),
        )


def gauss_reduce(basis: np.ndarray) -> np.ndarray:
    """Gauss-Lagrange reduction: shortest basis of the same 2D lattice, gamma >= 90 deg.

    Parameters
    ----------
    basis : np.ndarray
        (2, 2) vectors as columns (any length unit).

    Returns
    -------
    np.ndarray
        Reduced (2, 2) basis, ``|a| <= |b|``. Handedness is kept as found: a mirrored
        image is the same layer seen from the other side.
    """
    a, b = basis[:, 0].astype(float).copy(), basis[:, 1].astype(float).copy()
    for _ in range(100):
        if a @ a > b @ b:
            a, b = b, a
        m = np.round((a @ b) / (a @ a))
        if m == 0:
            break
        b = b - m * a
    if a @ a > b @ b:
        a, b = b, a
    if a @ b > 0:
        b = -b
    return np.stack([a, b], axis=1)


def _fast_size(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (fast FFT length)."""
    best = 1 << int(np.ceil(np.log2(n)))
    for p3 in (1, 3, 9, 27):
        for p5 in (1, 5, 25):
            m = p3 * p5
            while m < n:
                m *= 2
            best = min(best, m)
    return best


def autocorrelation(filtered: np.ndarray, *, max_shift_px: int) -> np.ndarray:
    """Normalised autocorrelation for shifts up to ``max_shift_px`` (centred, ac[0] = 1).

    Divides by the overlap area of each shift, so long shifts are not damped.
    """
    rows, cols = filtered.shape
    # Padding by the largest shift is enough to keep shifts up to it free of wrap-around.
    pad = (_fast_size(rows + max_shift_px + 1), _fast_size(cols + max_shift_px + 1))
    spectrum = np.fft.rfft2(filtered, s=pad)
    ac = np.fft.irfft2(np.abs(spectrum) ** 2, s=pad)
    m = max_shift_px
    ac = np.roll(ac, (m, m), axis=(0, 1))[: 2 * m + 1, : 2 * m + 1]
    sy = np.arange(-m, m + 1)[:, None]
    sx = np.arange(-m, m + 1)[None, :]
    overlap = (rows - np.abs(sy)) * (cols - np.abs(sx))
    ac = ac / overlap
    return ac / ac[m, m]


def _peaks(ac: np.ndarray, m: int, pixel_size_A: float) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of an autocorrelation (shifts up to ``m``): sub-pixel shifts (N, 2)
    [px, (x, y)] and heights (N,)."""
    size = max(3, round(0.5 / pixel_size_A) | 1)
    is_peak = ac == ndimage.maximum_filter(ac, size=size, mode="constant", cval=np.inf)
    is_peak[[0, -1], :] = is_peak[:, [0, -1]] = False
    rows, cols = np.nonzero(is_peak)
    return _subpixel_peaks(ac, rows, cols) - m, ac[rows, cols]


def _subpixel_peaks(ac: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Quadratic (3-point, per axis) refinement of peaks; returns (N, 2) (x, y) offsets."""
    c, l_, r_ = ac[rows, cols], ac[rows, cols - 1], ac[rows, cols + 1]
    u_, d_ = ac[rows - 1, cols], ac[rows + 1, cols]
    den_x = l_ - 2 * c + r_
    den_y = u_ - 2 * c + d_
    ox = np.where(den_x < 0, 0.5 * (l_ - r_) / np.where(den_x < 0, den_x, -1), 0.0)
    oy = np.where(den_y < 0, 0.5 * (u_ - d_) / np.where(den_y < 0, den_y, -1), 0.0)
    return np.stack([cols + np.clip(ox, -0.5, 0.5), rows + np.clip(oy, -0.5, 0.5)], axis=1)


def find_lattice(
    filtered: np.ndarray,
    *,
    pixel_size_A: float,
    max_lattice_A: float = 30.0,
    min_shift_A: float = 0.8,
    relative_height: float = 0.92,
    min_peak: float = 0.02,
    min_indexed: float = 0.7,
) -> np.ndarray:
    """Primitive lattice of an image from the peaks of its autocorrelation.

    A lattice translation maps every column onto an equal one, so its autocorrelation
    peak is as high as any; shifts that map one sublattice onto another reach less.
    The two shortest independent peaks within ``relative_height`` of the highest give
    the basis, refined by least squares over every such peak with integer indices (long
    vectors, high precision).

    Parameters
    ----------
    filtered : np.ndarray
        Background-subtracted image (rows, cols).
    pixel_size_A : float
        Pixel size [Å/px].
    max_lattice_A : float
        Longest shift searched [Å] (capped at 45% of the shorter image side).
    min_shift_A : float
        Shifts shorter than this [Å] are the central peak.
    relative_height : float
        A translation's peak must reach this fraction of the highest one within 15 Å.
    min_peak : float
        The highest non-central peak must reach this (autocorrelation at 0 is 1).
    min_indexed : float
        Share of the high peaks that must fall on the lattice found.

    Returns
    -------
    np.ndarray
        Gauss-reduced basis (2, 2) [px], vectors as columns.

    Raises
    ------
    NoLatticeFound
        No two independent translations were found.
    """
    m = int(min(max_lattice_A * 1.5 / pixel_size_A, 0.45 * min(filtered.shape)))
    if m < 4:
        raise NoLatticeFound("the image is too small to find a lattice")
    ac = autocorrelation(filtered, max_shift_px=m)
    xy, h = _peaks(ac, m, pixel_size_A)
    dist = np.hypot(xy[:, 0], xy[:, 1])
    keep = (dist > min_shift_A / pixel_size_A) & (dist <= m)
    xy, h, dist = xy[keep], h[keep], dist[keep]
    if len(h) < 2 or h.max() <= min_peak:
        raise NoLatticeFound("no periodic contrast in the image (autocorrelation is flat)")
    # Far shifts overlap less and fluctuate more: the reference level is taken nearby.
    near = dist <= max(15.0 / pixel_size_A, 2 * dist.min())
    high = h >= relative_height * h[near].max()
    xy, dist = xy[high], dist[high]
    basis = gauss_reduce(_refine_on_vectors(_shortest_pair(xy[np.argsort(dist)]), xy))
    indexed = _indexed(basis, xy)
    if indexed < min_indexed:
        # Half (third, quarter) translations as high as the lattice's: start from the finer
        # pseudo-lattice they make; the supercell test recovers the true cell later.
        finer = [gauss_reduce(basis @ np.linalg.inv(m)) for m in SUPERCELLS]
        scores = [_indexed(b, xy) for b in finer]
        if max(scores) > indexed:
            basis = gauss_reduce(_refine_on_vectors(finer[int(np.argmax(scores))], xy))
            indexed = _indexed(basis, xy)
    if len(xy) < 4 or indexed < min_indexed:
        raise NoLatticeFound(
            f"no consistent 2D lattice: only {indexed:.0%} of the strongest translations "
            "fit one lattice"
        )
    return basis


def lattice_from_template(
    filtered: np.ndarray,
    cell_A: np.ndarray,
    *,
    pixel_size_A: float,
    step_deg: float = 0.25,
    min_contrast: float = 0.5,
) -> np.ndarray:
    """The lattice of a known cell, oriented on the image's autocorrelation.

    When the autocorrelation's strongest peaks do not make one lattice (low dose, a
    sublattice brighter than the rest), a retrieved template still says which cell to
    look for: its reduced basis is turned (and mirrored) in ``step_deg`` steps to where
    the autocorrelation at its translations (indices up to 3) is highest, then refined
    by least squares on the autocorrelation peaks it indexes.

    Parameters
    ----------
    filtered : np.ndarray
        Background-subtracted image (rows, cols).
    cell_A : np.ndarray
        The template's in-plane cell (2, 2) [Å], vectors as rows.
    pixel_size_A : float
        [Å/px].
    step_deg : float
        Angular step of the orientation search.
    min_contrast : float
        The autocorrelation at the best orientation's translations, above its median at
        all orientations, must reach this fraction of the highest non-central peak's.

    Returns
    -------
    np.ndarray
        Gauss-reduced basis (2, 2) [px], vectors as columns.

    Raises
    ------
    NoLatticeFound
        The template's cell does not match the image in any orientation.
    """
    t = gauss_reduce(np.asarray(cell_A, float)[:2, :2].T) / pixel_size_A
    longest = float(np.linalg.norm(t, axis=0).max())
    m = int(min(3.5 * longest + 2, 0.45 * min(filtered.shape)))
    if m < 2 * longest:
        raise NoLatticeFound("the image is too small for the template's cell")
    ac = autocorrelation(filtered, max_shift_px=m)
    n = np.array([(i, j) for i in range(-3, 4) for j in range(0, 4) if (j > 0 or i > 0)], float)
    theta = np.radians(np.arange(0.0, 360.0, step_deg))
    best = (-np.inf, None)
    scores = []
    for mirror in (1.0, -1.0):
        tm = t * np.array([[1.0], [mirror]])
        for th in theta:
            c, s_ = np.cos(th), np.sin(th)
            basis = np.array([[c, -s_], [s_, c]]) @ tm
            xy = n @ basis.T
            inside = np.all(np.abs(xy) < m - 1, axis=1)
            vals = ndimage.map_coordinates(ac, [xy[inside, 1] + m, xy[inside, 0] + m], order=1)
            score = float(vals.mean()) if len(vals) else -np.inf
            scores.append(score)
            if score > best[0]:
                best = (score, basis)
    xy, h = _peaks(ac, m, pixel_size_A)
    far = np.hypot(xy[:, 0], xy[:, 1]) > 0.8 / pixel_size_A
    top = float(h[far].max()) if far.any() else 0.0
    if top <= 0 or best[0] - float(np.median(scores)) < min_contrast * top:
        raise NoLatticeFound(
            "no consistent 2D lattice, and the template's cell fits no orientation either"
        )
    basis = best[1]
    high = far & (h >= 0.5 * top)
    return gauss_reduce(_refine_on_vectors(basis, xy[high]))


def _indexed(basis: np.ndarray, vectors: np.ndarray) -> float:
    """Share of translation vectors with (near-)integer indices on ``basis``."""
    idx = np.linalg.solve(basis, vectors.T).T
    return float(np.mean(np.all(np.abs(idx - np.round(idx)) < 0.15, axis=1)))


def _shortest_pair(vectors: np.ndarray) -> np.ndarray:
    """The shortest vector and the shortest one not parallel to it, as columns."""
    a = vectors[0]
    for v in vectors[1:]:
        sin = abs(a[0] * v[1] - a[1] * v[0]) / (np.linalg.norm(a) * np.linalg.norm(v))
        if sin > 0.25:
            return np.stack([a, v], axis=1)
    raise NoLatticeFound("the image is periodic in one direction only (no 2D lattice)")


def _refine_on_vectors(basis: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Least-squares basis from every translation vector that has integer indices."""
    idx = np.linalg.solve(basis, vectors.T).T
    n = np.round(idx)
    good = np.all(np.abs(idx - n) < 0.15, axis=1) & np.any(n != 0, axis=1)
    if good.sum() < 2:
        return basis
    sol, *_ = np.linalg.lstsq(n[good], vectors[good], rcond=None)
    return sol.T


def fit_lattice_and_motif(
    xy_px: np.ndarray,
    cells: np.ndarray,
    sites: np.ndarray,
    n_sites: int,
    *,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear least squares of ``xy = n a + m b + s_site`` over all columns.

    Parameters
    ----------
    xy_px : np.ndarray
        Measured column positions (N, 2) [px].
    cells : np.ndarray
        Integer cell indices (N, 2) of each column.
    sites : np.ndarray
        Site index (N,) of each column in ``range(n_sites)``.
    n_sites : int
        Number of sites in the cell.
    weights : np.ndarray, optional
        Per-column weights (N,).

    Returns
    -------
    basis : np.ndarray
        (2, 2) [px], vectors as columns.
    site_xy : np.ndarray
        (n_sites, 2) positions of the sites in cell (0, 0) [px].
    residuals : np.ndarray
        (N, 2) measured minus fitted [px].
    """
    n = len(xy_px)
    design = np.zeros((n, 2 + n_sites))
    design[:, :2] = cells
    design[np.arange(n), 2 + sites] = 1.0
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    sw = np.sqrt(w)[:, None]
    sol, *_ = np.linalg.lstsq(design * sw, xy_px * sw, rcond=None)
    basis = sol[:2].T
    return basis, sol[2:], xy_px - design @ sol
