"""The naive baseline: what a segmentation-only tool gets you.

Peak finding on the raw image, a lattice from the two strongest Fourier peaks refined by
least squares, sites by folding peaks into the cell, and each site's element guessed from
its mean intensity (brighter = heavier) — no denoising, no templates, no mixture model, no
chemistry. It stands in for tools such as AtomAI in the benchmark table.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from scipy import ndimage

from reconstruction.chemistry import parse_elements
from reconstruction.errors import ScienceError


class NaiveFailure(ScienceError, RuntimeError):
    """The baseline could not produce a structure."""


def find_peaks(image: np.ndarray, pixel_size_A: float) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of the lightly smoothed image: positions (x, y) [Å] and heights."""
    from skimage.feature import peak_local_max

    smooth = ndimage.gaussian_filter(image.astype(np.float64), 0.3 / pixel_size_A)
    smooth -= ndimage.gaussian_filter(smooth, 4.0 / pixel_size_A)
    distance = max(1, round(0.7 / pixel_size_A))
    threshold = smooth.mean() + 0.3 * smooth.std()
    rc = peak_local_max(smooth, min_distance=distance, threshold_abs=threshold, exclude_border=2)
    if len(rc) < 6:
        raise NaiveFailure(f"only {len(rc)} peaks found")
    return rc[:, ::-1] * pixel_size_A, smooth[rc[:, 0], rc[:, 1]]


def fourier_lattice(image: np.ndarray, pixel_size_A: float) -> np.ndarray:
    """Two real-space lattice vectors [Å] (rows) from the strongest Fourier peaks."""
    ny, nx = image.shape
    window = np.outer(np.hanning(ny), np.hanning(nx))
    power = np.abs(np.fft.fftshift(np.fft.fft2((image - image.mean()) * window))) ** 2
    cy, cx = ny // 2, nx // 2
    yy, xx = np.mgrid[:ny, :nx]
    power[np.hypot(yy - cy, xx - cx) < 3] = 0  # drop DC and the background
    peaks = np.argsort(power.ravel())[::-1][:200]
    k = np.stack([(xx.ravel()[peaks] - cx) / (nx * pixel_size_A),
                  (yy.ravel()[peaks] - cy) / (ny * pixel_size_A)], axis=1)  # fmt: skip
    g1 = k[0]
    for g2 in k[1:]:
        cross = abs(g1[0] * g2[1] - g1[1] * g2[0])
        if cross > 0.3 * np.linalg.norm(g1) * np.linalg.norm(g2):
            return np.linalg.inv(np.stack([g1, g2])).T
    raise NaiveFailure("no two independent Fourier peaks")


def refine_lattice(xy: np.ndarray, lattice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares lattice and origin from peaks assigned to integer indices."""
    origin = xy[np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1))]
    frac = (xy - origin) @ np.linalg.inv(lattice)
    near = np.all(np.abs(frac - np.round(frac)) < 0.15, axis=1)
    if near.sum() >= 3:
        design = np.column_stack([np.round(frac[near]), np.ones(near.sum())])
        solution, *_ = np.linalg.lstsq(design, xy[near], rcond=None)
        lattice, origin = solution[:2], solution[2]
    return lattice, origin


def fold_sites(xy, heights, lattice, origin, *, tol_A: float = 0.4):
    """Cluster peaks folded into the cell: site fractional positions and mean heights."""
    frac = np.mod((xy - origin) @ np.linalg.inv(lattice), 1.0)
    sites: list[list[int]] = []
    centres: list[np.ndarray] = []
    for i, f in enumerate(frac):
        for s, c in enumerate(centres):
            d = (f - c) - np.round(f - c)
            if np.linalg.norm(d @ lattice) < tol_A:
                sites[s].append(i)
                break
        else:
            sites.append([i])
            centres.append(f)
    counts = np.array([len(s) for s in sites])
    keep = [s for s, n in zip(sites, counts, strict=True) if n >= 0.25 * counts.max()]
    positions, means = [], []
    for members in keep:
        f = frac[members]
        ref = f[0]
        unwrapped = ref + ((f - ref) - np.round(f - ref))
        positions.append(np.mod(unwrapped.mean(axis=0), 1.0))
        means.append(float(np.mean(heights[members])))
    return np.array(positions), np.array(means)


def guess_elements(means: np.ndarray, elements: list[str]) -> list[str]:
    """Nearest-intensity guess: intensities and Z both scaled to [0, 1]."""
    from ase.data import atomic_numbers

    by_z = sorted(elements, key=lambda e: atomic_numbers[e])
    if len(by_z) == 1:
        return [by_z[0]] * len(means)
    z = np.array([atomic_numbers[e] for e in by_z], float)
    z_scaled = (z - z.min()) / np.ptp(z)
    span = np.ptp(means) or 1.0
    i_scaled = (means - means.min()) / span
    return [by_z[int(np.argmin(np.abs(z_scaled - v)))] for v in i_scaled]


def reconstruct_naive(
    image: np.ndarray, *, pixel_size_A: float, elements: list[str] | str, vacuum_A: float = 20.0
) -> Atoms:
    """The baseline's structure: a flat layer (z unknown), cell c = ``vacuum_A`` [Å]."""
    symbols = parse_elements(elements)
    xy, heights = find_peaks(image, pixel_size_A)
    lattice, origin = refine_lattice(xy, fourier_lattice(image, pixel_size_A))
    a, b = np.linalg.norm(lattice, axis=1)
    if abs(np.linalg.det(lattice)) < 0.2 * a * b:
        raise NaiveFailure("the fitted lattice vectors are nearly collinear")
    frac, means = fold_sites(xy, heights, lattice, origin)
    cell = np.zeros((3, 3))
    cell[:2, :2] = lattice
    cell[2, 2] = vacuum_A
    scaled = np.column_stack([frac, np.full(len(frac), 0.5)])
    return Atoms(guess_elements(means, symbols), scaled_positions=scaled, cell=cell, pbc=True)
