"""Training is deterministic for a seed and resumes from its checkpoint."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reconstruction.data import monolayer
from reconstruction.denoise.data import DataConfig, make_pair
from reconstruction.denoise.train import (
    PatchSampler,
    TrainConfig,
    Trainer,
    routing_classes,
    routing_features,
)

torch = pytest.importorskip("torch")

CONFIG = TrainConfig(
    steps_single=3,
    steps_moe=3,
    batch=4,
    patch_px=16,
    n_experts=2,
    pca_components=2,
    checkpoint_every=2,
    log_every=1,
    data=DataConfig(size_px=64),
)


@pytest.fixture(scope="module")
def data():
    pairs = [
        make_pair(
            monolayer(sid), mode=mode, dose=2e4, rotation_deg=10, source_A=0, size_px=64, seed=1
        )
        for sid in ("c2dm-MoS2-H", "2dlam-VSe2-1")
        for mode in ("idpc", "abf")
    ]
    return {
        "noisy": np.stack([p["noisy"] for p in pairs]),
        "clean": np.stack([p["clean"] for p in pairs]),
        "norm": np.asarray([p["norm"] for p in pairs]),
    }


def _train(data, out, *, interrupt_after: int | None = None):
    torch.set_num_threads(1)
    labels, _ = routing_classes(routing_features(data), CONFIG)
    trainer = Trainer(CONFIG, out, "cpu", log=lambda _: None)
    sampler = PatchSampler(data, labels, CONFIG)
    if interrupt_after is not None:
        for _ in range(interrupt_after):
            trainer.train_step(sampler)
            trainer.step += 1
        trainer.save(sampler)
        trainer = Trainer(CONFIG, out, "cpu", log=lambda _: None)  # a new process, in effect
        sampler = PatchSampler(data, labels, CONFIG)
    trainer.run(sampler)
    return trainer


def _same(a, b) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_weights_and_resume_continues_exactly(data, tmp_path):
    first = _train(data, tmp_path / "a")
    again = _train(data, tmp_path / "b")
    resumed = _train(data, tmp_path / "c", interrupt_after=2)
    assert first.phase == "done" and [h["phase"] for h in first.history][-1] == "moe"
    for other in (again, resumed):
        assert _same(first.moe.state_dict(), other.moe.state_dict())
        assert _same(first.single.state_dict(), other.single.state_dict())

    def losses(trainer):
        return [{k: v for k, v in h.items() if k != "elapsed_s"} for h in trainer.history]

    assert losses(first) == losses(again)


def test_a_checkpoint_of_other_settings_is_refused(data, tmp_path):
    _train(data, tmp_path / "a")
    labels, _ = routing_classes(routing_features(data), CONFIG)
    other = replace(CONFIG, lr=5e-4)
    trainer = Trainer(other, tmp_path / "a", "cpu", log=lambda _: None)
    with pytest.raises(ValueError, match="other settings"):
        trainer.load(PatchSampler(data, labels, other))
