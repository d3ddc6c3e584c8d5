"""Running the learned denoisers on any image: weights, tiling, resampling, devices.

The image is normalised (:func:`reconstruction.denoise.data.normalisation`), resampled to
the networks' 0.2 Å/px, cut into overlapping tiles (batched), each tile goes through the
chosen expert (x2 output at 0.1 Å/px), tiles are blended with linear ramps over the
overlap, and the result is resampled to the input's shape and pixel size.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from reconstruction.denoise.data import INPUT_PIXEL_A, normalisation, resample
from reconstruction.denoise.types import DenoiseError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: Tile side and overlap [px at 0.2 Å/px]; tiles are batched ``BATCH`` at a time.
TILE_PX = 128
OVERLAP_PX = 16
BATCH = 8
#: Tiles the router looks at to choose an image's expert (a regular grid).
ROUTER_TILES = 16
ROUTER_TILE_PX = 48
#: Largest image the learned methods work on, counted at 0.1 Å/px [px].
MAX_WORK_PIXELS = 100_000_000


def pick_device(device: str | None = None) -> str:
    """``device`` if given, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DenoiseError(f"device {device!r} asked for, but torch sees no CUDA device")
    return device


def available_cores() -> int:
    """CPU cores this process may run on (affinity mask, else os.cpu_count())."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None = None) -> int:
    """Torch CPU threads: ``threads`` (the caller's ``ScienceSettings.torch_threads``), else
    (None or 0) the cores available to this process that are not busy (1 when the 1-minute
    load average is at least the core count: on a shared 2-core machine two threads waiting
    on each other ran slower than one, docs/benchmarks/denoise.md)."""
    import torch

    cores = available_cores()
    n = threads or 0
    if not n:
        n = 1 if os.getloadavg()[0] >= cores else cores
    n = max(1, min(n, cores))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=4)
def load_weights(folder: str | None = None, device: str = "cpu") -> dict:
    """The trained networks from ``folder`` (default: the shipped weights), after checking
    the file's sha256 against ``weights.json``; :class:`DenoiseError` when missing/altered."""
    import torch

    from reconstruction.denoise.model import Expert, MixtureOfExperts, ModelConfig

    root = Path(folder) if folder else WEIGHTS_DIR
    manifest = root / "weights.json"
    if not manifest.exists():
        raise DenoiseError(
            f"no trained denoiser weights in {root} (weights.json missing): run "
            "`automat denoise-train` or use method='gaussian', 'nlm' or 'bragg'"
        )
    info = json.loads(manifest.read_text())
    path = root / info["file"]
    if not path.exists():
        raise DenoiseError(f"denoiser weights {path} are missing: run `automat denoise-train`")
    digest = sha256_of(path)
    if digest != info["sha256"]:
        raise DenoiseError(
            f"denoiser weights {path} do not match weights.json (sha256 {digest[:12]}... "
            f"instead of {info['sha256'][:12]}...): the file is damaged or was replaced"
        )
    payload = torch.load(path, map_location=device, weights_only=False)
    config = ModelConfig(**payload["model_config"])
    moe = MixtureOfExperts(config)
    moe.load_state_dict(payload["moe"])
    single = Expert(config)
    single.load_state_dict(payload["single"])
    return {
        "routing": payload["routing"],
        "moe": moe.to(device).eval(),
        "single": single.to(device).eval(),
        "meta": payload["meta"],
        "config": config,
        "sha256": digest,
    }


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    return [*starts, length - tile]


def _ramp(length: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    w = np.ones(length, dtype=np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if not first:
            w[:overlap] = ramp
        if not last:
            w[-overlap:] = ramp[::-1]
    return w


def run_tiled(
    net,
    x: np.ndarray,
    *,
    scale: int,
    device: str,
    tile: int = TILE_PX,
    overlap: int = OVERLAP_PX,
    batch: int = BATCH,
) -> np.ndarray:
    """``net`` (input (B, 2, h, w) -> output (B, 1, scale h, scale w)) over ``x`` (2, H, W)
    in overlapping tiles, blended with linear ramps; H and W multiples of 4."""
    import torch

    _, rows, cols = x.shape
    tile_r, tile_c = min(tile, rows), min(tile, cols)
    ys, xs = _starts(rows, tile_r, overlap), _starts(cols, tile_c, overlap)
    boxes = [(r, c) for r in ys for c in xs]
    out = np.zeros((scale * rows, scale * cols), dtype=np.float32)
    weight = np.zeros_like(out)
    s_ov = scale * overlap
    for i in range(0, len(boxes), batch):
        chunk = boxes[i : i + batch]
        tiles = np.stack([x[:, r : r + tile_r, c : c + tile_c] for r, c in chunk])
        with torch.no_grad():
            pred = net(torch.from_numpy(tiles).to(device))[0][:, 0].float().cpu().numpy()
        for (r, c), p in zip(chunk, pred, strict=True):
            wr = _ramp(scale * tile_r, s_ov, r == ys[0], r == ys[-1])
            wc = _ramp(scale * tile_c, s_ov, c == xs[0], c == xs[-1])
            w = wr[:, None] * wc[None, :]
            sr, sc = scale * r, scale * c
            out[sr : sr + scale * tile_r, sc : sc + scale * tile_c] += p * w
            weight[sr : sr + scale * tile_r, sc : sc + scale * tile_c] += w
    return out / weight


def route(
    router, x: np.ndarray, *, device: str, prior: np.ndarray | None = None
) -> tuple[int, np.ndarray]:
    """The expert for the whole image: mean router probability over a grid of tiles, times
    ``prior`` (the share of the image's mode among each expert's training images), so that
    an expert that never saw the mode is never chosen."""
    import torch

    _, rows, cols = x.shape
    t = min(ROUTER_TILE_PX, rows, cols) // 4 * 4
    n = int(np.ceil(np.sqrt(ROUTER_TILES)))
    rs = np.linspace(0, rows - t, n).astype(int)
    cs = np.linspace(0, cols - t, n).astype(int)
    tiles = np.stack([x[:, r : r + t, c : c + t] for r in rs for c in cs])
    with torch.no_grad():
        logits = router(torch.from_numpy(tiles).to(device))
        probs = torch.softmax(logits, dim=1).mean(dim=0).cpu().numpy()
    if prior is not None:
        probs = probs * prior
        probs = probs / probs.sum() if probs.sum() > 0 else prior / prior.sum()
    return int(probs.argmax()), probs


def prepare(image: np.ndarray, pixel_size_A: float) -> tuple[np.ndarray, tuple, tuple]:
    """Network input (2, H, W) at 0.2 Å/px (H, W multiples of 4, edge-padded), the
    normalisation and the unpadded input shape."""
    factor = pixel_size_A / INPUT_PIXEL_A
    shape = (max(4, round(image.shape[0] * factor)), max(4, round(image.shape[1] * factor)))
    if 4 * shape[0] * shape[1] > MAX_WORK_PIXELS:
        raise DenoiseError(
            f"image too large for the learned denoisers at {pixel_size_A} Å/px: "
            f"{image.shape} px would be {2 * shape[0]}x{2 * shape[1]} px at 0.1 Å/px "
            f"(at most {MAX_WORK_PIXELS:,} px)"
        )
    mean, scale, log_noise = normalisation(image, pixel_size_A=pixel_size_A)
    small = (resample(image, shape) - mean) / scale
    pad = ((0, -shape[0] % 4), (0, -shape[1] % 4))
    small = np.pad(small, pad, mode="reflect" if min(shape) > 4 else "edge")
    x = np.stack([small, np.full_like(small, log_noise)]).astype(np.float32)
    return x, (mean, scale, log_noise), shape


def denoise_learned(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    single: bool = False,
    mode: str | None = None,
    device: str | None = None,
    weights: str | None = None,
    tile: int = TILE_PX,
    threads: int = 0,
) -> tuple[np.ndarray, int]:
    """Denoise with the MoE (``single=False``) or the single expert; returns the image at
    the input's shape and the expert used. ``mode`` (idpc, haadf, abf) restricts the
    router to the experts trained on that mode; None lets the router alone decide.
    ``threads``: torch CPU threads (0: chosen by :func:`set_threads`)."""
    device = pick_device(device)
    set_threads(threads)
    nets = load_weights(weights, device)
    x, (mean, scale, _), shape = prepare(image, pixel_size_A)
    if single:
        expert, net = 0, nets["single"]
    else:
        counts = nets["routing"].get("mode_counts", {}).get(mode)
        prior = None if counts is None else np.asarray(counts, dtype=float)
        expert, _ = route(nets["moe"].router, x, device=device, prior=prior)
        net = nets["moe"].experts[expert]
    s = nets["config"].scale
    high = run_tiled(net, x, scale=s, device=device, tile=tile)
    high = high[: s * shape[0], : s * shape[1]]
    out = resample(high, image.shape) * scale + mean
    return out.astype(np.float32), expert
