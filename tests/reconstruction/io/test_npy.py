"""NumPy .npy: values and shapes round-trip; nothing is ever unpickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import UnsupportedFormat, probe, read_micrograph
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.npy import write_npy


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint16", "int32", "float32", "float64"])
def test_it_round_trips_values(tmp_path: Path, dtype: str) -> None:
    data = lattice_image((20, 30), seed=6, dtype=dtype)
    micrograph = read_micrograph(write_npy(tmp_path / "a.npy", data))
    assert micrograph.info.signals[0].dtype == dtype
    np.testing.assert_array_equal(micrograph.data, data.astype(np.float32))
    assert not micrograph.calibration.is_calibrated


def test_it_reads_fortran_order_and_big_endian(tmp_path: Path) -> None:
    data = np.asfortranarray(np.arange(12, dtype=">i4").reshape(3, 4))
    micrograph = read_micrograph(write_npy(tmp_path / "f.npy", data))
    np.testing.assert_array_equal(micrograph.data, np.arange(12).reshape(3, 4))


def test_it_drops_leading_axes_of_length_one(tmp_path: Path) -> None:
    data = lattice_image((10, 12))[None, None]
    path = write_npy(tmp_path / "a.npy", data)
    assert probe(path).signals[0].shape == (10, 12)
    assert read_micrograph(path).shape == (10, 12)


def test_it_reads_a_3d_array_as_a_stack(tmp_path: Path) -> None:
    stack = np.stack([lattice_image((10, 12), seed=s) for s in range(3)])
    path = write_npy(tmp_path / "a.npy", stack)
    assert probe(path).signals[0].is_stack
    np.testing.assert_array_equal(read_micrograph(path, stack="frame:1").data, stack[1])


class _Bomb:
    """Unpickling this would set a flag: proof that no pickle is ever loaded."""

    loaded = False

    def __reduce__(self) -> tuple:
        return (_Bomb._explode, ())

    @staticmethod
    def _explode() -> None:
        _Bomb.loaded = True


def test_it_refuses_object_arrays_without_unpickling(tmp_path: Path) -> None:
    data = np.empty((2, 2), dtype=object)
    data[:] = _Bomb()
    path = write_npy(tmp_path / "o.npy", data)
    with pytest.raises(UnsupportedFormat, match="not pixel values"):
        read_micrograph(path)
    assert not _Bomb.loaded
    np.load(path, allow_pickle=True)  # the file really would have run code when unpickled
    assert _Bomb.loaded
    _Bomb.loaded = False


@pytest.mark.parametrize("dtype", ["complex64", "U3"])
def test_it_refuses_non_real_values(tmp_path: Path, dtype: str) -> None:
    path = write_npy(tmp_path / "c.npy", np.zeros((4, 4), dtype=dtype))
    with pytest.raises(UnsupportedFormat):
        probe(path)
