"""Result objects round-trip through JSON; the pixel-size plausibility warning."""

from __future__ import annotations

import json

import pytest

from reconstruction.io import Calibration, FileInfo, SignalInfo


def _through_json(d: dict) -> dict:
    return json.loads(json.dumps(d, allow_nan=False))


@pytest.mark.parametrize(
    "calibration",
    [
        Calibration(0.0837, "file:tiff.imagej.XResolution"),
        Calibration(0.1, "user"),
        Calibration(None, None, note="scale 1.0 with no unit (mrc.voxel_size)"),
    ],
)
def test_it_round_trips_calibration(calibration: Calibration) -> None:
    assert Calibration.from_dict(_through_json(calibration.as_dict())) == calibration


def test_it_round_trips_signal_and_file_info() -> None:
    signals = (
        SignalInfo(0, "HAADF", (512, 512), "uint16", Calibration(0.05, "file:x")),
        SignalInfo(1, "iDPC", (10, 256, 256), "float32", Calibration(None, None, note="n")),
    )
    info = FileInfo("velox_emd", signals, default_signal=0)
    assert SignalInfo.from_dict(_through_json(signals[1].as_dict())) == signals[1]
    again = FileInfo.from_dict(_through_json(info.as_dict()))
    assert again == info
    assert again.signals[1].shape == (10, 256, 256)
    assert again.signals[1].is_stack
    assert again.signals[1].n_pixels == 256 * 256


@pytest.mark.parametrize(
    ("pixel_size_A", "warns"), [(0.005, True), (2.0, True), (0.1, False), (None, False)]
)
def test_it_warns_outside_the_plausible_range(pixel_size_A: float | None, warns: bool) -> None:
    source = None if pixel_size_A is None else "user"
    assert bool(Calibration(pixel_size_A, source).warning) is warns
