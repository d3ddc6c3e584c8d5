"""Interface, noise estimate and classical methods of reconstruction.denoise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reconstruction.denoise import (
    METHODS,
    DenoiseError,
    DenoiseResult,
    NoiseEstimate,
    denoise,
    estimate_noise,
)
from reconstruction.denoise.noise import noise_variance
from tests.reconstruction.denoise.conftest import psnr, simulated


def test_it_lists_the_agreed_methods():
    assert METHODS == ("moe", "single", "gaussian", "nlm", "bragg")


def test_it_estimates_the_noise_std_of_simulated_images():
    for mode in ("idpc", "haadf", "abf"):
        result = simulated("c2dm-MoS2-H", mode=mode, dose=1e4)
        true = float((result.image - result.clean).std())
        est = math.sqrt(noise_variance(result.image, pixel_size_A=0.1))
        assert abs(est - true) / true < 0.2, (mode, est, true)


def test_it_orders_clean_and_noisy_images():
    for mode in ("idpc", "haadf", "abf"):
        clean = simulated("c2dm-MoS2-H", mode=mode, dose=None).image
        low = estimate_noise(simulated("c2dm-MoS2-H", mode=mode, dose=6e4).image, pixel_size_A=0.1)
        high = estimate_noise(simulated("c2dm-MoS2-H", mode=mode, dose=1e4).image, pixel_size_A=0.1)
        none = estimate_noise(clean, pixel_size_A=0.1)
        assert none.sigma < low.sigma < high.sigma, mode
        assert not none.noisy and high.noisy
        assert none.snr_db > high.snr_db


def test_noise_estimate_round_trips_through_json():
    est = estimate_noise(simulated("c2dm-MoS2-H").image, pixel_size_A=0.1)
    assert NoiseEstimate.from_dict(est.as_dict()) == est
    flat = estimate_noise(np.ones((32, 32)), pixel_size_A=0.1)
    assert flat.sigma == 0 and NoiseEstimate.from_dict(flat.as_dict()) == flat


@pytest.mark.parametrize("method", ["gaussian", "nlm", "bragg"])
def test_classical_methods_reduce_the_error(method, mos2_pair):
    result = denoise(mos2_pair.image, pixel_size_A=0.1, method=method)
    assert isinstance(result, DenoiseResult)
    assert result.image.shape == mos2_pair.image.shape and result.image.dtype == np.float32
    assert result.expert is None and result.method == method
    assert psnr(result.image, mos2_pair.clean) > psnr(mos2_pair.image, mos2_pair.clean) + 1.0
    assert result.noise_after.sigma < result.noise_before.sigma
    assert result.as_dict()["shape"] == list(mos2_pair.image.shape)


def test_it_keeps_shape_of_non_square_images(mos2_pair):
    image = mos2_pair.image[:150, :97]
    for method in ("gaussian", "bragg"):
        assert denoise(image, pixel_size_A=0.1, method=method).image.shape == (150, 97)


def test_bragg_refuses_an_image_without_a_lattice():
    noise = np.random.default_rng(0).normal(size=(128, 128))
    with pytest.raises(DenoiseError, match="no lattice"):
        denoise(noise, pixel_size_A=0.1, method="bragg")


@pytest.mark.parametrize(
    ("image", "pixel", "message"),
    [
        (np.full((64, 64), np.nan), 0.1, "NaN"),
        (np.zeros(64), 0.1, "2D"),
        (np.zeros((4, 64, 64)), 0.1, "2D"),
        (np.zeros((8, 8)), 0.1, "too small"),
        (np.zeros((64, 64)), 0.0, "pixel_size_A"),
        (np.zeros((64, 64)), -0.1, "pixel_size_A"),
        (np.zeros((64, 64)), float("nan"), "pixel_size_A"),
        (np.zeros((64, 64)), 5.0, "pixel_size_A"),
        (np.zeros((64, 64)), "big", "pixel_size_A"),
        (np.array([["a"] * 32] * 32), 0.1, "numbers"),
    ],
)
def test_bad_input_gets_a_clear_error(image, pixel, message):
    with pytest.raises(DenoiseError, match=message):
        denoise(image, pixel_size_A=pixel, method="gaussian")
    with pytest.raises(DenoiseError, match=message):
        estimate_noise(image, pixel_size_A=pixel)


def test_unknown_method_or_mode_is_refused(mos2_pair):
    with pytest.raises(DenoiseError, match="method"):
        denoise(mos2_pair.image, pixel_size_A=0.1, method="bm3d")
    with pytest.raises(DenoiseError, match="mode"):
        denoise(mos2_pair.image, pixel_size_A=0.1, mode="tem", method="gaussian")
