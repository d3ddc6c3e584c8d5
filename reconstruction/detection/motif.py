"""The motif: distinct atom-column sites of the unit cell, measured from every repeat.

The image is folded into one unit cell (the lattice-averaged image): every pixel goes to
its fractional coordinate modulo 1, so the average over N cells has sqrt(N) less noise
and the sites are found and measured there. Positions are then refined on the individual
columns (see :func:`reconstruction.detection.lattice.fit_lattice_and_motif`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class CellAverage:
    """An image averaged over unit cells.

    Attributes
    ----------
    mean : np.ndarray
        Mean value on a (nu, nv) grid of fractional coordinates, bin (i, j) centred at
        ((i + 0.5) / nu, (j + 0.5) / nv).
    count : np.ndarray
        Pixels averaged in each bin (nu, nv).
    sem : float
        Typical standard error of one bin (noise of the average).
    """

    mean: np.ndarray
    count: np.ndarray
    sem: float


def fractional(xy_px: np.ndarray, basis: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Fractional coordinates (N, 2) of image points (N, 2) [px]."""
    return np.linalg.solve(basis, (np.asarray(xy_px, float) - origin).T).T


def cell_average(
    image: np.ndarray,
    basis: np.ndarray,
    *,
    pixel_size_A: float,
    origin: np.ndarray | None = None,
    bin_A: float = 0.05,
) -> CellAverage:
    """Average an image over its unit cells.

    Parameters
    ----------
    image : np.ndarray
        Image (rows, cols).
    basis : np.ndarray
        Lattice (2, 2) [px], vectors as columns.
    pixel_size_A : float
        Pixel size [Å/px].
    origin : np.ndarray, optional
        Image point (x, y) [px] of fractional (0, 0); default (0, 0).
    bin_A : float
        Bin size along each lattice vector [Å].

    Returns
    -------
    CellAverage
    """
    origin = np.zeros(2) if origin is None else np.asarray(origin, float)
    rows, cols = image.shape
    lengths = np.linalg.norm(basis, axis=0) * pixel_size_A
    nu, nv = (max(4, int(np.ceil(length / bin_A))) for length in lengths)
    inv = np.linalg.inv(basis)
    y, x = np.mgrid[0:rows, 0:cols]
    u = inv[0, 0] * (x - origin[0]) + inv[0, 1] * (y - origin[1])
    v = inv[1, 0] * (x - origin[0]) + inv[1, 1] * (y - origin[1])
    iu = np.floor((u % 1.0) * nu).astype(np.intp) % nu
    iv = np.floor((v % 1.0) * nv).astype(np.intp) % nv
    flat = (iu * nv + iv).ravel()
    values = image.ravel().astype(float)
    count = np.bincount(flat, minlength=nu * nv).astype(float)
    total = np.bincount(flat, weights=values, minlength=nu * nv)
    total2 = np.bincount(flat, weights=values**2, minlength=nu * nv)
    safe = np.maximum(count, 1)
    mean = total / safe
    var = np.maximum(total2 / safe - mean**2, 0)
    sem = float(np.sqrt(np.median(var / safe)))
    mean = mean.reshape(nu, nv)
    empty = count.reshape(nu, nv) == 0
    if empty.any():
        # Fill the rare empty bins (tiny images) with their neighbours' mean.
        blurred = ndimage.uniform_filter(np.where(empty, 0, mean), 3, mode="wrap")
        weight = ndimage.uniform_filter((~empty).astype(float), 3, mode="wrap")
        mean = np.where(empty, blurred / np.maximum(weight, 1e-9), mean)
    return CellAverage(mean=mean, count=count.reshape(nu, nv), sem=sem)


def find_sites(
    average: CellAverage,
    basis: np.ndarray,
    *,
    pixel_size_A: float,
    min_distance_A: float = 0.6,
    relative_threshold: float = 0.04,
    noise_sigmas: float = 6.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Column sites in a cell-averaged image.

    Parameters
    ----------
    average : CellAverage
        Cell-averaged, background-subtracted image (columns bright).
    basis : np.ndarray
        Lattice (2, 2) [px], vectors as columns.
    pixel_size_A : float
        Pixel size [Å/px].
    min_distance_A : float
        Closest two sites may be [Å].
    relative_threshold : float
        A site's prominence must reach this fraction of the strongest one.
    noise_sigmas : float
        ... and this many standard errors of the average.

    Returns
    -------
    uv : np.ndarray
        Fractional coordinates (K, 2) of the sites in [0, 1), strongest first.
    prominence : np.ndarray
        Peak value above the lowest value within ``min_distance_A`` (K,).
    """
    mean = average.mean
    nu, nv = mean.shape
    lengths = np.linalg.norm(basis, axis=0) * pixel_size_A
    step = lengths / np.array([nu, nv])
    half = np.maximum(1, np.round(0.5 * min_distance_A / step)).astype(int)
    size = tuple(2 * half + 1)
    is_max = mean == ndimage.maximum_filter(mean, size=size, mode="wrap")
    low = ndimage.minimum_filter(mean, size=tuple(4 * half + 1), mode="wrap")
    prom = mean - low
    iu, iv = np.nonzero(is_max)
    p = prom[iu, iv]
    keep = p >= max(relative_threshold * p.max(), noise_sigmas * average.sem)
    iu, iv, p = iu[keep], iv[keep], p[keep]
    du = _parabola(mean, iu, iv, axis=0)
    dv = _parabola(mean, iu, iv, axis=1)
    uv = np.stack([(iu + 0.5 + du) / nu, (iv + 0.5 + dv) / nv], axis=1) % 1.0
    order = np.argsort(-p)
    uv, p = uv[order], p[order]
    return _dedupe(uv, p, basis * pixel_size_A, min_distance_A)


def _parabola(mean: np.ndarray, iu: np.ndarray, iv: np.ndarray, *, axis: int) -> np.ndarray:
    """Sub-bin offset of a periodic maximum along one axis (3-point parabola)."""
    n = mean.shape[axis]
    if axis == 0:
        lo, hi = mean[(iu - 1) % n, iv], mean[(iu + 1) % n, iv]
    else:
        lo, hi = mean[iu, (iv - 1) % n], mean[iu, (iv + 1) % n]
    c = mean[iu, iv]
    den = lo - 2 * c + hi
    return np.clip(np.where(den < 0, 0.5 * (lo - hi) / np.where(den < 0, den, -1), 0), -0.5, 0.5)


def periodic_distances(uv: np.ndarray, basis_A: np.ndarray) -> np.ndarray:
    """Shortest periodic distances (K, K) [Å] between fractional positions."""
    d = uv[:, None, :] - uv[None, :, :]
    d -= np.round(d)
    best = np.full(d.shape[:2], np.inf)
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            cart = (d + np.array([i, j])) @ basis_A.T
            best = np.minimum(best, np.hypot(cart[..., 0], cart[..., 1]))
    return best


def _dedupe(uv: np.ndarray, p: np.ndarray, basis_A: np.ndarray, min_distance_A: float):
    """Drop sites closer than ``min_distance_A`` to a stronger one (sorted input)."""
    dist = periodic_distances(uv, basis_A)
    keep: list[int] = []
    for i in range(len(uv)):
        if all(dist[i, j] >= min_distance_A for j in keep):
            keep.append(i)
    return uv[keep], p[keep]


def site_values(average: CellAverage, uv: np.ndarray) -> np.ndarray:
    """Average-image value at fractional positions (K, 2), periodic linear interpolation."""
    nu, nv = average.mean.shape
    coords = np.stack([uv[:, 0] * nu - 0.5, uv[:, 1] * nv - 0.5])
    return ndimage.map_coordinates(average.mean, coords, order=1, mode="grid-wrap")


def predicted_columns(
    basis: np.ndarray,
    site_xy: np.ndarray,
    shape: tuple[int, int],
    *,
    origin: np.ndarray | None = None,
    margin_px: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every column of the lattice + motif inside an image.

    Parameters
    ----------
    basis : np.ndarray
        Lattice (2, 2) [px], vectors as columns.
    site_xy : np.ndarray
        Site positions (K, 2) in cell (0, 0) [px] (absolute image positions).
    shape : tuple of int
        Image (rows, cols).
    origin : np.ndarray, optional
        A point near the sites of cell (0, 0) [px]; default (0, 0).
    margin_px : float
        Keep columns at least this far inside the edges [px].

    Returns
    -------
    xy : np.ndarray
        Column positions (N, 2) [px].
    cells : np.ndarray
        Integer cell indices (N, 2).
    sites : np.ndarray
        Site index (N,).
    """
    rows, cols = shape
    corners = np.array([[0, 0], [cols, 0], [0, rows], [cols, rows]], float)
    origin = np.zeros(2) if origin is None else np.asarray(origin, float)
    frac = np.linalg.solve(basis, (corners - origin).T).T
    lo = np.floor(frac.min(axis=0)).astype(int) - 1
    hi = np.ceil(frac.max(axis=0)).astype(int) + 1
    n, m = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1), indexing="ij")
    cells = np.stack([n.ravel(), m.ravel()], axis=1)
    origins = cells @ basis.T
    xy = (origins[:, None, :] + site_xy[None, :, :]).reshape(-1, 2)
    all_cells = np.repeat(cells, len(site_xy), axis=0)
    sites = np.tile(np.arange(len(site_xy)), len(cells))
    inside = (
        (xy[:, 0] >= margin_px)
        & (xy[:, 0] <= cols - 1 - margin_px)
        & (xy[:, 1] >= margin_px)
        & (xy[:, 1] <= rows - 1 - margin_px)
    )
    return xy[inside], all_cells[inside], sites[inside]
