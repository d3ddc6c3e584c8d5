"""Formats are recognised from content, never from the file name."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile

from reconstruction.io import EmptyFile, UnsupportedFormat, detect_format
from tests.fixtures.writers.mrc import write_mrc
from tests.fixtures.writers.npy import write_npy
from tests.fixtures.writers.png import write_jpeg, write_png
from tests.fixtures.writers.tiff import write_tiff

IMAGE = np.arange(64, dtype=np.uint8).reshape(8, 8)


def _dm_header(version: int) -> bytes:
    if version == 3:
        return struct.pack(">iII", 3, 1000, 1) + bytes([0, 1]) + struct.pack(">I", 2)
    return struct.pack(">iQI", 4, 1000, 1) + bytes([0, 1]) + struct.pack(">Q", 2)


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda p: write_tiff(p, IMAGE, kind="none"), "tiff"),
        (lambda p: tifffile.imwrite(p, IMAGE, byteorder=">"), "tiff"),
        (lambda p: tifffile.imwrite(p, IMAGE, bigtiff=True), "tiff"),
        (lambda p: write_png(p, IMAGE), "png"),
        (lambda p: write_jpeg(p, IMAGE), "jpeg"),
        (lambda p: write_mrc(p, IMAGE.astype(np.float32)), "mrc"),
        (lambda p: write_npy(p, IMAGE), "npy"),
        (lambda p: p.write_bytes(_dm_header(3) + bytes(64)), "dm3"),
        (lambda p: p.write_bytes(_dm_header(4) + bytes(64)), "dm4"),
        (lambda p: p.write_bytes(struct.pack("<HHH", 0x4949, 0x0197, 0x0210) + bytes(64)), "ser"),
    ],
    ids=["tiff", "tiff-big-endian", "bigtiff", "png", "jpeg", "mrc", "npy", "dm3", "dm4", "ser"],
)
def test_it_detects_each_format_from_its_bytes(tmp_path: Path, write, expected: str) -> None:
    path = tmp_path / "upload.bin"  # a name that says nothing
    write(path)
    assert detect_format(path) == expected


def test_it_reads_content_not_extension(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "really_a_tiff.png", IMAGE, kind="none")
    assert detect_format(path) == "tiff"


def test_it_tells_velox_from_berkeley_emd(tmp_path: Path) -> None:
    velox = tmp_path / "a.emd"
    with h5py.File(velox, "w") as f:
        f.create_dataset("Version", data=np.array([b'{"format": "Velox"}']))
        f.create_group("Data/Image")
    berkeley = tmp_path / "b.emd"
    with h5py.File(berkeley, "w") as f:
        f.create_group("data/signal").attrs["emd_group_type"] = 1
    assert detect_format(velox) == "velox_emd"
    assert detect_format(berkeley) == "berkeley_emd"


def test_it_refuses_other_hdf5_files(tmp_path: Path) -> None:
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(UnsupportedFormat, match="neither a Velox EMD nor a Berkeley EMD"):
        detect_format(path)


def test_it_refuses_text_and_lists_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "image.tif"
    path.write_text("x,y\n1,2\n")
    with pytest.raises(UnsupportedFormat) as caught:
        detect_format(path)
    message = str(caught.value)
    assert "text file" in message
    for name in ("TIFF", "PNG", "JPEG", "DM3", "DM4", "Velox EMD", "SER", "MRC", ".npy"):
        assert name in message


def test_it_refuses_a_zip_archive(tmp_path: Path) -> None:
    path = tmp_path / "image.dm4"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("image.tif", b"II*\x00")
    with pytest.raises(UnsupportedFormat, match="ZIP"):
        detect_format(path)


def test_it_reports_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.tif"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile):
        detect_format(path)


@pytest.mark.parametrize(
    "content",
    [
        struct.pack(">iII", 3, 1000, 7) + bytes(16),  # DM3 with a byte order of 7
        struct.pack(">iII", 3, 1000, 1) + bytes([5, 9]) + bytes(16),  # DM3 with bad flags
        struct.pack("<HHH", 0x4949, 0x0197, 0x9999) + bytes(16),  # SER with an unknown version
        struct.pack("<4i", 8, 8, 1, 77) + bytes(192) + b"MAP DD\x00\x00" + bytes(16),  # mode 77
        struct.pack("<4i", 0, 8, 1, 2) + bytes(192) + b"MAP DD\x00\x00" + bytes(16),  # nx = 0
    ],
    ids=["dm3-byte-order", "dm3-flags", "ser-version", "mrc-mode", "mrc-size"],
)
def test_it_checks_header_fields_beyond_the_magic_number(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormat):
        detect_format(path)
