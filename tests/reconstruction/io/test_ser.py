"""FEI TIA .ser files (with and without .emi): pixels, calibration, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rsciio.tia import file_reader

from reconstruction.io.errors import CorruptFile, NotTwoDimensional, UnknownSignal
from reconstruction.io.formats import ser
from tests.fixtures.writers.ser import write_emi, write_ser

DTYPES = ["uint8", "int16", "uint16", "int32", "float32"]


def _image(dtype: str, shape: tuple[int, ...] = (6, 9), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(shape) * 200).astype(dtype)


@pytest.mark.parametrize("version", [0x0210, 0x0220])
@pytest.mark.parametrize("dtype", DTYPES)
def test_it_round_trips_pixels(tmp_path: Path, version: int, dtype: str) -> None:
    data = _image(dtype)
    path = write_ser(tmp_path / "a_1.ser", data, version=version)

    (info,), _ = ser.signals(path)
    loaded = ser.load(path, 0)

    assert (info.shape, info.dtype) == ((6, 9), dtype)
    assert loaded.dtype == data.dtype
    np.testing.assert_array_equal(loaded, data)


def test_it_keeps_row_zero_at_the_top(tmp_path: Path) -> None:
    data = np.zeros((6, 9), dtype=np.uint16)
    data[0] = 1000  # TIA stores the bottom row first; the reader must turn it back
    path = write_ser(tmp_path / "a_1.ser", data)

    assert ser.load(path, 0)[0].tolist() == [1000] * 9


def test_it_writes_files_rosettasciio_reads(tmp_path: Path) -> None:
    data = _image("float32", (3, 6, 9))
    path = write_ser(tmp_path / "a_1.ser", data, pixel_size_m=2e-11)

    (signal,) = file_reader(str(path))

    np.testing.assert_array_equal(signal["data"], data)
    assert signal["axes"][-1]["scale"] == pytest.approx(0.02)
    assert signal["axes"][-1]["units"] == "nm"


def test_it_reads_the_calibration_without_an_emi(tmp_path: Path) -> None:
    path = write_ser(tmp_path / "a_1.ser", _image("uint16"), pixel_size_m=1e-11)

    (info,), metadata = ser.signals(path)

    assert info.calibration.pixel_size_A == pytest.approx(0.1)
    assert info.calibration.source == "file:ser.CalibrationDeltaX"
    assert (metadata["emi"], metadata["units_from"]) == (None, "assumed")


def test_it_reads_a_series_as_a_stack(tmp_path: Path) -> None:
    data = _image("int16", (4, 6, 9))
    path = write_ser(tmp_path / "series_1.ser", data)

    (info,), _ = ser.signals(path)

    assert info.shape == (4, 6, 9)
    assert info.is_stack
    np.testing.assert_array_equal(ser.load(path, 0), data)


def test_it_reads_the_emi_beside_it(tmp_path: Path) -> None:
    path = write_ser(tmp_path / "scan_1.ser", _image("uint16"))
    write_emi(tmp_path / "scan.emi", mode="STEM nP SA Zoom Diffraction")

    (info,), metadata = ser.signals(path)

    assert info.calibration.pixel_size_A == pytest.approx(0.1)
    assert metadata["units_from"] == "emi"
    assert metadata["emi"]["ExperimentalDescription"]["Mode"] == "STEM nP SA Zoom Diffraction"


@pytest.mark.parametrize(
    ("mode", "camera"),
    [("TEM uP SA Zoom Diffraction", False), ("STEM nP SA Zoom Diffraction", True)],
    ids=["tem-diffraction", "stem-camera"],
)
def test_it_leaves_a_diffraction_pattern_uncalibrated(
    tmp_path: Path, mode: str, camera: bool
) -> None:
    path = write_ser(tmp_path / "dp_1.ser", _image("uint16"), pixel_size_m=1e7)
    write_emi(tmp_path / "dp.emi", mode=mode, camera=camera)

    (info,), metadata = ser.signals(path)

    assert info.calibration.pixel_size_A is None
    assert metadata["units"] == "1/m"


def test_it_refuses_a_series_of_spectra(tmp_path: Path) -> None:
    spectra = np.arange(300, dtype=np.uint32).reshape(3, 100)
    path = write_ser(tmp_path / "eds_1.ser", spectra, spectra=True, pixel_size_m=5.0)

    with pytest.raises(NotTwoDimensional, match="spectra"):
        ser.signals(path)


@pytest.mark.parametrize("keep", ["half", "header"])
def test_it_reports_a_truncated_file_as_corrupt(tmp_path: Path, keep: str) -> None:
    path = write_ser(tmp_path / "a_1.ser", _image("uint16", (3, 32, 32)))
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2] if keep == "half" else content[:20])

    with pytest.raises(CorruptFile, match=r"a_1\.ser"):
        ser.signals(path)
    with pytest.raises(CorruptFile):
        ser.load(path, 0)


def test_it_refuses_an_unknown_index(tmp_path: Path) -> None:
    path = write_ser(tmp_path / "a_1.ser", _image("uint8"))

    with pytest.raises(UnknownSignal):
        ser.load(path, 1)


def test_it_returns_json_safe_metadata(tmp_path: Path) -> None:
    path = write_ser(tmp_path / "a_1.ser", _image("uint8"))
    write_emi(tmp_path / "a.emi")

    _, metadata = ser.signals(path)

    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata["ser_header"]["SeriesVersion"] == 0x0220
