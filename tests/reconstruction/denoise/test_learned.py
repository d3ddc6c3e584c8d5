"""The shipped mixture of experts: held-out images, shapes, pixel sizes, tiling, weights."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from reconstruction.denoise import DenoiseError, denoise
from reconstruction.denoise.infer import load_weights, prepare, run_tiled
from tests.reconstruction.denoise.conftest import psnr, simulated

pytest.importorskip("torch")

#: Evaluation structures of the shipped weights (never trained on; see MODEL_CARD.md).
HELD_OUT = ("2dlam-VSe2-1", "2dlam-MnSbO4-1")


@pytest.fixture(scope="module")
def nets():
    return load_weights(None, "cpu")


def test_held_out_structures_were_not_trained_on(nets):
    trained = set(nets["meta"]["train_structures"])
    assert trained and not trained & set(HELD_OUT)


@pytest.mark.parametrize("method", ["moe", "single"])
@pytest.mark.parametrize("mode", ["idpc", "haadf", "abf"])
def test_it_improves_psnr_on_held_out_images(method, mode, nets):
    pair = simulated(HELD_OUT[0], mode=mode, dose=2e4)
    result = denoise(pair.image, pixel_size_A=0.1, mode=mode, method=method)
    assert result.image.shape == pair.image.shape and result.image.dtype == np.float32
    assert psnr(result.image, pair.clean) > psnr(pair.image, pair.clean) + 2.0
    assert result.noise_after.sigma < result.noise_before.sigma
    assert result.expert in range(nets["config"].n_experts)
    if method == "single":
        assert result.expert == 0


@pytest.mark.parametrize(("pixel", "shape"), [(0.07, (150, 173)), (0.13, (97, 120))])
def test_it_keeps_shape_and_scale_at_other_pixel_sizes(pixel, shape):
    from reconstruction.data import monolayer
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(
        mode="haadf", dose_e_per_A2=2e4, pixel_size_A=pixel, shape_px=shape, rotation_deg=40
    )
    pair = simulate_fast(monolayer(HELD_OUT[1]), config)
    result = denoise(pair.image, pixel_size_A=pixel, mode="haadf")
    assert result.image.shape == shape
    # Same pixel size: the output lines up with the clean image (a scale error would not).
    assert psnr(result.image, pair.clean) > psnr(pair.image, pair.clean) + 2.0


def test_tiles_blend_without_seams(nets):
    pair = simulated(HELD_OUT[0], mode="idpc", dose=2e4, size=160)
    x, _, _ = prepare(pair.image, 0.1)
    net = nets["single"]
    whole = run_tiled(net, x, scale=2, device="cpu", tile=4096)
    tiled = run_tiled(net, x, scale=2, device="cpu", tile=40, overlap=16)
    diff = np.abs(tiled - whole)
    assert diff.mean() < 0.02 * whole.std()
    # No seam: the largest deviation is small next to the image's contrast.
    assert diff.max() < 0.15 * whole.std()


def test_odd_and_small_images_work():
    pair = simulated(HELD_OUT[0], mode="idpc", dose=2e4, size=64)
    for image in (pair.image[:17, :33], pair.image[:63, :21]):
        assert denoise(image, pixel_size_A=0.1).image.shape == image.shape


def test_altered_weights_are_refused(tmp_path):
    from reconstruction.denoise.infer import WEIGHTS_DIR

    shutil.copytree(WEIGHTS_DIR, tmp_path / "w")
    blob = tmp_path / "w" / json.loads((WEIGHTS_DIR / "weights.json").read_text())["file"]
    data = bytearray(blob.read_bytes())
    data[-100] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DenoiseError, match="do not match"):
        load_weights(str(tmp_path / "w"), "cpu")
    with pytest.raises(DenoiseError, match="automat denoise-train"):
        load_weights(str(tmp_path / "missing"), "cpu")


def test_cuda_without_a_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    pair = simulated(HELD_OUT[0], size=64)
    with pytest.raises(DenoiseError, match="CUDA"):
        denoise(pair.image, pixel_size_A=0.1, device="cuda")
