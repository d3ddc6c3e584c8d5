"""EMD files, both HDF5 variants: Thermo Fisher Velox EMD and Berkeley EMD (v0.2).

Both are read with h5py in the layout rosettasciio's ``rsciio.emd`` reader expects;
headers (shapes, dtypes, JSON metadata, ``dim`` vectors) are read without touching pixel
data, and :func:`velox_load` / :func:`berkeley_load` read one dataset only.

Which signals are listed
------------------------
Only image-like signals: 2D images and 3D stacks of frames, of integer or real pixels,
shaped ``(ny, nx)`` or ``(n, ny, nx)``. Left out, and never given an index: Velox EDS
spectra (``/Data/Spectrum``) and spectrum images (``/Data/SpectrumImage``), complex
images (Velox's DPC vector image and FFTs), 1D and 4D data sets (4D-STEM). A file holding
no image-like signal raises :class:`NotTwoDimensional`, saying what it holds. Indices count
listed signals only, in the file's (HDF5 key) order; repeated names get ``" #2"``...

Velox
    Signals are the groups of ``/Data/Image``; data ``(ny, nx, n_frames)``. The name is
    ``BinaryResult.Detector`` (``HAADF``, ``DF4-A``, ``iDPC``...) or else the
    ``DetectorName`` of ``Detectors/Detector-<BinaryResult.DetectorIndex>``. Calibration:
    ``BinaryResult.PixelSize.width`` in ``BinaryResult.PixelUnitX`` (metres when absent),
    tag ``velox.BinaryResult.PixelSize``.
Berkeley
    Signals are the groups with attribute ``emd_group_type = 1`` holding a ``data``
    dataset; the name is the group's name. ``dim1..dimN`` (``dim0..`` in newer files)
    give each stored axis's values, ``name`` and ``units`` (``"nm"`` or the EMD spelling
    ``"[n_m]"``). Files written by HyperSpy/rosettasciio store the array transposed
    (``dim1`` is x); ncempy writes C order (``dim1`` is y). The axis names decide: when x
    comes before y the array is transposed back; otherwise it is taken in C order
    (rosettasciio always transposes, which turns ncempy images on their side).
    Calibration: the step of the x axis's ``dim`` vector in its units, tag ``emd.dim<k>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..calibration import calibration_from_scale
from ..errors import NotTwoDimensional, UnknownSignal
from ..types import Calibration, SignalInfo
from ._em_common import bounded_metadata, decoding, no_image_message, unique_names

#: Recorded as ``source="file:<tag>"`` of a Velox calibration.
VELOX_CALIBRATION_TAG = "velox.BinaryResult.PixelSize"
#: Prefix of a Berkeley calibration's tag: ``emd.dim1``, ``emd.dim2``...
BERKELEY_CALIBRATION_TAG = "emd.dim"

_VELOX = "Velox EMD"
_BERKELEY = "Berkeley EMD"


@dataclass(frozen=True)
class _Signal:
    """One dataset of an EMD file, described from its header.

    ``shape`` is the shape :func:`load` returns (frames first); ``kind`` is ``"image"``,
    ``"stack"`` or why the dataset is not listed.
    """

    path: str
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    kind: str
    calibration: Calibration
    transposed: bool = False

    @property
    def listed(self) -> bool:
        return self.kind in ("image", "stack")

    def info(self, index: int) -> SignalInfo:
        return SignalInfo(index, self.name, self.shape, self.dtype.name, self.calibration)


# --- Velox -------------------------------------------------------------------------------


def velox_signals(path: Path) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe the images of a Velox EMD file from its headers.

    Returns
    -------
    list of SignalInfo
        One per image or image stack of ``/Data/Image``.
    dict
        ``{"velox_version": {...}, "images": {name: Velox JSON metadata}}``, bounded.

    Raises
    ------
    CorruptFile
        HDF5 cannot open the file (truncated) or its metadata are not JSON.
    NotTwoDimensional
        The file holds only spectra, spectrum images or complex images.
    """
    with _hdf5(path, _VELOX) as f:
        found, metadata = _velox_scan(f)
        listed = _listed(path, found)
        version = _velox_version(f)
    images = {s.name: metadata[s.path] for s in listed}
    infos = [s.info(i) for i, s in enumerate(listed)]
    return infos, bounded_metadata({"velox_version": version, "images": images})


def velox_load(path: Path, index: int) -> np.ndarray:
    """Read listed Velox image ``index``: (ny, nx), or (n, ny, nx) for a stack."""
    with _hdf5(path, _VELOX) as f:
        signal = _select(path, _listed(path, _velox_scan(f)[0]), index)
        dataset = f[signal.path]
        n_frames = dataset.shape[2]
        if n_frames == 1:
            return np.asarray(dataset[:, :, 0])
        # Velox chunks each frame on its own: reading frame by frame is much faster
        # than reading the (ny, nx, n) block at once and moving the axis.
        return np.stack([dataset[:, :, i] for i in range(n_frames)])


def _velox_scan(f: h5py.File) -> tuple[list[_Signal], dict[str, Any]]:
    """Every dataset of /Data/Image, /Data/Spectrum and /Data/SpectrumImage, described."""
    found: list[_Signal] = []
    metadata: dict[str, Any] = {}
    images = f.get("Data/Image")
    for position, key in enumerate(images.keys() if isinstance(images, h5py.Group) else []):
        group = images[key]
        dataset = group.get("Data")
        if not isinstance(dataset, h5py.Dataset):
            continue
        meta = _velox_metadata(group)
        metadata[dataset.name] = meta
        found.append(_velox_image(dataset, meta, position))
    for kind, where in (("spectrum", "Data/Spectrum"), ("spectrum image", "Data/SpectrumImage")):
        group = f.get(where)
        for key in group.keys() if isinstance(group, h5py.Group) else []:
            found.append(
                _Signal(
                    f"/{where}/{key}", "EDS", (), np.dtype("float64"), kind, Calibration(None, None)
                )
            )
    return found, metadata


def _velox_image(dataset: h5py.Dataset, meta: dict[str, Any], position: int) -> _Signal:
    binary = meta.get("BinaryResult", {})
    name = _velox_name(meta) or f"image {position}"
    if dataset.ndim != 3:
        shape = tuple(int(n) for n in dataset.shape)
        return _Signal(
            dataset.name,
            name,
            shape,
            dataset.dtype,
            f"{dataset.ndim}D data set",
            Calibration(None, None),
        )
    ny, nx, n = (int(v) for v in dataset.shape)
    shape = (ny, nx) if n == 1 else (n, ny, nx)
    if dataset.dtype.names:  # DPC / FFT: real and imaginary parts as a compound type
        dtype, kind = np.dtype("complex64"), "complex image"
    else:
        dtype = dataset.dtype
        kind = "image" if n == 1 else "stack"
        if dtype.kind not in "uif":
            kind = f"{dtype.name} image"
    pixel_size = binary.get("PixelSize", {})
    width = pixel_size.get("width") if isinstance(pixel_size, dict) else None
    unit = binary.get("PixelUnitX", "m")
    calibration = calibration_from_scale(width, unit, tag=VELOX_CALIBRATION_TAG)
    return _Signal(dataset.name, name, shape, dtype, kind, calibration)


def _velox_name(meta: dict[str, Any]) -> str | None:
    """The detector's name, from BinaryResult or the detector list."""
    binary = meta.get("BinaryResult", {})
    name = binary.get("Detector")
    if isinstance(name, str) and name.strip():
        return name.strip()
    detector = meta.get("Detectors", {}).get(f"Detector-{binary.get('DetectorIndex')}", {})
    name = detector.get("DetectorName") if isinstance(detector, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _velox_metadata(group: h5py.Group) -> dict[str, Any]:
    """The JSON of a Velox ``Metadata`` dataset (first frame's column), as a dict ({} if bad)."""
    raw = group.get("Metadata")
    if not isinstance(raw, h5py.Dataset) or raw.ndim != 2:
        return {}
    try:
        meta = _velox_json(np.asarray(raw[:, 0], dtype=np.uint8).tobytes())
    except ValueError:  # unreadable JSON costs the name and calibration, not the pixels
        return {}
    return meta if isinstance(meta, dict) else {}


def _velox_version(f: h5py.File) -> Any:
    """The ``Version`` JSON (``{"format": "Velox", "version": "11"}``); {} if unreadable."""
    dataset = f.get("Version")
    try:
        return _velox_json(dataset[0]) if isinstance(dataset, h5py.Dataset) else {}
    except (ValueError, IndexError, TypeError):
        return {}


def _velox_json(raw: bytes | np.bytes_) -> Any:
    return json.loads(bytes(raw).rstrip(b"\x00").decode("utf-8"))


# --- Berkeley ----------------------------------------------------------------------------


def berkeley_signals(path: Path) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe the data sets of a Berkeley EMD file from their ``dim`` vectors.

    Returns
    -------
    list of SignalInfo
        One per 2D image or 3D stack held in an ``emd_group_type = 1`` group.
    dict
        Root attributes, the attributes of ``microscope``, ``sample``, ``user`` and
        ``comments``, and each listed signal's axes (name, units), bounded.
    """
    with _hdf5(path, _BERKELEY) as f:
        listed = _listed(path, _berkeley_scan(f))
        metadata: dict[str, Any] = {"attributes": dict(f.attrs)}
        for group_name in ("microscope", "sample", "user", "comments"):
            group = f.get(group_name)
            if isinstance(group, h5py.Group):
                metadata[group_name] = dict(group.attrs)
        metadata["signals"] = {s.name: _axes(f[s.path].parent) for s in listed}
    return [s.info(i) for i, s in enumerate(listed)], bounded_metadata(metadata)


def berkeley_load(path: Path, index: int) -> np.ndarray:
    """Read listed Berkeley signal ``index``: (ny, nx), or (n, ny, nx) for a stack."""
    with _hdf5(path, _BERKELEY) as f:
        signal = _select(path, _listed(path, _berkeley_scan(f)), index)
        data = np.asarray(f[signal.path][()])
    return np.ascontiguousarray(data.T) if signal.transposed else data


def _berkeley_scan(f: h5py.File) -> list[_Signal]:
    groups: list[h5py.Group] = []

    def visit(_: str, item: object) -> None:
        if (
            isinstance(item, h5py.Group)
            and item.attrs.get("emd_group_type", 0) == 1
            and isinstance(item.get("data"), h5py.Dataset)
        ):
            groups.append(item)

    f.visititems(visit)
    return [_berkeley_signal(group) for group in groups]


def _berkeley_signal(group: h5py.Group) -> _Signal:
    dataset = group["data"]
    name = group.name.rsplit("/", 1)[-1]
    dims = _dims(group, dataset.ndim)
    axis_names = [_text(dim.attrs.get("name")).lower() if dim is not None else "" for dim in dims]
    transposed = (
        "x" in axis_names and "y" in axis_names and axis_names.index("x") < axis_names.index("y")
    )
    stored = tuple(int(n) for n in dataset.shape)
    shape = stored[::-1] if transposed else stored
    kind = {2: "image", 3: "stack"}.get(len(shape), f"{len(shape)}D data set")
    if dataset.dtype.kind not in "uif":
        kind = f"{dataset.dtype} data set"
    calibration = Calibration(None, None)
    if len(shape) >= 2:
        x_axis = 0 if transposed else len(stored) - 1
        calibration = _dim_calibration(dims[x_axis], group, x_axis)
    return _Signal(dataset.name, name, shape, dataset.dtype, kind, calibration, transposed)


def _dims(group: h5py.Group, ndim: int) -> list[h5py.Dataset | None]:
    """The ``dim`` datasets of each stored axis (``dim0..`` or ``dim1..``)."""
    first = 0 if "dim0" in group else 1
    dims = [group.get(f"dim{first + i}") for i in range(ndim)]
    return [d if isinstance(d, h5py.Dataset) else None for d in dims]


def _dim_calibration(dim: h5py.Dataset | None, group: h5py.Group, axis: int) -> Calibration:
    first = 0 if "dim0" in group else 1
    tag = f"{BERKELEY_CALIBRATION_TAG}{first + axis}"
    if dim is None:
        return calibration_from_scale(None, None, tag=tag)
    values = np.asarray(dim[:2]) if dim.ndim == 1 and dim.shape[0] >= 2 else None
    if values is None or values.dtype.kind not in "uif":
        return calibration_from_scale(None, None, tag=tag)
    step = float(values[1] - values[0])
    return calibration_from_scale(step, _emd_unit(_text(dim.attrs.get("units"))), tag=tag)


def _emd_unit(units: str) -> str:
    """EMD's bracketed unit spelling (``"[n_m]"``, ``"[1_/_n_m]"``) to plain (``"nm"``)."""
    units = units.strip()
    if units.startswith("[") and units.endswith("]"):
        return units[1:-1].replace("_", "")
    return units


def _axes(group: h5py.Group) -> list[dict[str, str]]:
    dims = _dims(group, group["data"].ndim)
    return [
        {"name": _text(d.attrs.get("name")), "units": _text(d.attrs.get("units"))}
        for d in dims
        if d is not None
    ]


def _text(value: object) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


# --- shared ------------------------------------------------------------------------------


@contextmanager
def _hdf5(path: Path, what: str) -> Iterator[h5py.File]:
    """Open ``path`` with h5py; any decoding failure inside becomes CorruptFile."""
    with decoding(path, what, (RuntimeError,)), h5py.File(path, "r") as f:
        yield f


def _listed(path: Path, found: list[_Signal]) -> list[_Signal]:
    listed = [s for s in found if s.listed]
    if not listed:
        held = [
            f"{s.name!r}: {s.kind}" + (f" of shape {s.shape}" if s.shape else "") for s in found
        ]
        raise NotTwoDimensional(no_image_message(path.name, held))
    names = unique_names([s.name for s in listed])
    return [replace(s, name=n) for s, n in zip(listed, names, strict=True)]


def _select(path: Path, listed: list[_Signal], index: int) -> _Signal:
    if not 0 <= index < len(listed):
        raise UnknownSignal(
            f"{path.name}: no signal {index}; this file holds {len(listed)} image(s): "
            + ", ".join(f"{i}: {s.name}" for i, s in enumerate(listed))
        )
    return listed[index]
