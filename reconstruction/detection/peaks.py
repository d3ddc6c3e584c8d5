"""Atom-column detection in STEM micrographs: background removal, maxima, sub-pixel refinement.

Image arrays are indexed ``[row, col]``; positions are ``(x, y) = (col, row)`` in pixels
unless a name says ``_A`` (Å). Every length option is given in Å and converted with the
pixel size, so the same settings work at any sampling.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MODES = ("idpc", "haadf", "abf")


def bandpass(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    column_sigma_A: float = 0.12,
    background_sigma_A: float = 2.5,
    mode: str = "idpc",
) -> np.ndarray:
    """Difference of Gaussians at the atom-column scale; columns come out bright.

    Removes the low-frequency background of iDPC images (whose noise rises as 1/k²) and
    the shot noise above the column scale. ABF images (dark columns) are inverted.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols), any real dtype.
    pixel_size_A : float
        Pixel size [Å/px].
    column_sigma_A : float
        Smoothing at the column scale [Å].
    background_sigma_A : float
        Scale of the background that is subtracted [Å].
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"`` (inverted).

    Returns
    -------
    np.ndarray
        Filtered image, float64, same shape, zero mean.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    data = np.asarray(image, dtype=np.float64)
    if mode == "abf":
        data = -data
    data = data - data.mean()
    small = ndimage.gaussian_filter(data, column_sigma_A / pixel_size_A, mode="reflect")
    large = smooth_background(data, background_sigma_A / pixel_size_A)
    out = small - large
    return out - out.mean()


def smooth_background(data: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur for large ``sigma_px``, computed on a block-averaged copy (fast).

    The blur is smooth on the block scale (blocks are at most sigma / 4 wide), so linear
    interpolation back to full resolution loses nothing that matters for a background.
    """
    factor = int(sigma_px // 4)
    if factor < 2 or min(data.shape) < 8 * factor:
        return ndimage.gaussian_filter(data, sigma_px, mode="reflect")
    extra = [(0, -n % factor) for n in data.shape]
    padded = np.pad(data, extra, mode="reflect")
    rows, cols = padded.shape
    blocks = padded.reshape(rows // factor, factor, cols // factor, factor)
    coarse = ndimage.gaussian_filter(blocks.mean(axis=(1, 3)), sigma_px / factor, mode="reflect")
    # Block k covers pixels k*f .. k*f+f-1, its centre is at k*f + (f-1)/2.
    y = (np.arange(data.shape[0]) - (factor - 1) / 2) / factor
    x = (np.arange(data.shape[1]) - (factor - 1) / 2) / factor
    yy, xx = np.meshgrid(y, x, indexing="ij")
    return ndimage.map_coordinates(coarse, [yy, xx], order=1, mode="nearest")


def local_maxima(
    filtered: np.ndarray,
    *,
    pixel_size_A: float,
    min_distance_A: float = 0.6,
    threshold: float | None = None,
    border_A: float = 0.5,
) -> np.ndarray:
    """Local maxima of a filtered image, strongest first.

    Parameters
    ----------
    filtered : np.ndarray
        Background-subtracted image (rows, cols), columns bright.
    pixel_size_A : float
        Pixel size [Å/px].
    min_distance_A : float
        Two maxima closer than this [Å] are one (the brighter wins).
    threshold : float or None
        Smallest accepted value; default: 3 robust standard deviations above the median.
    border_A : float
        Maxima this close to the edge [Å] are dropped.

    Returns
    -------
    np.ndarray
        Integer positions (N, 2) as (x, y) [px].
    """
    size = max(3, round(2 * min_distance_A / pixel_size_A) | 1)
    peaks = filtered == ndimage.maximum_filter(filtered, size=size, mode="nearest")
    if threshold is None:
        med = np.median(filtered)
        threshold = med + 3.0 * 1.4826 * np.median(np.abs(filtered - med))
    peaks &= filtered > threshold
    border = int(np.ceil(border_A / pixel_size_A))
    if border > 0:
        peaks[:border] = peaks[-border:] = False
        peaks[:, :border] = peaks[:, -border:] = False
    rows, cols = np.nonzero(peaks)
    order = np.argsort(-filtered[rows, cols])
    return np.stack([cols[order], rows[order]], axis=1)


def refine_positions(
    image: np.ndarray,
    xy_px: np.ndarray,
    *,
    pixel_size_A: float,
    radius_A: float = 0.3,
    smooth_A: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel column centres: brightest pixel near each start, then a 2D quadratic fit.

    The image is first smoothed at about the column width (a matched filter); the
    quadratic is fitted by least squares on the 5x5 pixels around the brightest pixel,
    all columns at once.

    Parameters
    ----------
    image : np.ndarray
        Filtered image (rows, cols), columns bright.
    xy_px : np.ndarray
        Starting positions (N, 2) as (x, y) [px].
    pixel_size_A : float
        Pixel size [Å/px].
    radius_A : float
        The brightest pixel is searched within this radius of the start [Å].
    smooth_A : float
        Extra Gaussian smoothing before the fit [Å]; 0 for none.

    Returns
    -------
    xy : np.ndarray
        Refined positions (N, 2) [px]; columns too close to the edge keep their start.
    peak : np.ndarray
        Fitted peak value (N,).
    """
    img = image
    if smooth_A > 0:
        img = ndimage.gaussian_filter(image, smooth_A / pixel_size_A, mode="nearest")
    xy = np.asarray(xy_px, dtype=float).reshape(-1, 2).copy()
    rows, cols = img.shape
    r = max(1, int(np.ceil(radius_A / pixel_size_A)))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    disk = (dx**2 + dy**2) <= (radius_A / pixel_size_A) ** 2 + 0.5
    dx, dy = dx[disk], dy[disk]
    cx = np.round(xy[:, 0]).astype(int)
    cy = np.round(xy[:, 1]).astype(int)
    inside = (cx >= r + 2) & (cx < cols - r - 2) & (cy >= r + 2) & (cy < rows - r - 2)
    px = np.clip(cx[:, None] + dx[None], 0, cols - 1)
    py = np.clip(cy[:, None] + dy[None], 0, rows - 1)
    best = np.argmax(img[py, px], axis=1)
    mx = np.clip(px[np.arange(len(xy)), best], 2, cols - 3)
    my = np.clip(py[np.arange(len(xy)), best], 2, rows - 3)
    off, peak = _quadratic_peak(img, mx, my)
    xy[inside, 0] = (mx + off[:, 0])[inside]
    xy[inside, 1] = (my + off[:, 1])[inside]
    return xy, peak


def _quadratic_peak(img: np.ndarray, mx: np.ndarray, my: np.ndarray):
    """Vertex of ``c0 + c1 x + c2 y + c3 x² + c4 xy + c5 y²`` fitted on 5x5 pixels."""
    gy, gx = np.mgrid[-2:3, -2:3]
    gx, gy = gx.ravel().astype(float), gy.ravel().astype(float)
    design = np.stack([np.ones_like(gx), gx, gy, gx**2, gx * gy, gy**2], axis=1)
    pinv = np.linalg.pinv(design)  # (6, 25)
    values = img[my[:, None] + gy.astype(int)[None], mx[:, None] + gx.astype(int)[None]]
    c = values @ pinv.T  # (N, 6)
    hxx, hxy, hyy = 2 * c[:, 3], c[:, 4], 2 * c[:, 5]
    det = hxx * hyy - hxy**2
    ok = (det > 0) & (hxx < 0)
    safe = np.where(ok, det, 1.0)
    ox = np.where(ok, (-hyy * c[:, 1] + hxy * c[:, 2]) / safe, 0.0)
    oy = np.where(ok, (hxy * c[:, 1] - hxx * c[:, 2]) / safe, 0.0)
    off = np.clip(np.stack([ox, oy], axis=1), -1.0, 1.0)
    peak = c[:, 0] + c[:, 1] * off[:, 0] + c[:, 2] * off[:, 1]
    peak += c[:, 3] * off[:, 0] ** 2 + c[:, 4] * off[:, 0] * off[:, 1] + c[:, 5] * off[:, 1] ** 2
    return off, peak
