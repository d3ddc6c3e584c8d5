"""Denoising STEM micrographs: a pattern-adaptive mixture of experts and classical filters.

    estimate = estimate_noise(image, pixel_size_A=0.1)       # should the agent denoise?
    result = denoise(image, pixel_size_A=0.1, method="moe")  # DenoiseResult

``method="moe"``: a small ResNet router picks one of K experts (denoising VAE + EDSR-style
x2 super-resolution, output resampled back to the input's pixel size) trained on simulated
micrographs; the weights ship in ``weights/`` (see ``weights/MODEL_CARD.md``). Torch is
imported only when a learned method runs.
"""

from reconstruction.denoise.api import denoise
from reconstruction.denoise.noise import estimate_noise
from reconstruction.denoise.types import METHODS, DenoiseError, DenoiseResult, NoiseEstimate

__all__ = ["METHODS", "DenoiseError", "DenoiseResult", "NoiseEstimate", "denoise", "estimate_noise"]
