"""Stacks: mean, one frame, and align-and-average that undoes drift."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from reconstruction.io import (
    StackChoiceRequired,
    UnknownSignal,
    align_frames,
    parse_stack_choice,
    reduce_stack,
)
from tests.fixtures.images import lattice_image

CROP = (slice(16, 80), slice(16, 80))


def _drifting_frames(
    n: int, *, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy 64 × 64 views of one field under slow drift with jitter; frame 0 is not moved.

    Over the series the drift grows past half the lattice spacing (9 px), where a plain
    correlation with frame 0 would lock onto the wrong column.
    """
    rng = np.random.default_rng(seed)
    field = lattice_image((96, 96), spacing_px=9.0, seed=seed, noise=0.0, second_site=0.5)
    drift = np.arange(n)[:, None] * np.array([0.7, -0.5]) + rng.normal(0, 0.3, size=(n, 2))
    drift[0] = 0.0
    views = [ndimage.shift(field, d, order=3, mode="nearest")[CROP] for d in drift]
    frames = np.stack(views) + noise * rng.standard_normal((n, 64, 64))
    return frames.astype(np.float32), field[CROP], drift


def _rmse(a: np.ndarray, b: np.ndarray, margin: int = 6) -> float:
    inner = (slice(margin, -margin), slice(margin, -margin))
    return float(np.sqrt(np.mean((a[inner] - b[inner]) ** 2)))


def test_it_sums_as_the_mean_of_the_frames() -> None:
    frames = np.random.default_rng(0).integers(0, 60_000, size=(5, 8, 9), dtype=np.uint16)
    image = reduce_stack(frames, "sum")
    assert image.dtype == np.float32
    np.testing.assert_allclose(image, frames.mean(axis=0), rtol=1e-6)


def test_it_takes_one_frame() -> None:
    frames = np.random.default_rng(1).normal(size=(4, 6, 7))
    np.testing.assert_array_equal(reduce_stack(frames, "frame:3"), frames[3].astype(np.float32))
    np.testing.assert_array_equal(reduce_stack(frames, " Frame: 0 "), frames[0].astype(np.float32))


@pytest.mark.parametrize("choice", ["frame:4", "frame:99"])
def test_it_refuses_a_frame_that_does_not_exist(choice: str) -> None:
    with pytest.raises(UnknownSignal, match="this stack has 4 frames"):
        reduce_stack(np.zeros((4, 5, 5)), choice)


@pytest.mark.parametrize("choice", ["median", "frame:-1", "frame:x", "", "frame"])
def test_it_refuses_an_unknown_choice(choice: str) -> None:
    with pytest.raises(StackChoiceRequired, match="sum, align or frame:<i>"):
        parse_stack_choice(choice, 4)


def test_it_recovers_the_drift_with_sub_pixel_precision() -> None:
    frames, _, drift = _drifting_frames(8, noise=0.15, seed=2)
    _, shifts = align_frames(frames)
    # Each frame is shifted back by its drift: the applied shift is minus the drift.
    np.testing.assert_allclose(shifts, -drift, atol=0.2)


def test_it_aligns_closer_to_the_truth_than_a_plain_sum() -> None:
    frames, truth, _ = _drifting_frames(8, noise=0.3, seed=3)
    aligned = reduce_stack(frames, "align")
    summed = reduce_stack(frames, "sum")
    single = frames[0]
    assert _rmse(aligned, truth) < 0.5 * _rmse(summed, truth)
    assert _rmse(aligned, truth) < 0.6 * _rmse(single, truth)  # and less noisy than one frame
    # Sharper: drift blurs the columns, so the plain sum has less contrast.
    assert aligned[6:-6, 6:-6].std() > 1.1 * summed[6:-6, 6:-6].std()


def test_it_leaves_an_aligned_stack_unchanged() -> None:
    frame = lattice_image((48, 48), seed=4, noise=0.0)
    image, shifts = align_frames(np.stack([frame] * 4))
    np.testing.assert_allclose(shifts, 0.0, atol=1e-6)
    np.testing.assert_allclose(image, frame, atol=1e-4)


def test_it_requires_three_dimensions() -> None:
    with pytest.raises(ValueError, match="frames must have shape"):
        reduce_stack(np.zeros((5, 5)), "sum")
