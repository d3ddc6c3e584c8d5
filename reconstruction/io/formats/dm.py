"""Gatan Digital Micrograph files (DM3 and DM4), read with ``rsciio.digitalmicrograph``.

The tag tree is parsed by rosettasciio's reader, which skips over pixel data, so
:func:`signals` costs a header read even on multi-gigabyte files; :func:`load` reads the
pixels of one image only.

Which signals are listed
------------------------
Only image-like signals: 2D images and 3D stacks of frames (DM stores dimensions x, y, z;
they come back frames first, ``(n, ny, nx)``), of integer or real pixels. Left out, and
never given an index: the thumbnail DM puts first in every file, spectra and spectrum
images (EELS, EDS, CL: ``ImageTags.Meta Data.Signal`` / ``Format``), 1D and 4D data,
complex (FFT) and RGB images. A file holding none of the former raises
:class:`NotTwoDimensional` from :func:`signals` and :func:`load`, saying what it holds.
Indices count listed signals only, in ``ImageList`` order.

Calibration comes from the x axis, ``ImageData.Calibrations.Dimension[0]`` (Scale,
Units), judged by :func:`calibration_from_scale`: DM's default for an uncalibrated image
(scale 1, no unit) and reciprocal units (``1/nm``, diffraction) leave it uncalibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from rsciio.digitalmicrograph._api import DigitalMicrographReader, ImageObject
from rsciio.exceptions import (
    ByteOrderError,
    DM3DataTypeError,
    DM3FileVersionError,
    DM3TagError,
    DM3TagIDError,
    DM3TagTypeError,
)

from ..calibration import calibration_from_scale
from ..errors import NotTwoDimensional, UnknownSignal
from ..types import Calibration, SignalInfo
from ._em_common import bounded_metadata, decoding, no_image_message, unique_names
from ._pixels import require_bytes

#: Recorded as ``source="file:<tag>"`` of a DM calibration.
CALIBRATION_TAG = "dm.ImageData.Calibrations.Dimension"

_FORMAT = "DM3/DM4"
_DM_ERRORS: tuple[type[BaseException], ...] = (
    ByteOrderError,
    DM3DataTypeError,
    DM3FileVersionError,
    DM3TagError,
    DM3TagIDError,
    DM3TagTypeError,
)
_SPECTRAL_FORMATS = ("Spectrum", "Spectrum image")


@dataclass(frozen=True)
class _Entry:
    """One ImageList image: what it is, and the rsciio object that can read it."""

    image: ImageObject
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    kind: str  # "image", "stack", or why it is not listed ("EELS spectrum image", ...)

    @property
    def listed(self) -> bool:
        return self.kind in ("image", "stack")


def signals(path: Path) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe the images of a DM3/DM4 file from its tag tree, without reading pixels.

    Parameters
    ----------
    path : Path
        The .dm3 / .dm4 file.

    Returns
    -------
    list of SignalInfo
        The 2D images and 3D stacks, shapes ``(ny, nx)`` / ``(n, ny, nx)``.
    dict
        ``{"dm_version": 3 or 4, "tags": <the tag tree, JSON-safe, bounded>}``.

    Raises
    ------
    CorruptFile
        The tag tree cannot be parsed, or an image's pixels run past the end of the file.
    NotTwoDimensional
        The file holds no image-like signal (only spectra, 4D data...).
    """
    version, entries, tags = _parse(path)
    listed = _listed(path, entries)
    infos = [
        SignalInfo(
            index=i,
            name=entry.name,
            shape=entry.shape,
            dtype=entry.dtype.name,
            calibration=_calibration(entry.image),
        )
        for i, entry in enumerate(listed)
    ]
    return infos, bounded_metadata({"dm_version": version, "tags": tags})


def load(path: Path, index: int) -> np.ndarray:
    """Read the pixels of listed signal ``index``: (ny, nx), or (n, ny, nx) for a stack.

    Raises
    ------
    UnknownSignal
        ``index`` is not one of the listed signals.
    CorruptFile
        The pixel data are truncated or cannot be decoded.
    """
    _, entries, _ = _parse(path)
    listed = _listed(path, entries)
    if not 0 <= index < len(listed):
        raise UnknownSignal(
            f"{path.name}: no signal {index}; this file holds {len(listed)} image(s)"
        )
    entry = listed[index]
    with decoding(path, _FORMAT, _DM_ERRORS):
        data = entry.image.get_data(lazy=False)
    return np.asarray(data).reshape(entry.shape)


def _parse(path: Path) -> tuple[int, list[_Entry], dict[str, Any]]:
    """Parse the tag tree; check each image's pixel data lies inside the file."""
    file_size = path.stat().st_size
    with path.open("rb") as f, decoding(path, _FORMAT, _DM_ERRORS):
        reader = DigitalMicrographReader(f)
        reader.parse_file()
        entries = []
        for position, imdict in enumerate(reader.get_image_dictionaries() or []):
            image = ImageObject(imdict, f)
            image.filename = str(path)  # rsciio reopens the file by name to read pixels
            entries.append(_entry(image, position))
            _check_extent(path, image, file_size)
    return int(reader.dm_version), entries, reader.tags_dict


def _entry(image: ImageObject, position: int) -> _Entry:
    """Classify one image from its tags (raises Box/KeyError on missing tags)."""
    shape = tuple(int(n) for n in image.shape)
    data_type = int(image.imdict.ImageData.DataType)
    if data_type in (3, 5, 8, 13, 23, 27, 28):  # complex, packed complex, RGB
        dtype = np.dtype("complex64") if data_type not in (8, 23) else np.dtype("uint32")
        kind = "RGB image" if data_type in (8, 23) else "complex (FFT) image"
        return _Entry(image, _name(image, position), shape, dtype, kind)
    dtype = np.dtype(image.dtype)
    spectral = image.signal_type or _meta_format(image) in _SPECTRAL_FORMATS
    if spectral:
        what = image.signal_type.replace("_TEM", "") or "spectral"
        kind = f"{what} spectrum" + (" image" if len(shape) > 1 else "")
    elif dtype.kind not in "uif":
        kind = f"{dtype.name} image"
    elif len(shape) in (2, 3):
        kind = "image" if len(shape) == 2 else "stack"
    else:
        kind = f"{len(shape)}D data set"
    return _Entry(image, _name(image, position), shape, dtype, kind)


def _meta_format(image: ImageObject) -> str:
    value = image.imdict.get("ImageTags.Meta Data.Format")
    return value if isinstance(value, str) else ""


def _name(image: ImageObject, position: int) -> str:
    title = image.title
    return title if isinstance(title, str) and title.strip() else f"image {position}"


def _check_extent(path: Path, image: ImageObject, file_size: int) -> None:
    """Raise CorruptFile when the pixel data would run past the end of the file."""
    data = image.imdict.ImageData.Data
    end = int(data.get("offset", 0)) + int(data.get("size_bytes", 0))
    require_bytes(path.name, end, file_size, what=_FORMAT)


def _listed(path: Path, entries: list[_Entry]) -> list[_Entry]:
    """The image-like entries, with repeated names made distinct."""
    listed = [e for e in entries if e.listed]
    if not listed:
        held = [f"{e.name!r}: {e.kind} of shape {e.shape}" for e in entries]
        raise NotTwoDimensional(no_image_message(path.name, held))
    names = unique_names([e.name for e in listed])
    return [replace(e, name=n) for e, n in zip(listed, names, strict=True)]


def _calibration(image: ImageObject) -> Calibration:
    """Pixel size of the x axis (the last of rsciio's C-ordered scales)."""
    try:
        scale, unit = float(image.scales[-1]), str(image.units[-1])
    except (KeyError, AttributeError, IndexError, TypeError, ValueError):
        scale, unit = None, None
    return calibration_from_scale(scale, unit, tag=CALIBRATION_TAG)
