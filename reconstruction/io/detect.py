"""Recognising a micrograph file by its content (magic bytes), never by its name.

An upload called ``image.png`` that holds a TIFF is read as a TIFF; a text file called
``image.tif`` is refused with a message that lists what is supported.
"""

from __future__ import annotations

import struct
from os import PathLike
from pathlib import Path

from .errors import CorruptFile, EmptyFile, UnsupportedFormat

#: Formats :func:`detect_format` can return, with the names shown to people.
FORMAT_LABELS: dict[str, str] = {
    "tiff": "TIFF",
    "png": "PNG",
    "jpeg": "JPEG",
    "dm3": "DM3",
    "dm4": "DM4",
    "velox_emd": "Velox EMD",
    "berkeley_emd": "Berkeley EMD",
    "ser": "FEI SER",
    "mrc": "MRC",
    "npy": "NumPy .npy",
}

SUPPORTED_TEXT = (
    "TIFF (.tif), PNG, JPEG, Gatan DM3/DM4, Velox EMD, Berkeley EMD, FEI SER/EMI, "
    "MRC and NumPy .npy"
)

_HEAD_BYTES = 4104  # room for an HDF5 superblock after a user block of up to 4096 bytes
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),  # BigTIFF
    (b"MM\x00+", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x93NUMPY", "npy"),
)
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HDF5_OFFSETS = (0, 512, 1024, 2048, 4096)
_SER_VERSIONS = (0x0210, 0x0220)
_MRC_MODES = frozenset({0, 1, 2, 3, 4, 6, 12, 101})
_NOT_SUPPORTED_HINTS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .npz or zipped folder?); unzip it and upload the image"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive; decompress it and upload the image"),
    (b"%PDF", "a PDF document"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image; save it as TIFF or PNG"),
)


def detect_format(path: str | PathLike[str]) -> str:
    """Name the format of a file from its first bytes.

    Parameters
    ----------
    path : str or path-like
        The file to look at. Only its first few kilobytes are read, except for HDF5
        files, which are opened with h5py to tell Velox from Berkeley EMD.

    Returns
    -------
    str
        One of the keys of :data:`FORMAT_LABELS`.

    Raises
    ------
    EmptyFile
        The file has no bytes.
    UnsupportedFormat
        The content is none of the supported formats; the message lists them.
    CorruptFile
        The content is HDF5 but h5py cannot open it.
    """
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_HEAD_BYTES)
    if not head:
        raise EmptyFile(f"{path.name} is empty (0 bytes); upload the file again")
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if any(head[o : o + 8] == _HDF5_SIGNATURE for o in _HDF5_OFFSETS):
        return _hdf5_kind(path)
    for check in (_ser, _mrc, _dm):
        found = check(head)
        if found:
            return found
    raise UnsupportedFormat(
        f"{path.name}: {_describe_unknown(head)} is not a supported micrograph format. "
        f"Supported formats: {SUPPORTED_TEXT}."
    )


def _ser(head: bytes) -> str | None:
    """FEI SER: byte-order mark 0x4949 ("II"), SeriesID 0x0197, a known SeriesVersion."""
    if len(head) < 6:
        return None
    order, series_id, version = struct.unpack_from("<HHH", head, 0)
    if order == 0x4949 and series_id == 0x0197 and version in _SER_VERSIONS:
        return "ser"
    return None


def _mrc(head: bytes) -> str | None:
    """MRC2014: ``"MAP "`` at byte 208, positive sizes and a known mode."""
    if len(head) < 216 or head[208:212] != b"MAP ":
        return None
    # The machine stamp says the byte order: 0x44 0x44 little-endian, 0x11 0x11 big.
    endian = ">" if head[212] == 0x11 else "<"
    nx, ny, nz, mode = struct.unpack_from(endian + "4i", head, 0)
    if nx > 0 and ny > 0 and nz > 0 and mode in _MRC_MODES:
        return "mrc"
    return None


def _dm(head: bytes) -> str | None:
    """Gatan DM3/DM4: big-endian version 3 or 4, then a byte-order flag and a tag group."""
    if len(head) < 18:
        return None
    (version,) = struct.unpack_from(">i", head, 0)
    if version == 3:
        (byte_order,) = struct.unpack_from(">I", head, 8)
        flags = head[12:14]
    elif version == 4:
        (byte_order,) = struct.unpack_from(">I", head, 12)
        flags = head[16:18]
    else:
        return None
    # Byte order 0 or 1; the root tag group's "sorted" and "open" flags are 0 or 1.
    if byte_order in (0, 1) and all(b in (0, 1) for b in flags):
        return f"dm{version}"
    return None


def _hdf5_kind(path: Path) -> str:
    """Velox EMD (``/Data`` and ``Version``) or Berkeley EMD (``emd_group_type``)."""
    import h5py  # only HDF5 files pay for the import

    try:
        with h5py.File(path, "r") as f:
            if isinstance(f.get("Data"), h5py.Group) and ("Version" in f or "Version" in f.attrs):
                return "velox_emd"
            if _has_emd_group(f, depth=3):
                return "berkeley_emd"
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CorruptFile(f"{path.name}: this HDF5 file could not be opened: {exc}") from exc
    raise UnsupportedFormat(
        f"{path.name}: an HDF5 file that is neither a Velox EMD nor a Berkeley EMD file is "
        f"not a supported micrograph format. Supported formats: {SUPPORTED_TEXT}."
    )


def _has_emd_group(group: object, *, depth: int) -> bool:
    """Whether ``group`` or a group up to ``depth`` levels below has ``emd_group_type``."""
    import h5py

    if not isinstance(group, h5py.Group):
        return False
    if "emd_group_type" in group.attrs:
        return True
    if depth == 0:
        return False
    return any(_has_emd_group(group.get(k), depth=depth - 1) for k in group)


def _describe_unknown(head: bytes) -> str:
    for signature, what in _NOT_SUPPORTED_HINTS:
        if head.startswith(signature):
            return what
    sample = head[:512]
    if all(32 <= b < 127 or b in (9, 10, 13) for b in sample):
        return "a text file"
    return "this content"
