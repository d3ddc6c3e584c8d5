"""The pixel limit is applied from headers, before any pixel is decoded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import TooManyPixels, probe, read_micrograph
from reconstruction.io.formats import mrc, npy, pillow, tiff
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.mrc import write_mrc, write_mrc_claiming
from tests.fixtures.writers.npy import write_npy, write_npy_claiming
from tests.fixtures.writers.png import write_png, write_png_claiming
from tests.fixtures.writers.tiff import write_tiff, write_tiff_claiming

# 12,000 × 11,000 = 132 M pixels, over the default limit of 100 M.
CLAIMING: dict[str, Callable[[Path], Path]] = {
    "tiff": lambda p: write_tiff_claiming(p, 12_000, 11_000),
    "png": lambda p: write_png_claiming(p, 12_000, 11_000),
    "mrc": lambda p: write_mrc_claiming(p, 12_000, 11_000),
    "npy": lambda p: write_npy_claiming(p, (12_000, 11_000)),
}
REAL: dict[str, tuple[Callable[[Path], Path], object]] = {
    "tiff": (lambda p: write_tiff(p, lattice_image((40, 50)), kind="none"), tiff),
    "png": (lambda p: write_png(p, lattice_image((40, 50), dtype=np.uint8)), pillow),
    "mrc": (lambda p: write_mrc(p, lattice_image((40, 50))), mrc),
    "npy": (lambda p: write_npy(p, lattice_image((40, 50))), npy),
}


def _refuse_to_decode(monkeypatch: pytest.MonkeyPatch, module: object) -> None:
    def load(*args: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(module, "load", load)


@pytest.mark.parametrize("kind", sorted(CLAIMING))
def test_it_refuses_a_huge_header_with_both_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = CLAIMING[kind](tmp_path / "huge")
    _refuse_to_decode(monkeypatch, REAL[kind][1])
    with pytest.raises(TooManyPixels) as caught:
        probe(path)
    assert "132,000,000" in str(caught.value)
    assert "100,000,000" in str(caught.value)
    with pytest.raises(TooManyPixels):
        read_micrograph(path)


@pytest.mark.parametrize("kind", sorted(REAL))
def test_it_applies_a_small_limit_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    write, module = REAL[kind]
    path = write(tmp_path / "small")
    assert probe(path, max_pixels=2000).signals[0].n_pixels == 2000
    _refuse_to_decode(monkeypatch, module)
    with pytest.raises(TooManyPixels, match="2,000 pixels per frame, more than the limit of 1,999"):
        probe(path, max_pixels=1999)
    with pytest.raises(TooManyPixels):
        read_micrograph(path, max_pixels=1999)


def test_it_limits_the_whole_stack_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_npy(tmp_path / "stack.npy", np.zeros((11, 10, 10), np.float32))
    _refuse_to_decode(monkeypatch, npy)
    with pytest.raises(TooManyPixels, match="1,100 pixels in all"):
        read_micrograph(path, stack="sum", max_pixels=100)
