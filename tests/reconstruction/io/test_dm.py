"""Gatan DM3/DM4 files: listing, pixels, calibration, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rsciio.digitalmicrograph import file_reader

from reconstruction.io.errors import CorruptFile, NotTwoDimensional, UnknownSignal
from reconstruction.io.formats import dm
from tests.fixtures.writers.dm import write_dm

DTYPES = ["uint8", "int16", "uint16", "int32", "float32"]


def _image(dtype: str, shape: tuple[int, ...] = (6, 9), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(shape) * 200).astype(dtype)


def _truncate(path: Path, keep: int) -> Path:
    path.write_bytes(path.read_bytes()[:keep])
    return path


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
def test_it_round_trips_pixels(tmp_path: Path, version: int, dtype: str) -> None:
    data = _image(dtype)
    path = write_dm(tmp_path / f"a.dm{version}", data, version=version)

    infos, _ = dm.signals(path)
    loaded = dm.load(path, 0)

    assert [(s.shape, s.dtype) for s in infos] == [((6, 9), dtype)]
    assert loaded.dtype == data.dtype
    np.testing.assert_array_equal(loaded, data)


@pytest.mark.parametrize("version", [3, 4])
def test_it_writes_files_rosettasciio_reads(tmp_path: Path, version: int) -> None:
    data = _image("uint16", (3, 5, 7))
    path = write_dm(tmp_path / f"a.dm{version}", data, pixel_size=0.02, version=version)

    (signal,) = file_reader(str(path))

    np.testing.assert_array_equal(signal["data"], data)
    assert signal["metadata"]["General"]["title"] == "HAADF"
    x_axis = signal["axes"][-1]
    assert (x_axis["size"], x_axis["units"]) == (7, "nm")
    assert x_axis["scale"] == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("pixel_size", "unit", "expected_A"), [(0.01, "nm", 0.1), (0.2, "Å", 0.2), (5e-5, "µm", 0.5)]
)
def test_it_reads_the_calibration_in_angstrom(
    tmp_path: Path, pixel_size: float, unit: str, expected_A: float
) -> None:
    path = write_dm(tmp_path / "a.dm3", _image("float32"), pixel_size=pixel_size, unit=unit)

    (info,), _ = dm.signals(path)

    assert info.calibration.pixel_size_A == pytest.approx(expected_A, rel=1e-6)
    assert info.calibration.source == "file:dm.ImageData.Calibrations.Dimension"


def test_it_leaves_dm_default_scale_uncalibrated(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm4", _image("int16"), pixel_size=1.0, unit="", version=4)

    (info,), _ = dm.signals(path)

    assert not info.calibration.is_calibrated
    assert "scale 1.0 with no unit" in info.calibration.note


def test_it_leaves_a_diffraction_pattern_uncalibrated(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm3", _image("float32"), pixel_size=0.05, unit="1/nm")

    (info,), _ = dm.signals(path)

    assert info.calibration.pixel_size_A is None
    assert "1/nm" in info.calibration.note


@pytest.mark.parametrize("version", [3, 4])
def test_it_reads_a_stack_frames_first(tmp_path: Path, version: int) -> None:
    data = _image("float32", (4, 6, 9))
    path = write_dm(tmp_path / f"s.dm{version}", data, version=version)

    (info,), _ = dm.signals(path)

    assert info.shape == (4, 6, 9)
    assert info.is_stack
    assert info.calibration.pixel_size_A == pytest.approx(0.1, rel=1e-6)
    np.testing.assert_array_equal(dm.load(path, 0), data)


def test_it_leaves_out_the_thumbnail_and_names_the_image(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm3", _image("uint8"), name="ADF 0423")

    infos, _ = dm.signals(path)

    assert [(s.index, s.name) for s in infos] == [(0, "ADF 0423")]


@pytest.mark.parametrize("shape", [(256,), (8, 6, 64)])
def test_it_refuses_spectra_and_spectrum_images(tmp_path: Path, shape: tuple[int, ...]) -> None:
    path = write_dm(tmp_path / "eels.dm4", _image("float32", shape), signal="EELS", version=4)

    with pytest.raises(NotTwoDimensional, match="EELS spectrum"):
        dm.signals(path)
    with pytest.raises(NotTwoDimensional):
        dm.load(path, 0)


@pytest.mark.parametrize("version", [3, 4])
def test_it_reports_a_file_cut_in_half_as_corrupt(tmp_path: Path, version: int) -> None:
    path = write_dm(tmp_path / f"a.dm{version}", _image("uint16", (32, 32)), version=version)
    _truncate(path, path.stat().st_size // 2)

    with pytest.raises(CorruptFile, match=rf"a\.dm{version}"):
        dm.signals(path)
    with pytest.raises(CorruptFile):
        dm.load(path, 0)


def test_it_reports_a_file_cut_in_its_trailing_tags_as_corrupt(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm3", _image("uint16", (32, 32)))
    _truncate(path, path.stat().st_size - 40)

    with pytest.raises(CorruptFile):
        dm.signals(path)


def test_it_refuses_an_unknown_index(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm3", _image("uint8"))

    with pytest.raises(UnknownSignal):
        dm.load(path, 1)


def test_it_returns_json_safe_metadata(tmp_path: Path) -> None:
    path = write_dm(tmp_path / "a.dm4", _image("uint8"), version=4)

    _, metadata = dm.signals(path)

    assert metadata["dm_version"] == 4
    assert json.loads(json.dumps(metadata)) == metadata
    assert len(json.dumps(metadata)) < 100_000
