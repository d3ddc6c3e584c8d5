"""PNG and JPEG: 8- and 16-bit grey, colour to luminance, never calibrated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reconstruction.io import TooManyPixels, probe, read_micrograph
from reconstruction.io.formats.pillow import NO_PIXEL_SIZE_NOTE
from tests.fixtures.images import lattice_image
from tests.fixtures.writers.png import write_jpeg, write_png, write_png_claiming


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_it_round_trips_grey_png(tmp_path: Path, dtype: str) -> None:
    data = lattice_image((40, 56), seed=2, dtype=dtype)
    path = write_png(tmp_path / "a.png", data)
    info = probe(path)
    micrograph = read_micrograph(path)
    assert info.format == "png"
    assert info.signals[0].dtype == dtype
    assert micrograph.shape == (40, 56)
    np.testing.assert_array_equal(micrograph.data, data.astype(np.float32))


def test_it_keeps_the_full_16_bit_range(tmp_path: Path) -> None:
    data = np.array([[0, 1, 255, 256], [4095, 32768, 65534, 65535]], dtype=np.uint16)
    path = write_png(tmp_path / "a.png", data)
    np.testing.assert_array_equal(read_micrograph(path).data, data)


def test_it_converts_colour_png_to_luminance(tmp_path: Path) -> None:
    rgb = np.zeros((6, 9, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 10, 200, 30
    micrograph = read_micrograph(write_png(tmp_path / "rgb.png", rgb))
    np.testing.assert_allclose(micrograph.data, 0.299 * 10 + 0.587 * 200 + 0.114 * 30, rtol=1e-6)
    assert "luminance" in micrograph.metadata["png"]["colour"]


def test_it_reads_jpeg_close_to_the_original(tmp_path: Path) -> None:
    data = lattice_image((64, 64), seed=5, dtype=np.uint8)
    micrograph = read_micrograph(write_jpeg(tmp_path / "a.jpg", data, quality=95))
    assert micrograph.info.format == "jpeg"
    error = np.abs(micrograph.data - data.astype(np.float32)).mean()
    assert error < 3.0  # grey levels, of a 0-255 range


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_it_leaves_png_and_jpeg_uncalibrated(tmp_path: Path, suffix: str) -> None:
    data = lattice_image((16, 16), dtype=np.uint8)
    path = (write_png if suffix == "png" else write_jpeg)(tmp_path / f"a.{suffix}", data)
    micrograph = read_micrograph(path)
    assert not micrograph.calibration.is_calibrated
    assert micrograph.calibration.note == NO_PIXEL_SIZE_NOTE


def test_it_applies_our_pixel_limit_not_pillows(tmp_path: Path) -> None:
    # 15,000 × 15,000 = 225 M pixels: Pillow's open() refuses it as a decompression bomb,
    # our default limit (100 M) refuses it too, and a larger limit of ours lets it through.
    path = write_png_claiming(tmp_path / "big.png", 15_000, 15_000)
    limit_before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    with pytest.raises(TooManyPixels):
        probe(path)
    info = probe(path, max_pixels=300_000_000)
    assert info.signals[0].shape == (15_000, 15_000)
    assert limit_before == Image.MAX_IMAGE_PIXELS
