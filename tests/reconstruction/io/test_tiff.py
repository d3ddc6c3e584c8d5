"""TIFF: every grey dtype round-trips, and each calibration source is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from reconstruction.io import probe, read_micrograph
from reconstruction.io.formats import tiff
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.tiff import write_tiff, write_tiff_pages


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [
        ("uint8", "imagej"),
        ("uint16", "imagej"),
        ("float32", "imagej"),
        ("int16", "none"),
        ("int32", "none"),
        ("float64", "ome"),
    ],
)
def test_it_round_trips_pixel_values(tmp_path: Path, dtype: str, kind: str) -> None:
    data = lattice_image((48, 40), seed=3, dtype=dtype)
    path = write_tiff(tmp_path / "a.tif", data, kind=kind)  # type: ignore[arg-type]
    info = probe(path)
    micrograph = read_micrograph(path)
    assert info.signals[0].dtype == dtype
    assert info.signals[0].shape == (48, 40)
    assert micrograph.data.dtype == np.float32
    np.testing.assert_array_equal(micrograph.data, data.astype(np.float32))


@pytest.mark.parametrize(
    ("kind", "unit", "source"),
    [
        ("imagej", "angstrom", "file:tiff.imagej.XResolution"),
        ("imagej", "nm", "file:tiff.imagej.XResolution"),
        ("imagej", "µm", "file:tiff.imagej.XResolution"),
        ("ome", "µm", "file:tiff.ome.PhysicalSizeX"),
        ("ome", "nm", "file:tiff.ome.PhysicalSizeX"),
        ("ome", "angstrom", "file:tiff.ome.PhysicalSizeX"),
        ("fei", "m", "file:tiff.fei.Scan.PixelWidth"),
        ("resolution", "cm", "file:tiff.XResolution"),
    ],
)
def test_it_reads_the_pixel_size(tmp_path: Path, kind: str, unit: str, source: str) -> None:
    path = write_tiff(
        tmp_path / "a.tif", lattice_image((32, 32)), pixel_size_A=0.0731, unit=unit, kind=kind
    )  # type: ignore[arg-type]
    calibration = probe(path).signals[0].calibration
    assert calibration.source == source
    assert calibration.pixel_size_A == pytest.approx(0.0731, rel=1e-6)


@pytest.mark.parametrize("px", [0.0123456789, 0.05, 0.1, 0.31415926, 0.9])
def test_it_round_trips_the_benchmark_float32_tiff_exactly(tmp_path: Path, px: float) -> None:
    data = lattice_image((40, 56), seed=4)
    path = tmp_path / "bench.tif"
    tifffile.imwrite(
        path, data, imagej=True, resolution=(1 / px, 1 / px), metadata={"unit": "angstrom"}
    )
    micrograph = read_micrograph(path)
    assert micrograph.calibration.pixel_size_A == pytest.approx(px, rel=1e-6)
    assert micrograph.calibration.source == "file:tiff.imagej.XResolution"
    np.testing.assert_array_equal(micrograph.data, data)


def test_it_leaves_a_tiff_without_metadata_uncalibrated(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "a.tif", lattice_image((32, 32)), kind="none")
    calibration = probe(path).signals[0].calibration
    assert not calibration.is_calibrated
    assert calibration.source is None
    assert calibration.note


def test_it_treats_a_print_resolution_as_uncalibrated(tmp_path: Path) -> None:
    path = tmp_path / "dpi.tif"
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8), resolution=(300, 300), resolutionunit=2)
    calibration = probe(path).signals[0].calibration
    assert not calibration.is_calibrated
    assert "print resolution" in calibration.note


def test_it_ignores_an_imagej_file_without_unit(tmp_path: Path) -> None:
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, np.zeros((16, 16), np.float32), imagej=True, resolution=(10, 10))
    assert not probe(path).signals[0].calibration.is_calibrated


def test_it_reads_imagej_micron_escape(tmp_path: Path) -> None:
    path = tmp_path / "a.tif"
    metadata = {"unit": "\\u00B5m"}  # how ImageJ writes µm
    tifffile.imwrite(path, np.zeros((8, 8), np.float32), imagej=True, resolution=(2e4, 2e4),
                     metadata=metadata)  # fmt: skip
    assert probe(path).signals[0].calibration.pixel_size_A == pytest.approx(0.5)


def test_it_converts_rgb_to_luminance_and_says_so(tmp_path: Path) -> None:
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 100, 200, 50
    path = write_tiff(tmp_path / "rgb.tif", rgb, kind="none")
    micrograph = read_micrograph(path)
    assert micrograph.shape == (8, 8)
    np.testing.assert_allclose(micrograph.data, 0.299 * 100 + 0.587 * 200 + 0.114 * 50, rtol=1e-6)
    assert "luminance" in micrograph.metadata["tiff"]["colour"]


def test_it_reads_a_multipage_tiff_as_a_stack(tmp_path: Path) -> None:
    frames = [lattice_image((24, 24), seed=s, dtype=np.uint16) for s in range(3)]
    path = write_tiff_pages(tmp_path / "pages.tif", frames)
    info = probe(path)
    assert [s.shape for s in info.signals] == [(3, 24, 24)]
    last = read_micrograph(path, stack="frame:2")
    np.testing.assert_array_equal(last.data, frames[2])


def test_it_reads_a_contiguous_stack(tmp_path: Path) -> None:
    stack = np.stack([lattice_image((24, 24), seed=s) for s in range(4)])
    path = write_tiff(tmp_path / "s.tif", stack, pixel_size_A=0.2, kind="imagej")
    info = probe(path)
    assert info.signals[0].shape == (4, 24, 24)
    assert info.signals[0].calibration.pixel_size_A == pytest.approx(0.2)
    mean = read_micrograph(path, stack="sum")
    np.testing.assert_allclose(mean.data, stack.mean(axis=0), rtol=1e-6, atol=1e-6)


def test_it_lists_pages_of_different_shapes_as_separate_signals(tmp_path: Path) -> None:
    path = tmp_path / "two.tif"
    with tifffile.TiffWriter(path) as w:
        w.write(np.zeros((32, 32), np.uint16), photometric="minisblack")
        w.write(np.ones((8, 8), np.uint16), photometric="minisblack")
    info = probe(path)
    assert [s.shape for s in info.signals] == [(32, 32), (8, 8)]
    assert info.default_signal == 0
    np.testing.assert_array_equal(read_micrograph(path, signal=1).data, np.ones((8, 8)))


def test_it_decodes_compressed_tiff(tmp_path: Path) -> None:
    data = lattice_image((40, 40), dtype=np.uint16)
    path = write_tiff(tmp_path / "z.tif", data, kind="none", compression="zlib")
    np.testing.assert_array_equal(read_micrograph(path).data, data)


def test_it_describes_without_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_tiff(tmp_path / "a.tif", lattice_image((32, 48)), kind="none")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", refuse)
    monkeypatch.setattr(tifffile.TiffPage, "asarray", refuse)
    signals, metadata = tiff.signals(path)
    assert signals[0].shape == (32, 48)
    assert metadata["tiff"]["pages"] == 1
