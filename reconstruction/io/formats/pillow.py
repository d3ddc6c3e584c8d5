"""PNG and JPEG micrographs (Pillow): 8- and 16-bit grey, colour turned into luminance.

PNG and JPEG files carry no pixel size, so their signal is always uncalibrated. EXIF
orientation is not applied (microscope software does not write it); 16-bit colour PNGs
are reduced to 8 bits per channel by Pillow before the luminance is taken.

Pillow's own decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is not what decides
here: the file is opened through the PNG or JPEG plugin class directly, which reads the
header without that check, and the dispatcher applies *our* ``max_pixels`` to the header
size before any pixel is decoded. Pillow's global setting is left untouched for the rest
of the process.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ImageFile, JpegImagePlugin, PngImagePlugin

from ..errors import UnsupportedFormat
from ..metadata import json_safe
from ..types import Calibration, SignalInfo
from ._pixels import LUMINANCE_NOTE, luminance

#: Why a PNG/JPEG signal is uncalibrated.
NO_PIXEL_SIZE_NOTE = "PNG/JPEG files carry no pixel size"

_PLUGINS: tuple[tuple[bytes, str, type[ImageFile.ImageFile]], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png", PngImagePlugin.PngImageFile),
    (b"\xff\xd8\xff", "jpeg", JpegImagePlugin.JpegImageFile),
)
#: Stored dtype of each grey mode; any other mode is colour (or palette) and becomes luminance.
_GREY_MODES = {
    "1": "bool",
    "L": "uint8",
    "I;16": "uint16",
    "I;16L": "uint16",
    "I;16B": "uint16",
    "I": "int32",
    "F": "float32",
}


def signals(path: str | PathLike[str]) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe a PNG or JPEG from its header: one uncalibrated signal ``(ny, nx)``."""
    kind, im = _open(Path(path))
    with im:
        nx, ny = im.size
        dtype = _GREY_MODES.get(im.mode, "uint8")
        info = {k: v for k, v in im.info.items() if not isinstance(v, bytes)}
        md: dict[str, Any] = {"mode": im.mode, "size": [nx, ny], "info": info}
        if im.mode not in _GREY_MODES and im.mode != "LA":
            md["colour"] = LUMINANCE_NOTE
    calibration = Calibration(None, None, note=NO_PIXEL_SIZE_NOTE)
    signal = SignalInfo(0, "image", (ny, nx), dtype, calibration)
    return [signal], {kind: json_safe(md)}


def load(path: str | PathLike[str], index: int) -> np.ndarray:
    """Decode the image: grey values as stored (uint8, uint16, ...), colour as float32 luminance."""
    if index != 0:
        raise IndexError(f"PNG/JPEG files hold one image, not signal {index}")
    _, im = _open(Path(path))
    with im:
        im.load()  # raises OSError on truncated data (LOAD_TRUNCATED_IMAGES is False)
        return _grey_pixels(im)


def _open(path: Path) -> tuple[str, ImageFile.ImageFile]:
    """Open with the plugin that matches the magic bytes (no decompression-bomb check)."""
    with path.open("rb") as f:
        head = f.read(8)
    for signature, kind, plugin in _PLUGINS:
        if head.startswith(signature):
            return kind, plugin(path)
    raise UnsupportedFormat(f"{path.name} is neither a PNG nor a JPEG file")


def _grey_pixels(im: ImageFile.ImageFile) -> np.ndarray:
    if im.mode in _GREY_MODES:
        data = np.asarray(im)
        return data.astype(data.dtype.newbyteorder("="), copy=False)
    if im.mode == "LA":
        return np.asarray(im)[..., 0]
    return luminance(np.asarray(im.convert("RGB")), axis=-1)
