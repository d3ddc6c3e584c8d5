"""read_micrograph and probe: signal choice, stacks, calibration override, decoder errors."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from reconstruction.io import (
    Calibration,
    CorruptFile,
    InvalidCalibration,
    SignalInfo,
    StackChoiceRequired,
    UnknownSignal,
    probe,
    read_micrograph,
)
from reconstruction.io import read as read_module
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.npy import write_npy
from tests.fixtures.writers.tiff import write_tiff

UNCALIBRATED = Calibration(None, None, note="test")


def _fake_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signals: list[tuple[str, tuple[int, ...]]]
) -> Path:
    """An .npy on disk whose reader is replaced: it claims ``signals`` and returns ramps."""
    infos = [
        SignalInfo(i, name, shape, "float32", Calibration(0.05 * (i + 1), "file:fake"))
        for i, (name, shape) in enumerate(signals)
    ]

    def describe(path: Path) -> tuple[list[SignalInfo], dict]:
        return infos, {"fake": True}

    def load(path: Path, index: int) -> np.ndarray:
        shape = infos[index].shape
        return np.arange(np.prod(shape), dtype=np.float32).reshape(shape) + 1000 * index

    monkeypatch.setattr(read_module, "_reader", lambda fmt: (describe, load))
    return write_npy(tmp_path / "fake.npy", np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["DF4-A", "BF", "HAADF"], 2),
        (["DF4-A", "iDPC", "haadf-2"], 2),
        (["DF4-A", "dDPC", "iDPC"], 2),
        (["DF4-A", "DPC integrated", "BF"], 1),
        (["BF", "DF4-A"], 0),
    ],
)
def test_it_picks_haadf_then_idpc_then_the_first_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str], expected: int
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [(n, (8, 8)) for n in names])
    assert probe(path).default_signal == expected
    assert read_micrograph(path).signal == expected


def test_it_skips_signals_that_are_not_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fake_file(
        tmp_path, monkeypatch, [("EDS", (2048,)), ("4D", (4, 4, 8, 8)), ("BF", (8, 8))]
    )
    assert probe(path).default_signal == 2


def test_it_selects_a_signal_by_index_or_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (4, 4)), ("iDPC", (4, 4))])
    by_index = read_micrograph(path, signal=1)
    by_name = read_micrograph(path, signal="idpc")
    by_text = read_micrograph(path, signal="1")
    assert by_index.signal == by_name.signal == by_text.signal == 1
    assert by_name.data[0, 0] == 1000
    assert by_name.calibration.pixel_size_A == pytest.approx(0.1)


@pytest.mark.parametrize("signal", [5, "DF2", -1, True])
def test_it_lists_the_signals_when_asked_for_an_unknown_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signal: int | str
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (4, 4)), ("iDPC", (4, 4))])
    with pytest.raises(UnknownSignal) as caught:
        read_micrograph(path, signal=signal)
    assert "'HAADF'" in str(caught.value)
    assert "'iDPC'" in str(caught.value)


def test_it_requires_a_choice_for_a_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (6, 4, 4))])
    with pytest.raises(StackChoiceRequired) as caught:
        read_micrograph(path)
    assert "this signal is a stack of 6 frames; choose sum, align or frame:<i>" in str(caught.value)
    micrograph = read_micrograph(path, stack="frame:5")
    assert micrograph.stack == "frame:5"
    assert micrograph.shape == (4, 4)
    assert read_micrograph(path, stack="SUM").stack == "sum"


def test_it_reads_a_one_frame_stack_without_a_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (1, 4, 5))])
    micrograph = read_micrograph(path)
    assert micrograph.shape == (4, 5)
    assert micrograph.stack is None


def test_it_lets_the_user_pixel_size_override_the_file(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "a.tif", lattice_image((16, 16)), pixel_size_A=0.2)
    micrograph = read_micrograph(path, pixel_size_A=0.0815)
    assert micrograph.calibration == Calibration(0.0815, "user")
    assert micrograph.info.signals[0].calibration.pixel_size_A == pytest.approx(0.2)


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "abc"])
def test_it_refuses_an_unusable_user_pixel_size(tmp_path: Path, bad: object) -> None:
    path = write_tiff(tmp_path / "a.tif", lattice_image((16, 16)))
    with pytest.raises(InvalidCalibration):
        read_micrograph(path, pixel_size_A=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("pixel_size_A", "warns"), [(0.005, True), (2.0, True), (0.1, False)])
def test_it_warns_about_implausible_file_pixel_sizes_and_refuses_entered_ones(
    tmp_path: Path, pixel_size_A: float, warns: bool
) -> None:
    path = write_tiff(tmp_path / "a.tif", lattice_image((16, 16)), pixel_size_A=pixel_size_A)
    micrograph = read_micrograph(path)
    assert micrograph.calibration.pixel_size_A == pytest.approx(pixel_size_A)
    assert bool(micrograph.warnings) is warns  # a file's value is flagged...
    if warns:  # ...one a person enters is refused (issue 15: "as in the form")
        with pytest.raises(InvalidCalibration, match=r"outside 0\.02–1 Å/px"):
            read_micrograph(path, pixel_size_A=pixel_size_A)
    else:
        assert not read_micrograph(path, pixel_size_A=pixel_size_A).warnings


def test_it_returns_float32_and_json_safe_description(tmp_path: Path) -> None:
    data = lattice_image((20, 24), dtype=np.uint16)
    micrograph = read_micrograph(write_tiff(tmp_path / "a.tif", data, pixel_size_A=0.1))
    assert micrograph.data.dtype == np.float32
    assert micrograph.data.flags.c_contiguous
    text = json.dumps(micrograph.describe(), allow_nan=False)
    assert json.loads(text)["info"]["format"] == "tiff"


def test_it_refuses_nan_pixels(tmp_path: Path) -> None:
    data = lattice_image((16, 16))
    data[3, 4] = np.nan
    data[5, 6] = np.inf
    with pytest.raises(CorruptFile, match="2 of 256 pixels are NaN or infinite"):
        read_micrograph(write_tiff(tmp_path / "a.tif", data))


def test_it_refuses_values_beyond_float32(tmp_path: Path) -> None:
    data = np.full((8, 8), 1e300)
    with pytest.raises(CorruptFile, match="exceed the float32 range"):
        read_micrograph(write_npy(tmp_path / "a.npy", data))


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        OSError("read error"),
        EOFError("end of file"),
        KeyError("tag"),
        struct.error("unpack requires a buffer"),
        zlib.error("invalid stored block lengths"),
        MemoryError(),
    ],
)
def test_it_turns_decoder_errors_into_corrupt_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (4, 4))])
    describe, _ = read_module._reader("npy")

    def broken(path: Path, index: int) -> np.ndarray:
        raise error

    monkeypatch.setattr(read_module, "_reader", lambda fmt: (describe, broken))
    with pytest.raises(CorruptFile, match="could not be decoded") as caught:
        read_micrograph(path)
    assert caught.value.__cause__ is error


def test_it_refuses_pixels_of_another_shape_than_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fake_file(tmp_path, monkeypatch, [("HAADF", (4, 4))])
    describe, _ = read_module._reader("npy")
    monkeypatch.setattr(
        read_module, "_reader", lambda fmt: (describe, lambda p, i: np.zeros((4, 5)))
    )
    with pytest.raises(CorruptFile, match="header says"):
        read_micrograph(path)
