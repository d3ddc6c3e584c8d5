"""Noise estimate of an atomic-resolution STEM image from its power spectrum.

The probe (300 kV, 21.3 mrad semi-angle) transfers nothing beyond the incoherent cutoff
``2 alpha / lambda`` ~ 2.2 1/Å, so at fine sampling the power spectrum beyond
:data:`NOISE_BAND_MIN_INV_A` holds only noise. The median power of radial shells in that
band (robust to stray Bragg peaks) is fitted with a power law ``P(k) = c k^b``, which covers
white noise (HAADF, ABF: ``b = 0``) and the ``1/k^2`` noise of integrated DPC (``b = -2``);
the fit, extrapolated to every frequency of the image, gives the noise variance. When the
image is sampled too coarsely to have such a band, the outer quarter of the spectrum is
used and the noise taken as white (then signal there counts as noise: an upper bound).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from reconstruction.denoise.types import NoiseEstimate

#: Lower edge of the noise-only band [1/Å] (probe cutoff 2.16 1/Å at 300 kV, 21.3 mrad).
NOISE_BAND_MIN_INV_A = 2.5
#: Above this relative noise, denoising is advised (noise-free simulated images of the
#: three modes score 0.003-0.12, dose 6e4 e/Å² iDPC 0.14-0.4, HAADF 0.4-0.7, ABF 1.8-5.7).
NOISY_SIGMA = 0.15
#: Slopes outside this range are clipped (white noise 0, integrated DPC -2).
SLOPE_RANGE = (-2.5, 0.5)


def _shell_medians(power: np.ndarray, k: np.ndarray, edges: np.ndarray) -> tuple:
    centres, medians = [], []
    for lo, hi in itertools.pairwise(edges):
        sel = (k >= lo) & (k < hi)
        if sel.sum() >= 8:
            centres.append(0.5 * (lo + hi))
            # The median of an exponential distribution is ln 2 times its mean.
            medians.append(np.median(power[sel]) / math.log(2))
    return np.array(centres), np.array(medians)


def noise_variance(image: np.ndarray, *, pixel_size_A: float) -> float:
    """Variance of the noise in ``image`` [image units squared]; see the module docstring."""
    img = np.asarray(image, dtype=np.float64)
    img = img - img.mean()
    n = img.size
    power = np.abs(np.fft.fft2(img)) ** 2 / n  # white noise of variance s2 -> E[power] = s2
    ky = np.fft.fftfreq(img.shape[0], d=pixel_size_A)
    kx = np.fft.fftfreq(img.shape[1], d=pixel_size_A)
    k = np.hypot(ky[:, None], kx[None, :])
    k_nyq = 0.5 / pixel_size_A
    k_lo = NOISE_BAND_MIN_INV_A
    white_only = k_lo > 0.8 * k_nyq
    if white_only:
        k_lo = 0.75 * k_nyq
    edges = np.linspace(k_lo, k_nyq, 9)
    centres, medians = _shell_medians(power, k, edges)
    if len(centres) == 0:
        return float(np.median(power[k >= k_lo]) / math.log(2)) if np.any(k >= k_lo) else 0.0
    if white_only or len(centres) < 3 or np.any(medians <= 0):
        return float(np.mean(medians))
    slope, intercept = np.polyfit(np.log(centres), np.log(medians), 1)
    slope = float(np.clip(slope, *SLOPE_RANGE))
    intercept = float(np.mean(np.log(medians) - slope * np.log(centres)))
    k_min = 1.0 / (pixel_size_A * max(img.shape))
    model = np.exp(intercept) * np.maximum(k, k_min) ** slope
    model.flat[0] = 0.0  # the mean carries no noise variance
    return float(model.sum() / n)


def estimate_noise(image: np.ndarray, *, pixel_size_A: float) -> NoiseEstimate:
    """How noisy ``image`` is, relative to its signal.

    Parameters
    ----------
    image : np.ndarray
        2D image (any units).
    pixel_size_A : float
        Pixel size [Å].

    Returns
    -------
    NoiseEstimate
        ``sigma`` = noise std / signal std, where signal variance = total variance minus the
        noise variance (floored at 1 % of the total, so ``sigma`` stays finite).
    """
    from reconstruction.denoise.api import check_input

    img = check_input(image, pixel_size_A)
    total = float(img.astype(np.float64).var())
    if total <= 0:
        return NoiseEstimate(sigma=0.0, snr_db=math.inf, noisy=False)
    noise = min(noise_variance(img, pixel_size_A=pixel_size_A), total)
    signal = max(total - noise, 0.01 * total)
    sigma = math.sqrt(noise / signal)
    snr_db = math.inf if sigma == 0 else -20.0 * math.log10(sigma)
    return NoiseEstimate(sigma=sigma, snr_db=snr_db, noisy=sigma > NOISY_SIGMA)
