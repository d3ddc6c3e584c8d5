"""8-bit PNG renderings of a micrograph for the web pages (thumbnails and previews)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: Percentiles mapped to black and white: robust to a few hot or dead pixels.
STRETCH_PERCENTILES = (0.5, 99.5)
#: Percentiles are estimated from at most this many pixels (a regular subsample).
_PERCENTILE_SAMPLE = 1_000_000


def thumbnail_png(data: np.ndarray, *, size: int = 256) -> bytes:
    """PNG bytes of a small grey rendering of an image.

    Parameters
    ----------
    data : np.ndarray
        Image of shape (ny, nx), any real dtype; NaN and infinities are drawn black.
    size : int
        Longest side of the thumbnail [px]. Images already smaller are not enlarged.

    Returns
    -------
    bytes
        An 8-bit greyscale PNG, aspect ratio kept, intensities stretched so the 0.5th
        percentile is black and the 99.5th white.
    """
    return _render(data, max_side=size)


def to_png_preview(data: np.ndarray, max_side: int = 1024) -> bytes:
    """Like :func:`thumbnail_png`, for a larger preview (longest side ``max_side`` [px])."""
    return _render(data, max_side=max_side)


def stretch_to_unit(data: np.ndarray) -> np.ndarray:
    """Map the 0.5–99.5 percentile range to 0–1 (clipped), as float32; non-finite -> 0."""
    image = np.asarray(data, dtype=np.float32)
    finite = np.isfinite(image)
    step = max(1, int(np.sqrt(image.size / _PERCENTILE_SAMPLE)))
    sample = image[::step, ::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return np.zeros(image.shape, dtype=np.float32)
    lo, hi = np.percentile(sample, STRETCH_PERCENTILES)
    if not hi > lo:
        return np.where(finite, 0.5, 0.0).astype(np.float32)
    out = (np.where(finite, image, lo) - lo) / (hi - lo)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _render(data: np.ndarray, *, max_side: int) -> bytes:
    image = np.asarray(data)
    if image.ndim != 2 or min(image.shape) < 1:
        raise ValueError(f"data must be a 2D image (ny, nx), got shape {image.shape}")
    if max_side < 1:
        raise ValueError(f"size must be at least 1 px, got {max_side}")
    ny, nx = image.shape
    scale = min(1.0, max_side / max(ny, nx))
    out = Image.fromarray(stretch_to_unit(image))  # mode "F"
    if scale < 1.0:
        shape = (max(1, round(nx * scale)), max(1, round(ny * scale)))
        # Resampling in float, before quantising, averages without banding.
        out = out.resize(shape, Image.Resampling.LANCZOS, reducing_gap=3.0)
    grey = np.clip(np.asarray(out) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG")  # mode "L"
    return buffer.getvalue()
