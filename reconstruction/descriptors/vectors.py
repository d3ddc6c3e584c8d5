"""Fixed-length descriptor vectors from an :class:`~.observe.Observation` (all in Å).

Two descriptors:

``rdf``  the paper's: a 32-bin histogram of pairwise distances between detected columns,
         but binned in Å (0-10 Å) instead of pixels, so it survives a change of sampling.
``rich`` ours, rotation- and cell-choice-invariant, L2-normalised, ``RICH_DIM`` long:
         * lattice spectrum: lengths of every lattice translation up to 16 Å, smeared on a
           logarithmic grid (2.5 % width: a 1 % calibration error costs little, a 4 %
           different lattice a lot);
         * motif spectrum: periodic distances between the sites of the lattice-averaged
           cell up to 8 Å, each pair weighted by the sites' contrast;
         * number of sites per cell (log grid);
         * the sites' relative contrast profile (heavy/light pattern).
         Blocks are L2-normalised and weighted, so cosine distance is a weighted mean of
         the blocks' cosine distances.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from reconstruction.descriptors.observe import Observation

RDF_BINS = 32
RDF_MAX_A = 10.0

LATTICE_GRID = np.exp(np.linspace(np.log(1.0), np.log(16.0), 96))
LATTICE_SIGMA = 0.025  # in ln(r)
MOTIF_GRID = np.exp(np.linspace(np.log(0.6), np.log(8.0), 64))
MOTIF_SIGMA = 0.03
COUNT_GRID = np.linspace(0.0, np.log(64.0), 16)
COUNT_SIGMA = 0.2
CONTRAST_GRID = np.linspace(0.0, 1.0, 16)
CONTRAST_SIGMA = 0.06
BLOCK_WEIGHTS = {"lattice": 0.55, "motif": 0.55, "count": 0.45, "contrast": 0.45}
RICH_DIM = len(LATTICE_GRID) + len(MOTIF_GRID) + len(COUNT_GRID) + len(CONTRAST_GRID)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _smear(values: np.ndarray, weights: np.ndarray, grid: np.ndarray, sigma: float) -> np.ndarray:
    """Sum of Gaussians (width ``sigma``) centred on ``values``, sampled on ``grid``."""
    if len(values) == 0:
        return np.zeros(len(grid))
    d = (grid[None, :] - values[:, None]) / sigma
    return (weights[:, None] * np.exp(-0.5 * d * d)).sum(axis=0)


def interior_pairs(columns_A: np.ndarray, field_A: tuple[float, float], r_max: float):
    """Distances [Å] from every column at least ``r_max`` from the field edge to every
    column within ``r_max``: no pair is lost to the edge, so the histogram is unbiased."""
    if len(columns_A) < 2:
        return np.zeros(0)
    w, h = field_A
    x, y = columns_A[:, 0], columns_A[:, 1]
    inner = (x >= r_max) & (x <= w - r_max) & (y >= r_max) & (y <= h - r_max)
    if inner.sum() < 3:  # small field: use every column, edge bias accepted
        inner = np.ones(len(columns_A), bool)
    tree = cKDTree(columns_A)
    out = []
    centres = np.nonzero(inner)[0]
    for i, neighbours in zip(centres, tree.query_ball_point(columns_A[inner], r_max), strict=True):
        d = np.linalg.norm(columns_A[neighbours] - columns_A[i], axis=1)
        out.append(d[d > 1e-6])
    return np.concatenate(out) if out else np.zeros(0)


def rdf_vector(obs: Observation) -> np.ndarray:
    """The paper's descriptor in Å: 32-bin pair-distance histogram, L2-normalised."""
    d = interior_pairs(obs.columns_A, obs.field_A, RDF_MAX_A)
    hist, _ = np.histogram(d, bins=RDF_BINS, range=(0.0, RDF_MAX_A))
    return _unit(hist.astype(np.float64))


def lattice_spectrum(basis_A: np.ndarray) -> np.ndarray:
    """Smeared ln-lengths of the lattice translations up to 16 Å, weighted 1/r."""
    a, b = basis_A[:, 0], basis_A[:, 1]
    shortest = min(np.linalg.norm(a), np.linalg.norm(b))
    n = int(np.ceil(LATTICE_GRID[-1] / max(shortest, 0.5))) + 1
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    vec = i.ravel()[:, None] * a[None] + j.ravel()[:, None] * b[None]
    r = np.linalg.norm(vec, axis=1)
    r = r[(r > 1e-6) & (r <= LATTICE_GRID[-1] * 1.1)]
    return _smear(np.log(r), 1.0 / r, np.log(LATTICE_GRID), LATTICE_SIGMA)


def motif_spectrum(uv: np.ndarray, value: np.ndarray, basis_A: np.ndarray) -> np.ndarray:
    """Smeared ln-distances between sites (periodic, up to 8 Å), weighted by contrast."""
    r_max = MOTIF_GRID[-1] * 1.1
    shortest = np.linalg.norm(basis_A, axis=0).min()
    n = int(np.ceil(r_max / max(shortest * 0.5, 0.3))) + 1
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    shifts = np.stack([i.ravel(), j.ravel()], axis=1)
    d_frac = uv[:, None, None, :] - uv[None, :, None, :] + shifts[None, None]
    r = np.linalg.norm(d_frac @ basis_A.T, axis=-1)
    w = np.sqrt(np.outer(value, value))[:, :, None] * np.ones_like(r)
    keep = (r > 1e-6) & (r <= r_max)
    return _smear(np.log(r[keep]), w[keep] / r[keep], np.log(MOTIF_GRID), MOTIF_SIGMA)


def rich_vector(obs: Observation) -> np.ndarray:
    """Our descriptor (``RICH_DIM``,), L2-normalised."""
    if obs.basis_A is not None and len(obs.sites_uv):
        lattice = lattice_spectrum(obs.basis_A)
        motif = motif_spectrum(obs.sites_uv, obs.site_value, obs.basis_A)
        k = len(obs.sites_uv)
        count = _smear(np.array([np.log(k)]), np.ones(1), COUNT_GRID, COUNT_SIGMA)
        contrast = _smear(obs.site_value, np.full(k, 1.0 / k), CONTRAST_GRID, CONTRAST_SIGMA)
    else:  # no lattice: the column pair distances and contrasts are all there is
        lattice = np.zeros(len(LATTICE_GRID))
        count = np.zeros(len(COUNT_GRID))
        d = interior_pairs(obs.columns_A, obs.field_A, MOTIF_GRID[-1])
        motif = _smear(np.log(d), 1.0 / d, np.log(MOTIF_GRID), MOTIF_SIGMA)
        v = obs.column_value
        rel = v / v.max() if len(v) and v.max() > 0 else np.zeros(0)
        contrast = _smear(rel, np.full(len(rel), 1.0 / max(len(rel), 1)), CONTRAST_GRID,
                          CONTRAST_SIGMA)  # fmt: skip
    blocks = {"lattice": lattice, "motif": motif, "count": count, "contrast": contrast}
    out = np.concatenate([BLOCK_WEIGHTS[name] * _unit(v) for name, v in blocks.items()])
    return _unit(out)


def paper_pixel_histogram(columns_px: np.ndarray, bins: int = RDF_BINS) -> np.ndarray:
    """The paper's descriptor as its code computes it (our reading): a histogram of all
    pairwise column distances in pixels, ``bins`` bins over the range the data span.
    Kept only as the benchmark's baseline: it changes with pixel size and field of view."""
    if len(columns_px) < 2:
        return np.zeros(bins)
    from scipy.spatial.distance import pdist

    pts = columns_px
    if len(pts) > 1500:  # pdist is quadratic; a central subset keeps the shape
        centre = pts.mean(axis=0)
        pts = pts[np.argsort(np.linalg.norm(pts - centre, axis=1))[:1500]]
    hist, _ = np.histogram(pdist(pts), bins=bins)
    return _unit(hist.astype(np.float64))
