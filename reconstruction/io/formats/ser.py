"""FEI/Thermo Fisher TIA series files (.ser), read with ``rsciio.tia``.

A .ser file holds one series of data elements, all of the same shape: 2D images
(DataTypeID ``0x4122``) or 1D spectra (``0x4120``). :func:`signals` reads the series
header and the first element's header (calibration, type, size) only; :func:`load` reads
the pixels with rosettasciio, which stores TIA's bottom-up rows top-down.

TIA writes ``<name>.emi`` beside ``<name>_1.ser``, ``<name>_2.ser``...; when it is there,
its ``<ObjectInfo>`` for this .ser is added to the metadata and its microscope mode says
whether CalibrationDeltaX is in metres or, for diffraction (TEM diffraction mode, or a
camera image in STEM mode), in 1/m, which leaves the image uncalibrated. A .ser without
its .emi is read with metres assumed, and the metadata say so.

Which signals are listed
------------------------
The one signal of an image series: ``(ny, nx)`` for a single image, ``(n, ny, nx)`` for a
series along one axis (only the valid, acquired elements count). A series of spectra, a
2D scan of images (4D) or a series with no valid element raises :class:`NotTwoDimensional`.
Calibration: CalibrationDeltaX of the first element, tag ``ser.CalibrationDeltaX``.
"""

from __future__ import annotations

import re
import struct
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rsciio.tia._api import (
    _guess_units_from_mode,
    convert_xml_to_dict,
    get_header_dtype_list,
    get_xml_info_from_emi,
    ser_reader,
)
from rsciio.utils._dictionary import DTBox

from ..calibration import calibration_from_scale
from ..errors import CorruptFile, NotTwoDimensional, UnknownSignal
from ..types import SignalInfo
from ._em_common import bounded_metadata, decoding
from ._pixels import require_bytes

#: Recorded as ``source="file:<tag>"`` of a SER calibration.
CALIBRATION_TAG = "ser.CalibrationDeltaX"

_FORMAT = "SER"
_IMAGE_SERIES = 0x4122
_SPECTRUM_SERIES = 0x4120
#: TIA DataType codes of element pixels.
_DTYPES = {
    1: "<u1",
    2: "<u2",
    3: "<u4",
    4: "<i1",
    5: "<i2",
    6: "<i4",
    7: "<f4",
    8: "<f8",
    9: "<c8",
    10: "<c16",
}
_ELEMENT_HEADER = struct.Struct("<ddIddIHII")  # calibrations X, Y; DataType; sizes X, Y
_UNITS = {"meters": "m", "1/meters": "1/m"}
_MIN_HEADER_BYTES = 30  # a version-0x0210 header with no dimension


@dataclass(frozen=True)
class _Series:
    """What the headers of a .ser file say."""

    header: dict[str, Any]
    shape: tuple[int, ...]
    dtype: np.dtype
    delta_x: float
    emi: dict[str, Any] | None
    unit: str


def signals(path: Path) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe the image series of a .ser file from its headers.

    Returns
    -------
    list of SignalInfo
        One signal, named ``"image"`` (TIA gives series no title).
    dict
        ``{"ser_header": {...}, "emi": <ObjectInfo> or None, "units": "m" or "1/m",
        "units_from": "emi" or "assumed"}``, bounded.

    Raises
    ------
    CorruptFile
        The header cannot be parsed, or the elements run past the end of the file.
    NotTwoDimensional
        The series holds spectra, a 4D scan, or no valid element.
    """
    series = _read_series(path)
    calibration = calibration_from_scale(series.delta_x, series.unit, tag=CALIBRATION_TAG)
    info = SignalInfo(0, "image", series.shape, series.dtype.name, calibration)
    metadata = {
        "ser_header": series.header,
        "emi": series.emi,
        "units": series.unit,
        "units_from": "emi" if series.emi is not None else "assumed",
    }
    return [info], bounded_metadata(metadata)


def load(path: Path, index: int) -> np.ndarray:
    """Read the image series: (ny, nx), or (n, ny, nx); ``index`` must be 0."""
    if index != 0:
        raise UnknownSignal(f"{path.name}: no signal {index}; a .ser file holds one (0)")
    series = _read_series(path)
    with decoding(path, _FORMAT), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = np.asarray(ser_reader(str(path), objects=None)[0]["data"])
    return np.ascontiguousarray(data.reshape(series.shape))


def _read_series(path: Path) -> _Series:
    file_size = path.stat().st_size
    if file_size < _MIN_HEADER_BYTES:
        raise CorruptFile(f"{path.name}: {file_size} bytes is too short for a SER header")
    with path.open("rb") as f, decoding(path, _FORMAT):
        header_array = np.fromfile(f, dtype=np.dtype(get_header_dtype_list(f)), count=1)
        header = header_array[0]
        _require_image_series(path, int(header["DataTypeID"]))
        offsets = _data_offsets(f, header)
        if len(offsets) == 0:
            raise NotTwoDimensional(f"{path.name} holds no acquired data (no valid element)")
        f.seek(int(offsets[0]))
        element = _ELEMENT_HEADER.unpack(f.read(_ELEMENT_HEADER.size))
    _, delta_x, _, _, _, _, data_type, nx, ny = element
    if data_type not in _DTYPES:
        raise NotTwoDimensional(f"{path.name}: unknown TIA pixel type {data_type}")
    dtype = np.dtype(_DTYPES[data_type])
    element_bytes = _ELEMENT_HEADER.size + nx * ny * dtype.itemsize
    require_bytes(path.name, int(offsets.max()) + element_bytes, file_size, what=_FORMAT)
    shape = _shape(path, header, len(offsets), ny, nx)
    if dtype.kind == "c":
        raise NotTwoDimensional(f"{path.name} holds complex images (an FFT?), not micrographs")
    emi = _emi(path)
    unit = _unit(emi, header_array)
    return _Series(_header_dict(header), shape, dtype.newbyteorder("="), delta_x, emi, unit)


def _require_image_series(path: Path, data_type_id: int) -> None:
    if data_type_id == _SPECTRUM_SERIES:
        raise NotTwoDimensional(f"{path.name} holds a series of spectra, not images")
    if data_type_id != _IMAGE_SERIES:
        raise NotTwoDimensional(f"{path.name} holds data of type {data_type_id:#06x}, not images")


def _data_offsets(f: Any, header: np.void) -> np.ndarray:
    """Offsets of the valid data elements [bytes from the start of the file]."""
    f.seek(int(header["OffsetArrayOffset"]))
    offset_type = "<u4" if int(header["SeriesVersion"]) <= 0x0210 else "<u8"
    valid = int(header["ValidNumberElements"])
    offsets = np.fromfile(f, dtype=offset_type, count=valid)
    if len(offsets) != valid:
        raise ValueError("the offset array is cut short")
    return offsets


def _shape(path: Path, header: np.void, n_valid: int, ny: int, nx: int) -> tuple[int, ...]:
    n_dims = int(header["NumberDimensions"])
    sizes = [int(header[f"Dim-{i}_DimensionSize"]) for i in range(1, n_dims + 1)]
    if len([s for s in sizes if s > 1]) > 1:
        raise NotTwoDimensional(
            f"{path.name} holds a {'x'.join(map(str, sizes))} scan of {ny}x{nx} images "
            "(4D data), not an image or a series of images"
        )
    return (ny, nx) if n_valid == 1 else (n_valid, ny, nx)


def _emi(path: Path) -> dict[str, Any] | None:
    """The .emi ``<ObjectInfo>`` of this .ser (``<name>_<k>.ser`` -> block k of ``<name>.emi``)."""
    match = re.fullmatch(r"(.+)_(\d+)", path.stem)
    if match is None:
        return None
    emi_path = path.with_name(match.group(1) + ".emi")
    if not emi_path.is_file():
        return None
    try:
        objects = get_xml_info_from_emi(str(emi_path))
        block = objects[int(match.group(2)) - 1]
        return convert_xml_to_dict(block).to_dict().get("ObjectInfo")
    except (OSError, IndexError, ValueError, ET.ParseError, AttributeError, KeyError):
        return None  # a damaged .emi costs its metadata, not the pixels of the .ser


def _unit(emi: dict[str, Any] | None, header: np.ndarray) -> str:
    """Unit of CalibrationDeltaX: ``"m"``, or ``"1/m"`` when the .emi says diffraction."""
    if emi is None:
        return "m"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guessed = _guess_units_from_mode(DTBox({"ObjectInfo": emi}, box_dots=True), header)
    return _UNITS.get(guessed, guessed)


def _header_dict(header: np.void) -> dict[str, Any]:
    return {name: header[name] for name in header.dtype.names}
