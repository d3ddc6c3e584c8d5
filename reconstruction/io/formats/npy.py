"""NumPy ``.npy`` arrays: read from the header, never unpickled, always uncalibrated.

Leading axes of length 1 are dropped, so ``(1, ny, nx)`` is one image; what remains is
reported as stored (a 1D or 4D array is then refused by the dispatcher as not an image).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npformat

from ..errors import UnsupportedFormat
from ..types import Calibration, SignalInfo
from ._pixels import dtype_name, require_bytes

#: Why an NPY signal is uncalibrated.
NO_PIXEL_SIZE_NOTE = ".npy files carry no pixel size"
#: Kinds of dtype that are pixel values: bool, signed/unsigned integer, float.
_PIXEL_KINDS = "biuf"


def signals(path: str | PathLike[str]) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe an ``.npy`` file from its header: one uncalibrated signal."""
    path = Path(path)
    with path.open("rb") as f:
        shape, fortran, dtype, offset = _header(f, path.name)
    n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    require_bytes(path.name, offset + n_bytes, path.stat().st_size, what=".npy")
    calibration = Calibration(None, None, note=NO_PIXEL_SIZE_NOTE)
    signal = SignalInfo(0, "array", _squeezed(shape), dtype_name(dtype), calibration)
    md = {"shape": list(shape), "dtype": dtype.str, "fortran_order": fortran}
    return [signal], {"npy": md}


def load(path: str | PathLike[str], index: int) -> np.ndarray:
    """Read the array (no pickles), without its leading length-1 axes."""
    if index != 0:
        raise IndexError(f".npy files hold one array, not signal {index}")
    path = Path(path)
    with path.open("rb") as f:
        shape, fortran, dtype, _ = _header(f, path.name)
        count = int(np.prod(shape, dtype=np.int64))
        flat = np.fromfile(f, dtype=dtype, count=count)
    if flat.size != count:
        raise EOFError(f"expected {count} values, found {flat.size}")
    order = "F" if fortran else "C"
    data = flat.reshape(shape, order=order)
    return data.astype(dtype.newbyteorder("="), copy=False).reshape(_squeezed(shape))


def _header(f: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset [bytes] from the NPY header."""
    version = npformat.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = npformat.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = npformat.read_array_header_2_0(f)
    else:
        # Version 3 exists only for structured dtypes with non-Latin-1 field names.
        raise UnsupportedFormat(f"{name}: .npy version {version} holds no plain pixel array")
    if dtype.kind not in _PIXEL_KINDS or dtype.fields is not None:
        raise UnsupportedFormat(
            f"{name}: the array's values are {dtype} (objects, text, complex or records), "
            "not pixel values; save a real-valued numeric array with numpy.save"
        )
    return tuple(int(n) for n in shape), bool(fortran), dtype, f.tell()


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Drop leading axes of length 1 while more than two axes remain."""
    shape = tuple(shape)
    while len(shape) > 2 and shape[0] == 1:
        shape = shape[1:]
    return shape
