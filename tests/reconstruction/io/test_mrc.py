"""MRC: voxel size is the calibration; 0 and 1.0 mean unset; nz > 1 is a stack."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import StackChoiceRequired, probe, read_micrograph
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.mrc import write_mrc


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "float32"])
def test_it_round_trips_values(tmp_path: Path, dtype: str) -> None:
    data = lattice_image((24, 40), seed=7, dtype=dtype)
    micrograph = read_micrograph(write_mrc(tmp_path / "a.mrc", data))
    assert micrograph.info.format == "mrc"
    np.testing.assert_array_equal(micrograph.data, data.astype(np.float32))


def test_it_reads_the_voxel_size(tmp_path: Path) -> None:
    path = write_mrc(tmp_path / "a.mrc", lattice_image((16, 16)), voxel_size_A=0.0625)
    calibration = probe(path).signals[0].calibration
    assert calibration.source == "file:mrc.voxel_size"
    assert calibration.pixel_size_A == pytest.approx(0.0625, rel=1e-6)


@pytest.mark.parametrize(("voxel", "note"), [(None, "not set"), (1.0, "placeholder")])
def test_it_treats_unset_voxel_size_as_uncalibrated(
    tmp_path: Path, voxel: float | None, note: str
) -> None:
    path = write_mrc(tmp_path / "a.mrc", lattice_image((16, 16)), voxel_size_A=voxel)
    calibration = probe(path).signals[0].calibration
    assert not calibration.is_calibrated
    assert note in calibration.note


def test_it_reads_a_stack_of_frames(tmp_path: Path) -> None:
    stack = np.stack([lattice_image((16, 20), seed=s) for s in range(5)])
    path = write_mrc(tmp_path / "s.mrc", stack, voxel_size_A=0.1)
    info = probe(path)
    assert info.signals[0].shape == (5, 16, 20)
    with pytest.raises(StackChoiceRequired, match="stack of 5 frames"):
        read_micrograph(path)
    np.testing.assert_array_equal(read_micrograph(path, stack="frame:4").data, stack[4])
