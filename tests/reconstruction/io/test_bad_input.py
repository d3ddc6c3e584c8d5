"""Bad uploads give an IngestError a person can read, never a decoder's traceback."""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import (
    CorruptFile,
    EmptyFile,
    IngestError,
    NotTwoDimensional,
    UnsupportedFormat,
    probe,
    read_micrograph,
)
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.mrc import write_mrc
from tests.fixtures.writers.npy import write_npy
from tests.fixtures.writers.png import write_jpeg, write_png
from tests.fixtures.writers.tiff import write_tiff

WRITERS: dict[str, Callable[[Path], Path]] = {
    "tiff": lambda p: write_tiff(p, lattice_image((64, 64), dtype=np.uint16), kind="none"),
    "tiff-zlib": lambda p: write_tiff(
        p, lattice_image((64, 64), dtype=np.uint16), kind="none", compression="zlib"
    ),
    "tiff-imagej": lambda p: write_tiff(p, lattice_image((64, 64)), pixel_size_A=0.1),
    "png": lambda p: write_png(p, lattice_image((64, 64), dtype=np.uint8)),
    "png16": lambda p: write_png(p, lattice_image((64, 64), dtype=np.uint16)),
    "jpeg": lambda p: write_jpeg(p, lattice_image((64, 64), dtype=np.uint8)),
    "mrc": lambda p: write_mrc(p, lattice_image((64, 64)), voxel_size_A=0.1),
    "npy": lambda p: write_npy(p, lattice_image((64, 64))),
}


def _cut(path: Path, keep: int) -> Path:
    content = path.read_bytes()
    path.write_bytes(content[:keep])
    return path


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_it_reports_a_file_cut_in_half_as_corrupt(tmp_path: Path, kind: str) -> None:
    path = WRITERS[kind](tmp_path / "upload")
    _cut(path, path.stat().st_size // 2)
    with pytest.raises(CorruptFile) as caught:
        read_micrograph(path)
    assert "upload" in str(caught.value)


@pytest.mark.parametrize("kind", sorted(WRITERS))
@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.2, 0.5, 0.8, 0.99])
def test_it_never_leaks_a_decoder_exception(tmp_path: Path, kind: str, fraction: float) -> None:
    path = WRITERS[kind](tmp_path / "upload")
    _cut(path, max(1, int(path.stat().st_size * fraction)))
    with pytest.raises(IngestError):
        read_micrograph(path)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_it_survives_garbage_after_the_header(tmp_path: Path, kind: str) -> None:
    path = WRITERS[kind](tmp_path / "upload")
    content = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    start = min(16, len(content) // 4)
    content[start:] = rng.integers(0, 256, size=len(content) - start, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(content))
    with contextlib.suppress(IngestError):  # noise may also decode as pixels: that is fine
        read_micrograph(path)


def test_it_reports_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.dm4"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match="empty"):
        probe(path)
    with pytest.raises(EmptyFile):
        read_micrograph(path)


def test_it_refuses_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.tif"
    path.write_text("HAADF image, 0.1 A/px\n")
    with pytest.raises(UnsupportedFormat, match="Supported formats"):
        read_micrograph(path)


def test_it_refuses_a_zip_archive(tmp_path: Path) -> None:
    path = tmp_path / "images.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(UnsupportedFormat, match="ZIP"):
        probe(path)


@pytest.mark.parametrize(
    ("shape", "what"),
    [((100,), "1D"), ((4, 5, 16, 16), "4D"), ((1, 100), "no signal"), ((2, 3, 4, 5, 6), "5D")],
)
def test_it_refuses_arrays_that_are_not_images(tmp_path: Path, shape: tuple, what: str) -> None:
    path = write_npy(tmp_path / "a.npy", np.zeros(shape, np.float32))
    with pytest.raises(NotTwoDimensional, match="2D image"):
        probe(path)
    with pytest.raises(NotTwoDimensional):
        read_micrograph(path)
