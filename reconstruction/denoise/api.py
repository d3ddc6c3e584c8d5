"""``denoise`` and ``estimate_noise``: one entry point for every method of :data:`METHODS`."""

from __future__ import annotations

import math
import time

import numpy as np

from reconstruction.denoise.types import METHODS, DenoiseError, DenoiseResult

#: Smallest image side [px] the denoisers accept.
MIN_SIDE_PX = 16
#: Pixel sizes [Å] accepted (atomic resolution needs well under 1 Å per pixel).
PIXEL_SIZE_RANGE_A = (0.005, 1.0)


def check_input(image: np.ndarray, pixel_size_A: float) -> np.ndarray:
    """The image as a float32 2D array; :class:`DenoiseError` naming what is wrong."""
    try:
        pixel = float(pixel_size_A)
    except (TypeError, ValueError) as exc:
        raise DenoiseError(f"pixel_size_A must be a number [Å/px], got {pixel_size_A!r}") from exc
    lo, hi = PIXEL_SIZE_RANGE_A
    if not math.isfinite(pixel) or not lo <= pixel <= hi:
        raise DenoiseError(
            f"pixel_size_A must be between {lo} and {hi} Å/px for an atomic-resolution image, "
            f"got {pixel_size_A!r}"
        )
    arr = np.asarray(image)
    if arr.ndim != 2:
        raise DenoiseError(f"image must be 2D (rows, cols), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DenoiseError(f"image must hold numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise DenoiseError("image must be real, got complex values")
    if min(arr.shape) < MIN_SIDE_PX:
        raise DenoiseError(
            f"image is too small to denoise: {arr.shape}, need at least {MIN_SIDE_PX} px a side"
        )
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise DenoiseError(f"image holds {bad} NaN or infinite pixel(s)")
    return arr


def denoise(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    mode: str = "idpc",
    method: str = "moe",
    device: str | None = None,
    threads: int = 0,
) -> DenoiseResult:
    """Denoise a STEM image.

    Parameters
    ----------
    image : np.ndarray
        2D image (rows, cols), any real dtype, finite.
    pixel_size_A : float
        Pixel size [Å].
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``: the MoE's router chooses among the experts
        trained on this mode.
    method : str
        One of :data:`METHODS`: ``"moe"`` (mixture of experts, committed weights),
        ``"single"`` (one expert trained on everything), ``"gaussian"``, ``"nlm"``,
        ``"bragg"`` (Fourier lattice filter).
    device : str or None
        Torch device for the learned methods (``"cpu"``, ``"cuda"``); None picks CUDA when
        available.
    threads : int
        Torch CPU threads of the learned methods (``ScienceSettings.torch_threads``); 0
        chooses from the idle cores.

    Returns
    -------
    DenoiseResult
        float32 image of the input's shape, the expert used, the noise before and after.
    """
    from reconstruction.denoise import classical
    from reconstruction.denoise.noise import estimate_noise

    if method not in METHODS:
        raise DenoiseError(f"method must be one of {METHODS}, got {method!r}")
    if mode not in ("idpc", "haadf", "abf"):
        raise DenoiseError(f"mode must be idpc, haadf or abf, got {mode!r}")
    start = time.perf_counter()
    img = check_input(image, pixel_size_A)
    before = estimate_noise(img, pixel_size_A=pixel_size_A)
    t0 = time.perf_counter()
    expert = None
    if method == "gaussian":
        out = classical.gaussian(img, pixel_size_A=pixel_size_A)
    elif method == "nlm":
        out = classical.nlm(img, pixel_size_A=pixel_size_A)
    elif method == "bragg":
        out = classical.bragg(img, pixel_size_A=pixel_size_A)
    else:
        from reconstruction.denoise.infer import denoise_learned

        out, expert = denoise_learned(
            img, pixel_size_A=pixel_size_A, single=method == "single", mode=mode,
            device=device, threads=threads,
        )  # fmt: skip
    t1 = time.perf_counter()
    out = np.ascontiguousarray(out, dtype=np.float32)
    after = estimate_noise(out, pixel_size_A=pixel_size_A)
    timings = {"denoise": round(t1 - t0, 4), "total": round(time.perf_counter() - start, 4)}
    return DenoiseResult(
        image=out,
        method=method,
        expert=expert,
        noise_before=before,
        noise_after=after,
        timings_s=timings,
    )
