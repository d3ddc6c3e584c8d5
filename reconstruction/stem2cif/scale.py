"""Is the pixel size plausible? A scale-free look at the image's dominant spacing.

Atom columns in 2D materials are 1-4 Å apart, so the strongest (whitened) Bragg spacing
of an atomic-resolution image lies between ~0.5 Å (a high harmonic of sharp HAADF
columns) and ~15 Å whatever the structure. Measured in
pixels (no pixel size needed) and converted with the given pixel size, a spacing far out
of that range means the pixel size is wrong.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from reconstruction.errors import ImplausiblePixelSize

#: :func:`bragg_contrast` below which an image shows no lattice: noise and random atoms
#: reach at most 10.6, the faintest lattice of 120 benchmark images 31.8
#: (docs/benchmarks/quality-gate.md).
MIN_BRAGG_CONTRAST = 20.0
#: Plausible range [Å] of an image's strongest lattice-plane spacing.
SPACING_RANGE_A = (0.5, 15.0)


def dominant_spacing_px(image: np.ndarray, *, min_contrast: float = 30.0) -> float | None:
    """Strongest periodic spacing of an image [px], from the Bragg peaks of its spectrum.

    Bragg peaks are spikes: a bin is a peak when its power exceeds ``min_contrast``
    times the mean of its 7x7 neighbourhood (white or 1/k² noise stays near 1). Among
    the peaks, the one with the highest power x k² (whitened, so that the 1/k² noise and
    background of iDPC do not favour low orders) gives the spacing.

    Parameters
    ----------
    image : np.ndarray
        Image (rows, cols).
    min_contrast : float
        Peak-to-neighbourhood power ratio of a Bragg peak.

    Returns
    -------
    float or None
        Spacing [px] of the strongest peak; None when the image shows no Bragg peak.
    """
    power, k, band = _spectrum(image)
    around = (ndimage.uniform_filter(power, 7, mode="wrap") * 49 - power) / 48
    spike = power > min_contrast * np.maximum(around, 1e-300)
    valid = spike & band
    if not valid.any():
        return None
    score = np.where(valid, power * k**2, 0.0)
    i = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(1.0 / k[i])


def bragg_contrast(image: np.ndarray) -> float:
    """How far the strongest Bragg peak of an image stands out of its spectrum's background.

    The power in each 3x3 block of the (Hann-windowed) spectrum, which holds a Bragg peak
    and its window leakage, is compared with the mean power of the ring of 40 bins around
    it (a 7x7 block less the 3x3), both per bin. Noise of any spectrum that varies slowly
    with k (white, Poisson, 1/f, smooth blobs, an amorphous film) gives about 1, at most a
    few over a whole image; a crystal lattice gives tens to thousands.

    Parameters
    ----------
    image : np.ndarray
        Image (rows, cols).

    Returns
    -------
    float
        The largest ratio over spatial frequencies between 3 periods per field and 0.45
        cycles/px; 0 for an image with no variation.
    """
    ratio, _ = _peak_ratio(image)
    return float(ratio.max()) if np.isfinite(ratio).all() else 0.0


def strongest_spacing_px(
    image: np.ndarray, *, min_ratio: float = MIN_BRAGG_CONTRAST
) -> float | None:
    """Spacing [px] of the Bragg peak that stands out most (:func:`bragg_contrast`); None
    when none reaches ``min_ratio``. Scale-free: no pixel size needed."""
    ratio, k = _peak_ratio(image)
    i = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    if not ratio[i] >= min_ratio:
        return None
    return float(1.0 / k[i])


def _peak_ratio(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per spectrum bin: mean power of its 3x3 block over the mean of the ring of 40 bins
    around it (0 outside the band searched), and |k| [cycles/px]."""
    power, k, band = _spectrum(image)
    peak = ndimage.uniform_filter(power, 3, mode="wrap")  # mean of the 3x3 block
    ring = (ndimage.uniform_filter(power, 7, mode="wrap") * 49 - peak * 9) / 40
    return np.where(band, peak / np.maximum(ring, 1e-300), 0.0), k


def _spectrum(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Power spectrum of the Hann-windowed image (centred), |k| [cycles/px], and the band
    of |k| where lattice spacings are looked for (3 periods per field to 0.45 cycles/px)."""
    data = np.asarray(image, float)
    data = data - data.mean()
    rows, cols = data.shape
    window = np.outer(np.hanning(rows), np.hanning(cols))
    power = np.abs(np.fft.fftshift(np.fft.fft2(data * window))) ** 2
    ky = np.fft.fftshift(np.fft.fftfreq(rows))[:, None]
    kx = np.fft.fftshift(np.fft.fftfreq(cols))[None, :]
    k = np.hypot(kx, ky)
    return power, k, (k >= 3.0 / min(rows, cols)) & (k <= 0.45)


def check_pixel_size(image: np.ndarray, pixel_size_A: float, *, mode: str = "idpc") -> float:
    """Raise :class:`ImplausiblePixelSize` when the image's dominant spacing is impossible.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols).
    pixel_size_A : float
        Pixel size [Å/px].
    mode : str
        Imaging mode (unused: the test holds for all).

    Returns
    -------
    float
        The dominant spacing [Å]; NaN when the image shows no Bragg peak.
    """
    del mode
    spacing_px = dominant_spacing_px(image)
    if spacing_px is None:
        return float("nan")  # no Bragg peak: the lattice stage says so
    spacing = spacing_px * pixel_size_A
    lo, hi = SPACING_RANGE_A
    if not lo <= spacing <= hi:
        raise ImplausiblePixelSize(
            f"at {pixel_size_A:g} Å/px the image's main periodicity would be {spacing:.2f} Å, "
            f"outside the {lo}-{hi} Å of atomic columns: check the pixel size"
        )
    return spacing
