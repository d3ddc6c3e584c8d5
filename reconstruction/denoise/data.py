"""Training and evaluation pairs from the simulator, and the resampling both sides share.

The networks work at :data:`INPUT_PIXEL_A` (0.2 Å/px: Nyquist 2.5 1/Å, just above the
probe's 2.16 1/Å cutoff, so nothing of the signal is lost) and their EDSR stage returns
:data:`OUTPUT_PIXEL_A` (0.1 Å/px, the benchmark's sampling). A pair is one
:func:`reconstruction.simulate.simulate_fast` image at 0.1 Å/px: its noisy image resampled
to 0.2 Å/px is the input, its clean image the target. Structures of the benchmark
(:func:`excluded_ids`) are never used; evaluation structures are disjoint from training ones.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from reconstruction.denoise.noise import noise_variance

INPUT_PIXEL_A = 0.2
OUTPUT_PIXEL_A = 0.1
MODES = ("idpc", "haadf", "abf")
#: log(relative noise) is clipped to this range for the noise-level input plane.
LOG_NOISE_RANGE = (-4.0, 3.0)


def resample(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resampling to ``shape`` (scikit-image ``resize``, cubic, edge mode)."""
    from skimage.transform import resize

    if tuple(shape) == image.shape:
        return image.astype(np.float32)
    down = shape[0] < image.shape[0] or shape[1] < image.shape[1]
    out = resize(image, shape, order=3, mode="edge", anti_aliasing=down, preserve_range=True)
    return out.astype(np.float32)


def normalisation(image: np.ndarray, *, pixel_size_A: float) -> tuple[float, float, float]:
    """(mean, signal std, log relative noise) of ``image`` at its own pixel size.

    The signal std is ``sqrt(var - noise var)`` (floored at 10 % of the std), so a clean and
    a noisy image of the same specimen get the same scale whatever the dose.
    """
    img = image.astype(np.float64)
    var = float(img.var())
    noise = min(noise_variance(img, pixel_size_A=pixel_size_A), var)
    signal = max(var - noise, 0.01 * var, 1e-30)
    rel = np.sqrt(noise / signal) if noise > 0 else np.exp(LOG_NOISE_RANGE[0])
    log_noise = float(np.clip(np.log(max(rel, 1e-12)), *LOG_NOISE_RANGE))
    return float(img.mean()), float(np.sqrt(signal)), log_noise


@dataclass(frozen=True)
class DataConfig:
    """What the simulated training set holds.

    Attributes
    ----------
    n_train : int
        Training structures (each imaged once per mode).
    n_eval_per_tier : int
        Held-out evaluation structures per tier (each imaged once per mode).
    size_px : int
        Side of a training image at 0.1 Å/px (the input is half of it).
    eval_size_px : int
        Side of an evaluation image at 0.1 Å/px.
    dose_range : tuple
        Training doses [e/Å²], drawn log-uniformly.
    max_source_A : float
        Largest source size (Gaussian blur FWHM) [Å].
    elastic_px : float
        Largest elastic displacement [px at 0.1 Å/px]; half the images are distorted.
    seed : int
        Seed of every draw.
    """

    n_train: int = 300
    n_eval_per_tier: int = 10
    size_px: int = 192
    eval_size_px: int = 256
    dose_range: tuple[float, float] = (1.0e4, 6.0e4)
    max_source_A: float = 0.4
    elastic_px: float = 1.5
    seed: int = 0

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def excluded_ids(bench_dir: Path | None = None, *, data_dir: Path | None = None) -> set[str]:
    """Structure ids of the benchmark: ``bench.dataset.select(n=450, seed=0)`` (the
    ``fast-450`` set; the 150-sample sets are its per-tier prefixes) plus every sample
    named in a ``manifest.json`` under ``var/bench``. ``data_dir``: the shared data folder
    (default :data:`reconstruction.settings.SHARED_DATA_DIR`)."""
    from reconstruction.bench.dataset import select
    from reconstruction.data import load_monolayers, monolayers_path

    monolayers = load_monolayers(monolayers_path(data_dir))
    ids = {spec.structure_id for spec in select(monolayers, n=450, seed=0)}
    root = bench_dir or Path(__file__).resolve().parents[2] / "var" / "bench"
    for manifest in sorted(root.glob("*/manifest.json")):
        for name in json.loads(manifest.read_text()).get("samples", []):
            ids.add(name.split("-", 1)[1])
    return ids


def split_structures(
    config: DataConfig, excluded: set[str], *, data_dir: Path | None = None
) -> tuple[list, list]:
    """(training, evaluation) monolayers: disjoint, none of ``excluded``.

    Both come from structures the benchmark's loose filter accepts; tiers with too few of
    them left (unary: the benchmark takes all 87) are completed with structures of that
    element count the filter rejects.
    """
    from reconstruction.data import load_monolayers, monolayers_path
    from reconstruction.metrics.tiers import LOOSE, assign_tier, qualify

    rng = np.random.default_rng(config.seed)
    pools: dict[int, list] = {1: [], 2: [], 3: []}
    spare: dict[int, list] = {1: [], 2: [], 3: []}
    for atoms in load_monolayers(monolayers_path(data_dir)):
        n_el = len(set(atoms.get_chemical_symbols()))
        if atoms.info["id"] in excluded or n_el > 3 or len(atoms) > 60:
            continue
        if qualify(atoms, criteria=LOOSE).qualifies:
            pools[assign_tier(atoms).tier].append(atoms)
        else:
            spare[n_el].append(atoms)
    evaluation, training = [], []
    for tier in (1, 2, 3):
        pool = [pools[tier][i] for i in rng.permutation(len(pools[tier]))]
        extra = [spare[tier][i] for i in rng.permutation(len(spare[tier]))]
        pool = pool + extra
        evaluation.extend(pool[: config.n_eval_per_tier])
        training.append(pool[config.n_eval_per_tier :])
    # Training draws round-robin over tiers from what is left, qualifying structures first
    # (a tier that runs out leaves its share to the others).
    chosen: list = []
    for i in range(max(len(rest) for rest in training)):
        chosen.extend(rest[i] for rest in training if i < len(rest))
    return chosen[: config.n_train], evaluation


def _elastic(images: list[np.ndarray], amplitude_px: float, rng: np.random.Generator) -> list:
    """The same smooth random displacement field applied to every image of ``images``."""
    from scipy.ndimage import map_coordinates, zoom

    shape = images[0].shape
    coarse = rng.normal(size=(2, 4, 4)) * amplitude_px / 2
    field = np.stack([zoom(c, (shape[0] / 4, shape[1] / 4), order=3) for c in coarse])
    rows, cols = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    coords = np.stack([rows + field[0], cols + field[1]])
    return [
        map_coordinates(im, coords, order=3, mode="reflect").astype(np.float32) for im in images
    ]


def make_pair(
    atoms,
    *,
    mode: str,
    dose: float,
    rotation_deg: float,
    source_A: float,
    size_px: int,
    seed: int,
    elastic_px: float = 0.0,
) -> dict:
    """One simulated pair: ``noisy`` at 0.2 Å/px (``size_px // 2``), ``clean`` and
    ``noisy_full`` at 0.1 Å/px, and the normalisation of the noisy input."""
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(
        mode=mode,
        dose_e_per_A2=dose,
        pixel_size_A=OUTPUT_PIXEL_A,
        shape_px=(size_px, size_px),
        rotation_deg=rotation_deg,
        source_size_A=source_A,
        seed=seed,
    )
    result = simulate_fast(atoms, config)
    noisy, clean = result.image, result.clean
    if elastic_px > 0:
        noisy, clean = _elastic([noisy, clean], elastic_px, np.random.default_rng(seed))
    mean, scale, log_noise = normalisation(noisy, pixel_size_A=OUTPUT_PIXEL_A)
    half = size_px // 2
    return {
        "noisy": resample(noisy, (half, half)),
        "noisy_full": noisy.astype(np.float32),
        "clean": clean.astype(np.float32),
        "norm": (mean, scale, log_noise),
    }


def build_training_set(
    config: DataConfig, path: Path, *, data_dir: Path | None = None, log=print
) -> dict[str, np.ndarray]:
    """Simulate (or load, when ``path`` exists with the same config) the training set from
    the shared data in ``data_dir`` (default: the folder next to the repository)."""
    if path.exists():
        data = dict(np.load(path, allow_pickle=False))
        if json.loads(str(data["config"])) == config.as_dict():
            return data
        log(f"{path}: built with another configuration, rebuilding")
    excluded = excluded_ids(data_dir=data_dir)
    train, _ = split_structures(config, excluded, data_dir=data_dir)
    rng = np.random.default_rng(config.seed + 1)
    noisy, clean, norm, modes, ids = [], [], [], [], []
    lo, hi = np.log(config.dose_range)
    for i, atoms in enumerate(train):
        for mode in MODES:
            elastic = config.elastic_px * rng.uniform() if rng.uniform() < 0.5 else 0.0
            pair = make_pair(
                atoms,
                mode=mode,
                dose=float(np.exp(rng.uniform(lo, hi))),
                rotation_deg=float(rng.uniform(0, 360)),
                source_A=float(rng.uniform(0, config.max_source_A)),
                size_px=config.size_px,
                seed=int(rng.integers(2**31 - 1)),
                elastic_px=elastic,
            )
            noisy.append(pair["noisy"])
            clean.append(pair["clean"])
            norm.append(pair["norm"])
            modes.append(MODES.index(mode))
            ids.append(atoms.info["id"])
        if (i + 1) % 25 == 0:
            log(f"simulated {i + 1}/{len(train)} training structures")
    data = {
        "noisy": np.stack(noisy),
        "clean": np.stack(clean),
        "norm": np.asarray(norm, dtype=np.float64),
        "mode": np.asarray(modes),
        "structure_id": np.asarray(ids),
        "excluded": np.asarray(sorted(excluded)),
        "config": np.asarray(json.dumps(config.as_dict())),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **data)
    tmp.replace(path)
    return data


def evaluation_pairs(config: DataConfig, excluded: set[str] | None = None) -> list[dict]:
    """Held-out pairs: each evaluation structure in each mode at its tier's dose (the
    benchmark's ranges), ``eval_size_px`` at 0.1 Å/px, with ``tier``, ``mode``, ``id``."""
    from reconstruction.metrics.tiers import TIER_DOSES_E_PER_A2

    _, evaluation = split_structures(config, excluded_ids() if excluded is None else excluded)
    rng = np.random.default_rng(config.seed + 2)
    pairs = []
    for atoms in evaluation:
        tier = len(set(atoms.get_chemical_symbols()))
        for mode in MODES:
            pair = make_pair(
                atoms,
                mode=mode,
                dose=float(rng.uniform(*TIER_DOSES_E_PER_A2[tier])),
                rotation_deg=float(rng.uniform(0, 360)),
                source_A=0.0,
                size_px=config.eval_size_px,
                seed=int(rng.integers(2**31 - 1)),
            )
            pairs.append({**pair, "tier": tier, "mode": mode, "id": atoms.info["id"]})
    return pairs
