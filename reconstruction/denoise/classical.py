"""Classical denoisers: Gaussian filter, non-local means and a Fourier (Bragg) lattice filter.

Array in, array out (float32, same shape); lengths are given in Å and converted with the
pixel size, so a filter means the same physically at any sampling.
"""

from __future__ import annotations

import math

import numpy as np

from reconstruction.denoise.noise import noise_variance
from reconstruction.denoise.types import DenoiseError

#: Gaussian filter width [Å] (standard deviation) grows with the relative noise ``s``
#: (NoiseEstimate.sigma): ``clip(a + b s, lo, hi)``; the best fixed widths on simulated
#: images were 0.15 Å for iDPC/HAADF (s ~ 0.2-1.5) and 0.35-0.5 Å for ABF (s ~ 2-6).
GAUSSIAN_WIDTH_A = (0.12, 0.05, 0.12, 0.5)
#: Non-local means: patch side and search distance [Å]; ``h`` relative to the noise std.
NLM_PATCH_A = 0.5
NLM_DISTANCE_A = 0.6
NLM_H = 0.8
#: Bragg filter: peaks must stand this many times above their shell's mean noise power.
BRAGG_THRESHOLD = 10.0
#: Frequencies kept around each peak: Gaussian of this standard deviation [frequency
#: pixels] (a peak of a finite, rotated lattice spreads over its neighbours; 1.5 px beat
#: 0.5 and 1 px on simulated 192 px images), and the lowest frequencies always kept (slow
#: background) [1/Å].
BRAGG_PEAK_SIGMA_PX = 1.5
BRAGG_KEEP_BELOW_INV_A = 0.08
#: Highest frequency searched for lattice peaks [1/Å] (just above the probe's cutoff).
BRAGG_MAX_INV_A = 2.4


def gaussian(image: np.ndarray, *, pixel_size_A: float, sigma_A: float | None = None) -> np.ndarray:
    """Gaussian filter of standard deviation ``sigma_A`` [Å] (reflecting edges); None picks
    it from the image's noise (:data:`GAUSSIAN_WIDTH_A`)."""
    from scipy.ndimage import gaussian_filter

    if sigma_A is None:
        from reconstruction.denoise.noise import estimate_noise

        a, b, lo, hi = GAUSSIAN_WIDTH_A
        rel = estimate_noise(image, pixel_size_A=pixel_size_A).sigma
        sigma_A = float(np.clip(a + b * rel, lo, hi))
    return gaussian_filter(image.astype(np.float32), sigma_A / pixel_size_A, mode="reflect")


def nlm(image: np.ndarray, *, pixel_size_A: float, h: float = NLM_H) -> np.ndarray:
    """Non-local means (scikit-image, fast mode) with the noise std estimated from the image."""
    from skimage.restoration import denoise_nl_means

    sigma = math.sqrt(max(noise_variance(image, pixel_size_A=pixel_size_A), 0.0))
    if sigma == 0:
        return image.astype(np.float32)
    patch = max(3, round(NLM_PATCH_A / pixel_size_A) | 1)
    distance = max(2, round(NLM_DISTANCE_A / pixel_size_A))
    out = denoise_nl_means(
        image.astype(np.float64),
        h=h * sigma,
        sigma=sigma,
        patch_size=patch,
        patch_distance=distance,
        fast_mode=True,
    )
    return out.astype(np.float32)


def periodic_smooth(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moisan's decomposition ``image = periodic + smooth``: the periodic part has no edge
    discontinuity, so its spectrum has no cross of leakage through the origin."""
    u = image.astype(np.float64)
    rows, cols = u.shape
    v = np.zeros_like(u)
    v[0, :] = u[-1, :] - u[0, :]
    v[-1, :] = -v[0, :]
    v[:, 0] += u[:, -1] - u[:, 0]
    v[:, -1] -= u[:, -1] - u[:, 0]
    q = np.arange(rows)[:, None]
    r = np.arange(cols)[None, :]
    denom = 2 * np.cos(2 * np.pi * q / rows) + 2 * np.cos(2 * np.pi * r / cols) - 4
    denom[0, 0] = 1.0
    spectrum = np.fft.fft2(v) / denom
    spectrum[0, 0] = 0.0
    smooth = np.real(np.fft.ifft2(spectrum))
    return u - smooth, smooth


def bragg_mask(image: np.ndarray, *, pixel_size_A: float) -> np.ndarray:
    """Fourier mask (fft2 layout) that keeps the lattice's Bragg peaks and the background."""
    from scipy.ndimage import maximum_filter

    rows, cols = image.shape
    power = np.abs(np.fft.fft2(image - image.mean())) ** 2
    ky = np.fft.fftfreq(rows, d=pixel_size_A)
    kx = np.fft.fftfreq(cols, d=pixel_size_A)
    k = np.hypot(ky[:, None], kx[None, :])
    dk = 1.0 / (pixel_size_A * max(rows, cols))
    # Mean noise power per radial shell (median / ln 2: robust to the peaks themselves).
    shell = np.minimum((k / (4 * dk)).astype(int), int(0.75 / pixel_size_A / (4 * dk)))
    medians = np.zeros(shell.max() + 1)
    for s in np.unique(shell):
        medians[s] = np.median(power[shell == s]) / math.log(2)
    ratio = power / np.maximum(medians[shell], 1e-30)
    local_max = maximum_filter(np.fft.fftshift(ratio), size=5, mode="wrap")
    local_max = np.fft.ifftshift(local_max)
    peaks = (
        (ratio >= local_max)
        & (ratio > BRAGG_THRESHOLD)
        & (k > BRAGG_KEEP_BELOW_INV_A)
        & (k < BRAGG_MAX_INV_A)
    )
    if not peaks.any():
        raise DenoiseError("bragg: no lattice (Bragg) peaks stand above the noise in this image")
    mask = np.zeros_like(power)
    # Each peak keeps a Gaussian neighbourhood; distances are taken on the periodic grid.
    iy, ix = np.nonzero(peaks)
    fy = np.fft.fftfreq(rows) * rows
    fx = np.fft.fftfreq(cols) * cols
    width_px = BRAGG_PEAK_SIGMA_PX
    for y, x in zip(iy, ix, strict=True):
        dy = (fy - fy[y] + rows / 2) % rows - rows / 2
        dx = (fx - fx[x] + cols / 2) % cols - cols / 2
        mask = np.maximum(mask, np.exp(-(dy[:, None] ** 2 + dx[None, :] ** 2) / (2 * width_px**2)))
    mask = np.maximum(mask, np.exp(-((k / BRAGG_KEEP_BELOW_INV_A) ** 2) / 2))
    return mask


def bragg(image: np.ndarray, *, pixel_size_A: float) -> np.ndarray:
    """Fourier lattice filter: keep the Bragg peaks of the lattice (and the slow background),
    drop everything else. Raises :class:`DenoiseError` when no lattice peak is found."""
    periodic, smooth = periodic_smooth(image)
    mean = periodic.mean()
    mask = bragg_mask(periodic, pixel_size_A=pixel_size_A)
    filtered = np.real(np.fft.ifft2(np.fft.fft2(periodic - mean) * mask)) + mean
    return (filtered + smooth).astype(np.float32)
