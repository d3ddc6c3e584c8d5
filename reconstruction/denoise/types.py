"""Results and errors of the denoisers (frozen dataclasses with ``as_dict``/``from_dict``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reconstruction.errors import ScienceError

#: Every method :func:`reconstruction.denoise.denoise` accepts.
METHODS = ("moe", "single", "gaussian", "nlm", "bragg")


class DenoiseError(ScienceError, ValueError):
    """The image cannot be denoised as asked (bad input, unknown method, missing weights)."""


@dataclass(frozen=True)
class NoiseEstimate:
    """How noisy an image is.

    Attributes
    ----------
    sigma : float
        Noise standard deviation relative to the signal's standard deviation
        (dimensionless; 0 for a noise-free image).
    snr_db : float
        Signal-to-noise ratio ``-20 log10(sigma)`` [dB] (``inf`` when ``sigma`` is 0).
    noisy : bool
        True when denoising is advised (``sigma`` above :data:`NOISY_SIGMA`).
    """

    sigma: float
    snr_db: float
    noisy: bool

    def as_dict(self) -> dict[str, Any]:
        snr = self.snr_db if math.isfinite(self.snr_db) else None
        return {"sigma": float(self.sigma), "snr_db": snr, "noisy": bool(self.noisy)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoiseEstimate:
        snr = data["snr_db"]
        return cls(
            sigma=float(data["sigma"]),
            snr_db=math.inf if snr is None else float(snr),
            noisy=bool(data["noisy"]),
        )


@dataclass(frozen=True)
class DenoiseResult:
    """A denoised image and what was done.

    Attributes
    ----------
    image : np.ndarray
        Denoised image, float32, same shape (and pixel size) as the input.
    method : str
        One of :data:`METHODS`.
    expert : int or None
        Index of the expert the router chose (``"moe"``; 0 for ``"single"``), else None.
    noise_before, noise_after : NoiseEstimate
        Noise of the input and of the output.
    timings_s : dict
        Seconds per stage (``"denoise"``, ``"total"``, ...).
    """

    image: np.ndarray
    method: str
    expert: int | None
    noise_before: NoiseEstimate
    noise_after: NoiseEstimate
    timings_s: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the image itself is left out; its shape is kept)."""
        return {
            "shape": list(self.image.shape),
            "method": self.method,
            "expert": self.expert,
            "noise_before": self.noise_before.as_dict(),
            "noise_after": self.noise_after.as_dict(),
            "timings_s": {k: float(v) for k, v in self.timings_s.items()},
        }
