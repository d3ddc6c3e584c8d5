"""Pixel helpers shared by the simple format modules (TIFF, PNG/JPEG, MRC, NPY)."""

from __future__ import annotations

import numpy as np

from ..errors import CorruptFile

#: Weights of R, G, B in the luminance of a colour image (ITU-R BT.601, as Pillow's "L").
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: Recorded in a file's metadata when its colour pixels were turned into grey values.
LUMINANCE_NOTE = "colour image converted to luminance Y = 0.299 R + 0.587 G + 0.114 B"


def luminance(rgb: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Grey values of a colour image.

    Parameters
    ----------
    rgb : np.ndarray
        Colour pixels with the samples along ``axis``: RGB, RGBA (alpha is ignored), or
        a single grey sample (returned as is).
    axis : int
        The sample axis.

    Returns
    -------
    np.ndarray
        float32 array without the sample axis, in the units of the input samples.
    """
    samples = np.moveaxis(rgb, axis, -1)
    if samples.shape[-1] < 3:
        return samples[..., 0].astype(np.float32)
    weights = np.asarray(LUMA_WEIGHTS, dtype=np.float32)
    return (samples[..., :3].astype(np.float32) @ weights).astype(np.float32)


def require_bytes(path_name: str, needed: int, available: int, *, what: str) -> None:
    """Raise CorruptFile when a header promises more bytes than the file holds.

    Parameters
    ----------
    path_name : str
        File name for the message.
    needed : int
        Byte offset where the data end according to the header [bytes].
    available : int
        Size of the file [bytes].
    what : str
        The format, e.g. ``"MRC"``.
    """
    if needed > available:
        raise CorruptFile(
            f"{path_name}: this {what} file is truncated: its header says the pixel data "
            f"end at byte {needed:,} but the file has {available:,} bytes; upload it again"
        )


def dtype_name(dtype: np.dtype | type | str) -> str:
    """NumPy name of a dtype (``"uint16"``, ``"float32"``), without byte order."""
    return np.dtype(dtype).name
