"""PNG thumbnails and previews: 8-bit, aspect kept, robust stretch."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from reconstruction.io import stretch_to_unit, thumbnail_png, to_png_preview
from tests.fixtures.images import lattice_image


def _decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize(
    ("shape", "size", "expected"),
    [((300, 600), 256, (256, 128)), ((600, 300), 256, (128, 256)), ((40, 50), 256, (50, 40))],
)
def test_it_keeps_the_aspect_ratio(shape: tuple[int, int], size: int, expected: tuple) -> None:
    image = _decode(thumbnail_png(lattice_image(shape), size=size))
    assert image.mode == "L"
    assert image.size == expected  # (width, height)


def test_it_stretches_past_a_few_hot_pixels() -> None:
    data = lattice_image((128, 128), seed=8)
    data[0, :5] = 1e6  # hot pixels must not turn the image black
    pixels = np.asarray(_decode(thumbnail_png(data, size=128)))
    assert pixels.min() == 0
    assert pixels.max() == 255
    assert 60 < pixels.mean() < 200


def test_it_draws_constant_and_non_finite_images() -> None:
    flat = np.asarray(_decode(thumbnail_png(np.full((10, 10), 3.0))))
    assert np.unique(flat).size == 1
    data = lattice_image((32, 32))
    data[:4] = np.nan
    pixels = np.asarray(_decode(thumbnail_png(data)))
    assert (pixels[:4] == 0).all()
    assert np.isnan(stretch_to_unit(data)).sum() == 0


def test_it_makes_larger_previews() -> None:
    data = np.random.default_rng(0).normal(size=(2048, 1024))
    image = _decode(to_png_preview(data, max_side=1024))
    assert image.size == (512, 1024)


def test_it_refuses_a_stack() -> None:
    with pytest.raises(ValueError, match="2D image"):
        thumbnail_png(np.zeros((2, 8, 8)))
