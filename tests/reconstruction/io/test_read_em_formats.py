"""The dispatcher reaches the DM, EMD and SER readers: detected by content, read whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import probe, read_micrograph
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.dm import write_dm
from tests.fixtures.writers.emd import write_berkeley_emd, write_velox_emd
from tests.fixtures.writers.ser import write_ser

IMAGE = lattice_image((32, 40), seed=9)
WRITERS: dict[str, Callable[[Path], Path]] = {
    "dm3": lambda p: write_dm(p, IMAGE, pixel_size=0.01, unit="nm", version=3),
    "dm4": lambda p: write_dm(p, IMAGE, pixel_size=0.01, unit="nm", version=4),
    "velox_emd": lambda p: write_velox_emd(
        p, {"DF4-A": 2 * IMAGE, "HAADF": IMAGE, "iDPC": 3 * IMAGE}, pixel_size_m=1e-11
    ),
    "berkeley_emd": lambda p: write_berkeley_emd(p, IMAGE, pixel_size=0.01, unit="nm"),
    "ser": lambda p: write_ser(p, IMAGE, pixel_size_m=1e-11),
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_it_reads_each_microscope_format(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path / "upload_1.ser")  # the name never decides the format
    info = probe(path)
    micrograph = read_micrograph(path)
    assert info.format == fmt
    np.testing.assert_array_equal(micrograph.data, IMAGE)  # HAADF when there is a choice
    assert micrograph.calibration.pixel_size_A == pytest.approx(0.1, rel=1e-6)
    assert micrograph.calibration.source.startswith("file:")


def test_it_reduces_a_velox_stack(tmp_path: Path) -> None:
    frames = np.stack([lattice_image((32, 40), seed=s) for s in range(3)])
    path = write_velox_emd(tmp_path / "s.emd", {"HAADF": frames}, pixel_size_m=1e-11)
    assert probe(path).signals[0].shape == (3, 32, 40)
    np.testing.assert_allclose(
        read_micrograph(path, stack="sum").data, frames.mean(axis=0), rtol=1e-6, atol=1e-6
    )
