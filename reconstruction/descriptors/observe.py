"""What a descriptor is made from: the columns, the lattice and the motif of one image.

Detection reuses the reconstruction's own code (``reconstruction.stem2cif``: band-pass
filter, local maxima with sub-pixel refinement, autocorrelation lattice, supercell test,
lattice-averaged motif), so a template and a user's micrograph are seen by the same
detector. Everything is converted to Å here; nothing downstream knows the pixel size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from reconstruction.detection import lattice as lattice_mod
from reconstruction.detection import motif as motif_mod
from reconstruction.detection import peaks
from reconstruction.detection.supercell import find_supercell
from reconstruction.errors import ReconstructionError

COLUMN_SIGMA_A = 0.12
LATTICE_SIGMA_A = 0.18
BACKGROUND_SIGMA_A = 2.5
MIN_SITE_DISTANCE_A = 0.6
MAX_LATTICE_A = 30.0
MAX_COLUMNS = 4000
#: F statistic of the cell average (variance between bins over variance within) below
#: which a lattice found in the autocorrelation is taken for noise.
MIN_VARIANCE_RATIO = 4.0


@dataclass(frozen=True)
class Observation:
    """Columns, lattice and motif seen in one image, in Å (rotation left as found).

    Attributes
    ----------
    columns_A : np.ndarray
        Column centres (N, 2) [Å] (at most ``MAX_COLUMNS``, the central ones).
    column_value : np.ndarray
        Filtered-image value at each column (N,) [image units].
    field_A : tuple of float
        Field of view (width, height) [Å].
    basis_A : np.ndarray or None
        Gauss-reduced lattice (2, 2) [Å], vectors as columns; None when none was found.
    sites_uv : np.ndarray
        Fractional site coordinates (K, 2) of the lattice-averaged motif (K = 0 without a
        lattice).
    site_value : np.ndarray
        Prominence of each site relative to the strongest (K,), in (0, 1].
    mode : str
        Imaging mode of the image (``"idpc"``, ``"haadf"``, ``"abf"``): what a column's
        contrast means, so descriptors are only compared within one mode.
    """

    columns_A: np.ndarray
    column_value: np.ndarray
    field_A: tuple[float, float]
    basis_A: np.ndarray | None
    sites_uv: np.ndarray
    site_value: np.ndarray
    mode: str = "idpc"

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns_A": np.round(self.columns_A, 4).tolist(),
            "column_value": np.round(self.column_value, 6).tolist(),
            "field_A": list(self.field_A),
            "basis_A": None if self.basis_A is None else self.basis_A.tolist(),
            "sites_uv": np.round(self.sites_uv, 5).tolist(),
            "site_value": np.round(self.site_value, 5).tolist(),
            "mode": self.mode,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Observation:
        return cls(
            columns_A=np.asarray(d["columns_A"], float).reshape(-1, 2),
            column_value=np.asarray(d["column_value"], float),
            field_A=(float(d["field_A"][0]), float(d["field_A"][1])),
            basis_A=None if d["basis_A"] is None else np.asarray(d["basis_A"], float),
            sites_uv=np.asarray(d["sites_uv"], float).reshape(-1, 2),
            site_value=np.asarray(d["site_value"], float),
            mode=d.get("mode", "idpc"),
        )


def observe(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    mode: str = "idpc",
    supercell_max_px: int | None = None,
) -> Observation:
    """Detect columns, lattice and motif of a micrograph.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols).
    pixel_size_A : float
        Pixel size [Å/px].
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    supercell_max_px : int, optional
        Run the supercell test on a central crop of at most this side [px] (noise-free
        template images need no more; it is most of the time otherwise).

    Returns
    -------
    Observation
    """
    if not (np.isfinite(pixel_size_A) and pixel_size_A > 0):
        raise ValueError(f"pixel_size_A must be a positive number, got {pixel_size_A!r}")
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2 or min(data.shape) < 16:
        raise ValueError(f"need a 2D image of at least 16x16 pixels, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError("the image contains NaN or infinite values")
    px = float(pixel_size_A)
    filtered = peaks.bandpass(
        data,
        pixel_size_A=px,
        column_sigma_A=COLUMN_SIGMA_A,
        background_sigma_A=BACKGROUND_SIGMA_A,
        mode=mode,
    )
    columns, values = _columns(filtered, px)
    basis, uv, site_value = _lattice_and_motif(filtered, px, supercell_max_px)
    rows, cols = data.shape
    return Observation(
        columns_A=columns * px,
        column_value=values,
        field_A=(cols * px, rows * px),
        basis_A=None if basis is None else basis * px,
        sites_uv=uv,
        site_value=site_value,
        mode=mode,
    )


def _columns(filtered: np.ndarray, px: float) -> tuple[np.ndarray, np.ndarray]:
    maxima = peaks.local_maxima(filtered, pixel_size_A=px, min_distance_A=MIN_SITE_DISTANCE_A)
    if len(maxima) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    xy, value = peaks.refine_positions(filtered, maxima, pixel_size_A=px, radius_A=0.3)
    if len(xy) > MAX_COLUMNS:
        centre = np.array(filtered.shape[::-1], float) / 2
        order = np.argsort(np.linalg.norm(xy - centre, axis=1))[:MAX_COLUMNS]
        xy, value = xy[order], value[order]
    return xy, value


def _lattice_and_motif(filtered: np.ndarray, px: float, supercell_max_px: int | None = None):
    """Lattice as the pipeline finds it (smoothed autocorrelation, then the supercell the
    contrast shows), and the sites of the lattice-averaged image; (None, empty, empty)
    when the image has no 2D lattice."""
    empty = (None, np.zeros((0, 2)), np.zeros(0))
    extra = np.sqrt(max(LATTICE_SIGMA_A**2 - COLUMN_SIGMA_A**2, 0.0)) / px
    smooth = ndimage.gaussian_filter(filtered, extra) if extra > 0.3 else filtered
    try:
        basis = lattice_mod.find_lattice(smooth, pixel_size_A=px, max_lattice_A=MAX_LATTICE_A)
        # The pipeline's stride: a coarser one finds spurious supercells in noise-free
        # template images (aliasing of the 0.1 Å fold bins).
        stride = max(1, round(max(filtered.shape) / 512))
        region = filtered
        if supercell_max_px and max(filtered.shape) > supercell_max_px:
            (r0, c0), h = (np.array(filtered.shape) - supercell_max_px) // 2, supercell_max_px
            region, stride = filtered[r0 : r0 + h, c0 : c0 + h], 1
        supercell = find_supercell(region, basis, pixel_size_A=px, stride=stride)
        if supercell is not None:
            basis = lattice_mod.gauss_reduce(basis @ supercell)
    except (ReconstructionError, np.linalg.LinAlgError, ValueError):
        return empty
    if np.linalg.norm(basis, axis=0).max() * px > MAX_LATTICE_A * 1.5:
        return empty
    origin = np.array(filtered.shape[::-1], float) / 2.0
    average = motif_mod.cell_average(filtered, basis, pixel_size_A=px, origin=origin, bin_A=0.08)
    if _variance_ratio(filtered, average) < MIN_VARIANCE_RATIO:
        return empty  # the "lattice" explains no more than noise would
    uv, prominence = motif_mod.find_sites(
        average, basis, pixel_size_A=px, min_distance_A=MIN_SITE_DISTANCE_A,
        relative_threshold=0.02,
    )  # fmt: skip
    if len(uv) == 0:
        return basis, np.zeros((0, 2)), np.zeros(0)
    return basis, uv, prominence / prominence.max()


def _variance_ratio(filtered: np.ndarray, average: motif_mod.CellAverage) -> float:
    """One-way ANOVA F of the pixels grouped by cell-average bin (1 for pure noise)."""
    used = average.count > 0
    bins = int(used.sum())
    n = int(average.count.sum())
    if bins < 2 or n <= bins:
        return 0.0
    grand = float(np.sum(average.mean[used] * average.count[used]) / n)
    between = float(np.sum(average.count[used] * (average.mean[used] - grand) ** 2))
    total = float(np.sum((filtered - filtered.mean()) ** 2)) * n / filtered.size
    within = max(total - between, 1e-30)
    return (between / (bins - 1)) / (within / (n - bins))
