"""Velox EMD and Berkeley EMD files: listing, pixels, calibration, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rsciio.emd import file_reader

from reconstruction.io.errors import CorruptFile, NotTwoDimensional, UnknownSignal
from reconstruction.io.formats import emd
from tests.fixtures.writers.emd import write_berkeley_emd, write_velox_emd


def _velox_signals(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "HAADF": rng.integers(0, 60_000, (12, 16)).astype(np.uint16),
        "iDPC": rng.normal(size=(12, 16)).astype(np.float32),
        "DF4-A": rng.integers(-500, 500, (12, 16)).astype(np.int32),
    }


def _truncate_half(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def test_it_lists_each_velox_detector_by_name(tmp_path: Path) -> None:
    written = _velox_signals()
    path = write_velox_emd(tmp_path / "multi.emd", written)

    infos, _ = emd.velox_signals(path)

    assert sorted(s.name for s in infos) == ["DF4-A", "HAADF", "iDPC"]
    assert [s.index for s in infos] == [0, 1, 2]
    for info in infos:
        assert info.shape == (12, 16)
        assert info.dtype == written[info.name].dtype.name


def test_it_loads_each_velox_signal(tmp_path: Path) -> None:
    written = _velox_signals()
    path = write_velox_emd(tmp_path / "multi.emd", written)

    infos, _ = emd.velox_signals(path)

    for info in infos:
        loaded = emd.velox_load(path, info.index)
        assert loaded.dtype == written[info.name].dtype
        np.testing.assert_array_equal(loaded, written[info.name])


def test_it_reads_the_velox_pixel_size_in_angstrom(tmp_path: Path) -> None:
    path = write_velox_emd(tmp_path / "a.emd", _velox_signals(), pixel_size_m=1.6e-11)

    infos, _ = emd.velox_signals(path)

    for info in infos:
        assert info.calibration.pixel_size_A == pytest.approx(0.16)
        assert info.calibration.source == "file:velox.BinaryResult.PixelSize"


def test_it_reads_a_velox_stack_frames_first(tmp_path: Path) -> None:
    frames = np.random.default_rng(1).random((5, 12, 16)).astype(np.float32)
    path = write_velox_emd(tmp_path / "stack.emd", {"HAADF": frames})

    (info,), _ = emd.velox_signals(path)

    assert info.shape == (5, 12, 16)
    assert info.is_stack
    np.testing.assert_array_equal(emd.velox_load(path, 0), frames)


def test_it_leaves_velox_spectra_out_of_the_list(tmp_path: Path) -> None:
    spectrum = {"EDS": np.arange(512, dtype=np.uint32)}
    path = write_velox_emd(tmp_path / "a.emd", _velox_signals(), spectra=spectrum)

    infos, _ = emd.velox_signals(path)

    assert sorted(s.name for s in infos) == ["DF4-A", "HAADF", "iDPC"]


def test_it_refuses_a_velox_file_with_only_a_spectrum(tmp_path: Path) -> None:
    spectrum = {"EDS": np.arange(512, dtype=np.uint32)}
    path = write_velox_emd(tmp_path / "eds.emd", {}, spectra=spectrum)

    with pytest.raises(NotTwoDimensional, match="spectrum"):
        emd.velox_signals(path)


def test_it_writes_velox_files_rosettasciio_reads(tmp_path: Path) -> None:
    written = _velox_signals()
    path = write_velox_emd(tmp_path / "multi.emd", written)

    read = {s["metadata"]["General"]["title"]: s for s in file_reader(str(path))}

    assert sorted(read) == ["DF4-A", "HAADF", "iDPC"]
    for name, signal in read.items():
        np.testing.assert_array_equal(signal["data"], written[name])
        assert signal["axes"][-1]["scale"] == pytest.approx(10.0)  # 10 pm
        assert signal["axes"][-1]["units"] == "pm"


@pytest.mark.parametrize("x_first", [True, False], ids=["rsciio-layout", "c-order"])
@pytest.mark.parametrize("shape", [(12, 16), (3, 12, 16)])
def test_it_round_trips_berkeley_data(
    tmp_path: Path, x_first: bool, shape: tuple[int, ...]
) -> None:
    data = np.random.default_rng(2).integers(0, 1000, shape).astype(np.int16)
    path = write_berkeley_emd(tmp_path / "b.emd", data, x_first=x_first)

    (info,), _ = emd.berkeley_signals(path)

    assert (info.name, info.shape, info.dtype) == ("HAADF", shape, "int16")
    assert info.calibration.pixel_size_A == pytest.approx(0.1)
    assert info.calibration.source.startswith("file:emd.dim")
    np.testing.assert_array_equal(emd.berkeley_load(path, 0), data)


def test_it_reads_a_berkeley_file_as_rosettasciio_does(tmp_path: Path) -> None:
    data = np.random.default_rng(3).random((12, 16)).astype(np.float32)
    path = write_berkeley_emd(tmp_path / "b.emd", data, pixel_size=0.25, unit="Å")

    (signal,) = file_reader(str(path))
    (info,), _ = emd.berkeley_signals(path)

    np.testing.assert_array_equal(emd.berkeley_load(path, 0), signal["data"])
    assert info.calibration.pixel_size_A == pytest.approx(0.25)


def test_it_leaves_a_berkeley_diffraction_pattern_uncalibrated(tmp_path: Path) -> None:
    data = np.ones((12, 16), dtype=np.float32)
    path = write_berkeley_emd(tmp_path / "b.emd", data, pixel_size=0.02, unit="1/nm")

    (info,), _ = emd.berkeley_signals(path)

    assert info.calibration.pixel_size_A is None
    assert "not a length" in info.calibration.note


@pytest.mark.parametrize("kind", ["velox", "berkeley"])
def test_it_reports_a_file_cut_in_half_as_corrupt(tmp_path: Path, kind: str) -> None:
    if kind == "velox":
        path = write_velox_emd(tmp_path / "a.emd", _velox_signals())
        signals, load = emd.velox_signals, emd.velox_load
    else:
        path = write_berkeley_emd(tmp_path / "a.emd", np.zeros((64, 64), np.float32))
        signals, load = emd.berkeley_signals, emd.berkeley_load
    _truncate_half(path)

    with pytest.raises(CorruptFile, match=r"a\.emd"):
        signals(path)
    with pytest.raises(CorruptFile):
        load(path, 0)


def test_it_refuses_an_unknown_index(tmp_path: Path) -> None:
    path = write_velox_emd(tmp_path / "a.emd", _velox_signals())

    with pytest.raises(UnknownSignal, match="HAADF"):
        emd.velox_load(path, 3)


def test_it_returns_json_safe_metadata(tmp_path: Path) -> None:
    velox = write_velox_emd(tmp_path / "v.emd", _velox_signals())
    berkeley = write_berkeley_emd(tmp_path / "b.emd", np.zeros((4, 4), np.uint8))

    for _, metadata in (emd.velox_signals(velox), emd.berkeley_signals(berkeley)):
        assert json.loads(json.dumps(metadata)) == metadata
        assert len(json.dumps(metadata)) < 100_000
    assert emd.velox_signals(velox)[1]["velox_version"]["format"] == "Velox"
