"""Is the lattice found a pseudo-lattice? Test the small supercells by explained variance.

The autocorrelation cannot always tell a true translation from one that maps columns
onto columns of a slightly different brightness (1T-MX2 looks like a triangular lattice
of a/sqrt(3) when M and X columns are similar). Averaging the image over a candidate
supercell explains more of its variance than averaging over the cell only if the
supercell is real; the gain beyond what the extra bins explain of pure noise is tested
like an F statistic.
"""

from __future__ import annotations

import numpy as np


def hermite_supercells(max_index: int = 4) -> tuple[np.ndarray, ...]:
    """Every sublattice of index 2..max_index, as Hermite normal forms [[a, b], [0, d]].

    The columns are the supercell vectors in units of the cell's (basis @ M): (a, 0) and
    (b, d) with a d = index and 0 <= b < a. Ordered by index, so smaller supercells are
    tried first.
    """
    out = []
    for n in range(2, max_index + 1):
        for a in range(1, n + 1):
            if n % a == 0:
                d = n // a
                out.extend(np.array([[a, b], [0, d]]) for b in range(a))
    return tuple(out)


#: Supercells tried (integer matrices M, supercell basis = basis @ M), index 2 to 4.
SUPERCELLS: tuple[np.ndarray, ...] = hermite_supercells(4)


def _between(u: np.ndarray, v: np.ndarray, values: np.ndarray, nu: int, nv: int):
    """Sum of squares between bins of a (nu, nv) partition of the cell, and the bins used."""
    iu = np.floor((u % 1.0) * nu).astype(np.intp) % nu
    iv = np.floor((v % 1.0) * nv).astype(np.intp) % nv
    flat = iu * nv + iv
    count = np.bincount(flat, minlength=nu * nv)
    total = np.bincount(flat, weights=values, minlength=nu * nv)
    used = count > 0
    return float(np.sum(total[used] ** 2 / count[used])), int(used.sum())


def find_supercell(
    filtered: np.ndarray,
    basis: np.ndarray,
    *,
    pixel_size_A: float,
    bin_A: float = 0.1,
    min_f: float = 5.0,
    min_gain: float = 0.005,
    stride: int = 1,
) -> np.ndarray | None:
    """The supercell the image really has, or None when ``basis`` is the true lattice.

    Parameters
    ----------
    filtered : np.ndarray
        Background-subtracted image (rows, cols).
    basis : np.ndarray
        Lattice found (2, 2) [px], vectors as columns.
    pixel_size_A : float
        Pixel size [Å/px].
    bin_A : float
        Bin size of the cell averages [Å].
    min_f : float
        Smallest variance ratio (gain per extra bin over noise per bin) accepted.
    min_gain : float
        Smallest gain relative to the variance the cell already explains.
    stride : int
        Use every ``stride``-th pixel along each axis (speed).

    Returns
    -------
    np.ndarray or None
        Supercell integer matrix M (basis @ M), or None.
    """
    data = filtered[::stride, ::stride]
    rows, cols = data.shape
    y, x = np.mgrid[0:rows, 0:cols] * stride
    inv = np.linalg.inv(basis)
    u = inv[0, 0] * x + inv[0, 1] * y
    v = inv[1, 0] * x + inv[1, 1] * y
    values = (data - data.mean()).ravel()
    u, v = u.ravel(), v.ravel()
    lengths = np.linalg.norm(basis, axis=0) * pixel_size_A
    nu, nv = (max(4, int(np.ceil(length / bin_A))) for length in lengths)
    ss_cell, bins_cell = _between(u, v, values, nu, nv)
    total = float(np.sum(values**2))
    best: tuple[float, np.ndarray] | None = None
    for m in SUPERCELLS:
        su, sv = np.linalg.solve(m, np.stack([u, v]))
        super_lengths = np.linalg.norm(basis @ m, axis=0) * pixel_size_A
        mu, mv = (max(4, int(np.ceil(length / bin_A))) for length in super_lengths)
        ss, bins = _between(su, sv, values, mu, mv)
        extra = max(bins - bins_cell, 1)
        noise = (total - ss) / max(len(values) - bins, 1)
        gain = ss - ss_cell
        f_stat = (gain / extra) / max(noise, 1e-30)
        score = gain - noise * extra
        significant = f_stat >= min_f and gain >= min_gain * ss_cell
        # Prefer the smaller supercell unless a larger one explains clearly more.
        if significant and (best is None or score > 1.1 * best[0]):
            best = (score, m)
    return None if best is None else best[1]
