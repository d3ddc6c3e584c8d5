"""Training the mixture of experts (``automat denoise-train``): deterministic, resumable.

1. Simulate the training set (:func:`reconstruction.denoise.data.build_training_set`).
2. Routing classes: k-means (K = ``n_experts``) over PCA features of the training images
   (radial power spectrum, skewness, noise level; :func:`routing_features`).
3. Phase "single": one expert on every patch (the ``"single"`` baseline starts here).
   How many training images of each mode fell in each class is kept with the weights: at
   inference it restricts the router to the experts that saw the image's mode.
4. Phase "moe": the K experts start from the single expert and each trains on its class's
   patches, the router learns the classes (cross-entropy plus a routing-balance entropy
   term); on the same batches the single expert keeps training, so both see the same data
   and steps. Loss of an expert: L1 of the x2 output against the clean 0.1 Å/px image + L1
   of the VAE image against the clean image pooled to 0.2 Å/px + ``kl_weight`` KL.

A checkpoint (models, optimisers, both random generators, the log) is written every
``checkpoint_every`` steps; rerunning the same command continues from it.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reconstruction.denoise.data import INPUT_PIXEL_A, MODES, OUTPUT_PIXEL_A, DataConfig

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "moe.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (stored in the checkpoint and the weights)."""

    steps_single: int = 2000
    steps_moe: int = 2000
    batch: int = 16
    patch_px: int = 48
    lr: float = 1e-3
    lr_final: float = 1e-4
    kl_weight: float = 2.5e-4
    router_weight: float = 1.0
    balance_weight: float = 0.1
    n_experts: int = 4
    pca_components: int = 6
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 100
    data: DataConfig = field(default_factory=DataConfig)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["data"] = self.data.as_dict()
        return out


def routing_features(data: dict) -> np.ndarray:
    """Per-image features: log radial power spectrum of the normalised input (16 shells up
    to 2.5 1/Å), skewness, and the log relative noise; shape (N, 18)."""
    noisy = data["noisy"].astype(np.float64)
    mean, scale, log_noise = data["norm"].T
    x = (noisy - mean[:, None, None]) / scale[:, None, None]
    n = x.shape[1]
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(n, INPUT_PIXEL_A), np.fft.fftfreq(n, INPUT_PIXEL_A)))
    shell = np.minimum((k / (2.5 / 16)).astype(int), 15)
    power = np.abs(np.fft.fft2(x)) ** 2 / n**2
    radial = np.stack([power[:, shell == s].mean(axis=1) for s in range(16)], axis=1)
    skew = ((x - x.mean(axis=(1, 2), keepdims=True)) ** 3).mean(axis=(1, 2)) / x.std(
        axis=(1, 2)
    ) ** 3
    return np.column_stack([np.log(radial + 1e-12), skew, log_noise])


def routing_classes(features: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, dict]:
    """K-means labels over PCA of the standardised features, and the fitted transform."""
    from sklearn.cluster import KMeans

    mu, sd = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = (features - mu) / sd
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    components = vt[: config.pca_components]
    kmeans = KMeans(n_clusters=config.n_experts, random_state=config.seed, n_init=10)
    labels = kmeans.fit_predict(z @ components.T)
    transform = {
        "mean": mu.tolist(),
        "std": sd.tolist(),
        "components": components.tolist(),
        "centres": kmeans.cluster_centers_.tolist(),
    }
    return labels, transform


class PatchSampler:
    """Random training patches (input at 0.2 Å/px, target at 0.1 Å/px) with rotations by
    90° and flips, drawn from a numpy generator whose state is checkpointed."""

    def __init__(self, data: dict, labels: np.ndarray, config: TrainConfig) -> None:
        self.noisy, self.clean, self.norm = data["noisy"], data["clean"], data["norm"]
        self.labels, self.config = labels, config
        self.rng = np.random.default_rng(config.seed + 3)

    def indices(self, stratified: bool) -> np.ndarray:
        batch, k = self.config.batch, self.config.n_experts
        if not stratified:
            return self.rng.integers(0, len(self.noisy), batch)
        per = batch // k
        return np.concatenate(
            [self.rng.choice(np.flatnonzero(self.labels == c), per) for c in range(k)]
        )

    def batch(self, stratified: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.config.patch_px
        idx = self.indices(stratified)
        side = self.noisy.shape[1]
        xs, ys = [], []
        for i in idx:
            r, c = self.rng.integers(0, side - p + 1, 2)
            mean, scale, log_noise = self.norm[i]
            x = (self.noisy[i, r : r + p, c : c + p] - mean) / scale
            y = (self.clean[i, 2 * r : 2 * r + 2 * p, 2 * c : 2 * c + 2 * p] - mean) / scale
            turns, flip = self.rng.integers(0, 4), self.rng.integers(0, 2)
            x, y = np.rot90(x, turns), np.rot90(y, turns)
            if flip:
                x, y = x[:, ::-1], y[:, ::-1]
            xs.append(np.stack([x, np.full_like(x, log_noise)]))
            ys.append(y[None])
        return (
            np.asarray(xs, np.float32),
            np.asarray(ys, np.float32),
            self.labels[idx].astype(np.int64),
        )


def _lr(config: TrainConfig, phase: str, step: int) -> float:
    if phase == "single":
        return config.lr
    t = step / max(config.steps_moe, 1)
    return config.lr_final + 0.5 * (config.lr - config.lr_final) * (1 + math.cos(math.pi * t))


def expert_loss(expert, x, y, kl_weight: float):
    """(total, L1 of the x2 output) of one expert on a batch."""
    from torch.nn import functional as F

    from reconstruction.denoise.model import kl_divergence

    high, vae_image, mu, logvar = expert(x)
    l1 = F.l1_loss(high, y)
    total = l1 + F.l1_loss(vae_image, F.avg_pool2d(y, 2)) + kl_weight * kl_divergence(mu, logvar)
    return total, l1


class Trainer:
    """Holds the models, optimisers and the log; ``run`` trains until both phases are done."""

    def __init__(self, config: TrainConfig, out: Path, device: str, log=print) -> None:
        import torch

        from reconstruction.denoise.model import Expert, MixtureOfExperts, ModelConfig

        self.config, self.out, self.device, self.log = config, out, device, log
        torch.manual_seed(config.seed)
        self.model_config = ModelConfig(n_experts=config.n_experts)
        self.single = Expert(self.model_config).to(device)
        self.moe = MixtureOfExperts(self.model_config).to(device)
        self.opt_single = torch.optim.Adam(self.single.parameters(), lr=config.lr)
        self.opt_moe = torch.optim.Adam(self.moe.parameters(), lr=config.lr)
        self.phase, self.step, self.history, self.elapsed_s = "single", 0, [], 0.0

    @property
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save(self, sampler: PatchSampler) -> None:
        import torch

        state = {
            "config": self.config.as_dict(),
            "phase": self.phase,
            "step": self.step,
            "single": self.single.state_dict(),
            "moe": self.moe.state_dict(),
            "opt_single": self.opt_single.state_dict(),
            "opt_moe": self.opt_moe.state_dict(),
            "numpy_rng": sampler.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "history": self.history,
            "elapsed_s": self.elapsed_s,
        }
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.checkpoint_path)

    def load(self, sampler: PatchSampler) -> bool:
        import torch

        if not self.checkpoint_path.exists():
            return False
        state = torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
        if state["config"] != self.config.as_dict():
            raise ValueError(
                f"{self.checkpoint_path} was written with other settings; use another --out"
            )
        self.single.load_state_dict(state["single"])
        self.moe.load_state_dict(state["moe"])
        self.opt_single.load_state_dict(state["opt_single"])
        self.opt_moe.load_state_dict(state["opt_moe"])
        sampler.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        self.phase, self.step = state["phase"], state["step"]
        self.history, self.elapsed_s = state["history"], state["elapsed_s"]
        self.log(f"resumed from {self.checkpoint_path}: phase {self.phase}, step {self.step}")
        return True

    def train_step(self, sampler: PatchSampler) -> dict:
        import torch

        config = self.config
        stratified = self.phase == "moe"
        x, y, labels = sampler.batch(stratified=stratified)
        x = torch.from_numpy(x).to(self.device)
        y = torch.from_numpy(y).to(self.device)
        lr = _lr(config, self.phase, self.step)
        for opt in (self.opt_single, self.opt_moe):
            for group in opt.param_groups:
                group["lr"] = lr
        total, l1 = expert_loss(self.single, x, y, config.kl_weight)
        self.opt_single.zero_grad()
        total.backward()
        self.opt_single.step()
        entry = {"phase": self.phase, "step": self.step, "lr": lr, "single_l1": l1.item()}
        if self.phase == "moe":
            entry.update(self._moe_step(x, y, torch.from_numpy(labels).to(self.device)))
        return entry

    def _moe_step(self, x, y, labels) -> dict:
        import torch
        from torch.nn import functional as F

        config, k = self.config, self.config.n_experts
        losses, l1s = [], []
        for c in range(k):
            sel = labels == c
            total, l1 = expert_loss(self.moe.experts[c], x[sel], y[sel], config.kl_weight)
            losses.append(total * sel.float().mean())
            l1s.append(l1.item())
        logits = self.moe.router(x)
        ce = F.cross_entropy(logits, labels)
        usage = torch.softmax(logits, dim=1).mean(dim=0)
        balance = math.log(k) + (usage * torch.log(usage + 1e-9)).sum()
        loss = sum(losses) + config.router_weight * ce + config.balance_weight * balance
        self.opt_moe.zero_grad()
        loss.backward()
        self.opt_moe.step()
        accuracy = float((logits.argmax(dim=1) == labels).float().mean())
        return {
            "moe_l1": float(np.mean(l1s)),
            "router_ce": ce.item(),
            "router_acc": accuracy,
            "balance": balance.item(),
        }

    def run(self, sampler: PatchSampler) -> None:
        config = self.config
        self.load(sampler)
        window: list[dict] = []
        while self.phase != "done":
            limit = config.steps_single if self.phase == "single" else config.steps_moe
            if self.step >= limit:
                self._next_phase()
                self.save(sampler)
                continue
            t0 = time.perf_counter()
            window.append(self.train_step(sampler))
            self.elapsed_s += time.perf_counter() - t0
            self.step += 1
            if self.step % config.log_every == 0 or self.step == limit:
                summary = {
                    key: (
                        window[-1][key]
                        if isinstance(window[-1][key], str)
                        else float(np.mean([w[key] for w in window]))
                    )
                    for key in window[-1]
                }
                summary.update(step=self.step, elapsed_s=round(self.elapsed_s, 1))
                self.history.append(summary)
                self.log(json.dumps(summary))
                window = []
            if self.step % config.checkpoint_every == 0:
                self.save(sampler)

    def _next_phase(self) -> None:
        if self.phase == "single":
            for expert in self.moe.experts:
                expert.load_state_dict(self.single.state_dict())
            import torch

            self.opt_moe = torch.optim.Adam(self.moe.parameters(), lr=self.config.lr)
            self.phase, self.step = "moe", 0
        else:
            self.phase = "done"
        self.log(f"phase {self.phase}")


def export_weights(trainer: Trainer, transform: dict, data: dict, folder: Path) -> dict:
    """Write ``folder/moe.pt`` (router, experts, single expert, routing transform, metadata)
    and ``folder/weights.json`` with its sha256; returns the latter."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "model_config": trainer.model_config.as_dict(),
        "moe": {k: v.cpu() for k, v in trainer.moe.state_dict().items()},
        "single": {k: v.cpu() for k, v in trainer.single.state_dict().items()},
        "routing": transform,
        "meta": {
            "input_pixel_A": INPUT_PIXEL_A,
            "output_pixel_A": OUTPUT_PIXEL_A,
            "train_config": trainer.config.as_dict(),
            "n_images": len(data["noisy"]),
            "train_structures": sorted(set(data["structure_id"].tolist())),
            "train_seconds": round(trainer.elapsed_s, 1),
        },
    }
    path = folder / WEIGHTS_FILE
    torch.save(payload, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    info = {"file": WEIGHTS_FILE, "sha256": digest, "bytes": path.stat().st_size}
    (folder / "weights.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def train(
    config: TrainConfig,
    out: Path,
    *,
    device: str | None = None,
    threads: int | None = None,
    export: Path | None = None,
    data_dir: Path | None = None,
    log=print,
) -> dict:
    """Build the data (from the shared data in ``data_dir``, default the folder next to the
    repository), fit the routing classes, train both phases, export the weights."""
    import torch

    from reconstruction.denoise.infer import pick_device, set_threads

    device = pick_device(device)
    set_threads(threads)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = build_training_set(config.data, out / "train-data.npz", data_dir=data_dir, log=log)
    log(f"training set: {len(data['noisy'])} images in {time.perf_counter() - start:.0f} s")
    labels, transform = routing_classes(routing_features(data), config)
    counts = np.bincount(labels, minlength=config.n_experts).tolist()
    by_mode = [
        np.bincount(labels[data["mode"] == m], minlength=config.n_experts).tolist()
        for m in range(3)
    ]
    log(f"routing classes: sizes {counts}; per mode (idpc, haadf, abf) {by_mode}")
    transform["mode_counts"] = dict(zip(MODES, by_mode, strict=True))
    torch.use_deterministic_algorithms(True, warn_only=True)
    trainer = Trainer(config, out, device, log=log)
    trainer.run(PatchSampler(data, labels, config))
    info = export_weights(trainer, transform, data, export or WEIGHTS_DIR)
    info.update(train_seconds=round(trainer.elapsed_s, 1), class_sizes=counts, by_mode=by_mode)
    (out / "summary.json").write_text(json.dumps(info, indent=2))
    log(f"weights: {info}")
    return info


def build_training_set(
    config: DataConfig, path: Path, *, data_dir: Path | None = None, log=print
) -> dict:
    from reconstruction.denoise.data import build_training_set as build

    return build(config, path, data_dir=data_dir, log=log)
