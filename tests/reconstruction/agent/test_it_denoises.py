"""The denoise tool: only when advised (if_noisy), later tools see the denoised image,
and a rollback brings the recorded image back."""

from __future__ import annotations

import numpy as np
import tifffile

from reconstruction.agent import Action, Finish, run_agent

from .images import PIXEL_SIZE_A, simulated


class Scripted:
    name = "scripted"
    max_steps = 10

    def __init__(self, actions):
        self.actions = list(actions)
        self.images = []

    def next(self, run):
        self.images.append(run.state.image)
        return self.actions.pop(0) if self.actions else Finish(True)


def test_it_denoises_a_noisy_image_and_rolls_back(tmp_path):
    image = simulated(dose=1e4).image
    policy = Scripted(
        [
            Action("denoise", {"method": "gaussian", "if_noisy": True}),
            Action("rollback", {"step": 0}),
        ]
    )
    result = run_agent(
        image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=policy, artifacts_dir=tmp_path
    )
    step = result.steps[0]
    assert step.ok and step.result["denoised"], step.error
    assert step.result["noise_after"]["snr_db"] > step.result["noise_before"]["snr_db"] + 6
    saved = tifffile.imread(step.artifacts["denoised_tif"])
    assert saved.dtype == np.float32 and saved.shape == image.shape
    after_denoise, after_rollback = policy.images[1], policy.images[2]
    assert np.array_equal(after_denoise, saved)
    assert np.array_equal(after_rollback, image)
    assert result.status == "failed"  # no structure was made


def test_it_leaves_a_clean_image_alone(tmp_path):
    image = simulated(dose=None).image
    policy = Scripted([Action("denoise", {"method": "gaussian", "if_noisy": True})])
    result = run_agent(
        image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=policy, artifacts_dir=tmp_path
    )
    step = result.steps[0]
    assert step.ok and step.result["denoised"] is False and step.artifacts == {}
    assert "not noisy" in step.summary
    assert np.array_equal(policy.images[1], image)
