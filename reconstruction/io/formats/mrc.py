"""MRC2014 images and stacks (mrcfile).

Calibration comes from the voxel size (cell length / sampling, in Å), tag
``mrc.voxel_size``. A voxel size of 0 (mrcfile's value when the writer set none) or of
exactly 1.0 Å (the usual placeholder of writers that know nothing) leaves the image
uncalibrated. ``nz > 1`` is a stack of ``nz`` frames.

Rows are returned in stored order: row 0 is MRC y = 0, which IMOD and some other viewers
draw at the *bottom* of the image; no flip is applied.
"""

from __future__ import annotations

import math
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
from mrcfile.utils import data_dtype_from_header

from ..calibration import calibration_from_scale
from ..errors import UnsupportedFormat
from ..metadata import json_safe
from ..types import Calibration, SignalInfo
from ._pixels import dtype_name, require_bytes

_TAG = "mrc.voxel_size"
_HEADER_BYTES = 1024
#: Modes 3 and 4 hold complex numbers (Fourier transforms), not images.
_COMPLEX_MODES = (3, 4)


def signals(path: str | PathLike[str]) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe an MRC file from its 1024-byte header (and extended header size)."""
    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # permissive mode warns about what it tolerates
        with mrcfile.open(path, mode="r", header_only=True, permissive=True) as mrc:
            header = mrc.header
            nx, ny, nz = int(header.nx), int(header.ny), int(header.nz)
            mode = int(header.mode)
            if mode in _COMPLEX_MODES:
                raise UnsupportedFormat(
                    f"{path.name}: MRC mode {mode} holds complex values (a Fourier "
                    "transform), not an image"
                )
            dtype = data_dtype_from_header(header)
            voxel = mrc.voxel_size
            calibration = _calibration(float(voxel.x), float(voxel.y))
            md = _metadata(mrc, voxel)
            extended = int(header.nsymbt)
    end = _HEADER_BYTES + extended + nx * ny * nz * dtype.itemsize
    require_bytes(path.name, end, path.stat().st_size, what="MRC")
    shape = (nz, ny, nx) if nz > 1 else (ny, nx)
    return [SignalInfo(0, "image", shape, dtype_name(dtype), calibration)], {"mrc": md}


def load(path: str | PathLike[str], index: int) -> np.ndarray:
    """Read the pixels: ``(ny, nx)`` or ``(nz, ny, nx)`` in the stored dtype."""
    if index != 0:
        raise IndexError(f"MRC files hold one image or stack, not signal {index}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Permissive, so a header quirk another program tolerates does not stop us; a
        # short data block then comes back as None and is reported below.
        with mrcfile.open(Path(path), mode="r", permissive=True) as mrc:
            if mrc.data is None:
                raise EOFError("the data block is missing or shorter than the header says")
            data = np.array(mrc.data)
    data = data.astype(data.dtype.newbyteorder("="), copy=False)
    return data[0] if data.ndim == 3 and data.shape[0] == 1 else data


def _calibration(size_x_A: float, size_y_A: float) -> Calibration:
    if size_x_A == 0.0:
        return Calibration(None, None, note=f"voxel size 0 (not set) ({_TAG})")
    if size_x_A == 1.0:
        return Calibration(
            None, None, note=f"voxel size exactly 1.0 Å, the usual placeholder when unset ({_TAG})"
        )
    calibration = calibration_from_scale(size_x_A, "A", tag=_TAG)
    if calibration.is_calibrated and not math.isclose(size_x_A, size_y_A, rel_tol=1e-3):
        # One pixel size per image: say so rather than silently pick one.
        return Calibration(
            calibration.pixel_size_A,
            calibration.source,
            note=f"pixels are not square: x {size_x_A:g} Å, y {size_y_A:g} Å; x is used",
        )
    return calibration


def _metadata(mrc: Any, voxel: Any) -> dict[str, Any]:
    header = mrc.header
    labels = [bytes(label).decode("latin-1").strip() for label in header.label[: header.nlabl]]
    md = {
        "nx": header.nx,
        "ny": header.ny,
        "nz": header.nz,
        "mode": header.mode,
        "ispg": header.ispg,
        "voxel_size_A": [voxel.x, voxel.y, voxel.z],
        "extended_header_bytes": header.nsymbt,
        "exttyp": header.exttyp,
        "labels": labels,
        "rows": "row 0 is MRC y = 0 (shown at the bottom by IMOD); not flipped",
    }
    return json_safe(md)
