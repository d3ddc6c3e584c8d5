"""Choosing the benchmark's structures and imaging conditions, and reading a built set.

A built data set is a folder with one sub-folder per sample::

    DATASET/manifest.json           how it was built (seed, filter, mode, simulator, n)
    DATASET/<sample>/image.tif      float32 image, ImageJ calibration in Å
    DATASET/<sample>/truth.cif      the true structure
    DATASET/<sample>/meta.json      elements, tier, dose, rotation, DFT energy if known
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.metrics.tiers import LOOSE, STRICT, assign_tier, qualify, sample_dose

FILTERS = {"strict": STRICT, "loose": LOOSE}


@dataclass(frozen=True)
class SampleSpec:
    """Everything needed to make one benchmark sample, deterministically.

    Attributes
    ----------
    sample_id : str
        Folder name: ``<index>-<structure id>``.
    structure_id : str
        ``id`` of the monolayer in the shared data.
    tier : int
        1, 2 or 3 (element count).
    dose_e_per_A2 : float
        Electron dose [e/Å²].
    rotation_deg : float
        In-plane rotation of the specimen in the image [deg].
    pixel_size_A : float
        [Å/px].
    shape_px : int
        Side of the square image [px].
    mode : str
        ``idpc``, ``haadf`` or ``abf``.
    simulator : str
        ``fast`` or ``full``.
    seed : int
        Noise seed of this sample.
    defocus_A : float
        Probe defocus [Å] (abTEM convention, ``defocus = -C10``).
    source_size_A : float
        FWHM of the Gaussian effective source (incoherent blur) [Å].
    """

    sample_id: str
    structure_id: str
    tier: int
    dose_e_per_A2: float
    rotation_deg: float
    pixel_size_A: float
    shape_px: int
    mode: str
    simulator: str
    seed: int
    defocus_A: float = 0.0
    source_size_A: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleSpec:
        # Sets built before the optics were drawn have no defocus or source size: 0.
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# Each optical parameter is drawn from its own stream (seeded by ``[seed, stream]``), so a
# set built with a range has the structures, doses, rotations and noise seeds of the same
# seed without it, and a set built without any range is what it was before they existed.
OPTICS_STREAMS = {"defocus_A": 1, "source_size_A": 2}
OPTICS_MINIMUM = {"defocus_A": None, "source_size_A": 0.0}


def check_range(name: str, bounds: tuple[float, float]) -> tuple[float, float]:
    """``bounds`` as (low, high) floats, or ValueError naming ``name`` and what is wrong."""
    if len(bounds) != 2:
        raise ValueError(f"{name} must be two numbers LO,HI, got {len(bounds)}")
    low, high = (float(v) for v in bounds)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name} must be finite, got {low},{high}")
    if low > high:
        raise ValueError(f"{name} needs LO <= HI, got {low},{high}")
    minimum = OPTICS_MINIMUM.get(name)
    if minimum is not None and low < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got LO = {low}")
    return low, high


def draw_optics(
    n: int, *, seed: int, ranges: dict[str, tuple[float, float] | None]
) -> dict[str, list[float]]:
    """Per-sample values [Å] of each optical parameter of ``OPTICS_STREAMS``: uniform in its
    range (rounded to 0.001 Å, the value simulated and recorded), 0 where none is given."""
    draws = {}
    for name, stream in OPTICS_STREAMS.items():
        bounds = ranges.get(name)
        if bounds is None:
            draws[name] = [0.0] * n
            continue
        low, high = check_range(name, bounds)
        values = np.random.default_rng([seed, stream]).uniform(low, high, size=n)
        draws[name] = [round(float(v), 3) for v in values]
    return draws


def field_px(cell_lengths_A: tuple[float, float], pixel_size_A: float, *, repeats: int = 10) -> int:
    """Square field [px] showing at least ``repeats`` cells along the longer axis,
    rounded up to a multiple of 64, between 256 and 1024."""
    side = repeats * max(cell_lengths_A) / pixel_size_A
    return int(min(1024, max(256, 64 * int(np.ceil(side / 64)))))


def select(
    structures: list,
    *,
    n: int,
    seed: int,
    criteria: str = "loose",
    mode: str = "idpc",
    simulator: str = "fast",
    rotate: bool = True,
    pixel_size_A: float = 0.1,
    defocus_A: tuple[float, float] | None = None,
    source_size_A: tuple[float, float] | None = None,
) -> list[SampleSpec]:
    """Pick ``n`` qualifying structures, balanced over tiers, with imaging conditions.

    The same arguments always give the same specs (``seed`` drives every draw).
    ``defocus_A``, ``source_size_A``: (low, high) [Å] to draw each sample's probe defocus
    and source size (FWHM) from, uniformly; ``None`` for 0. The other draws do not depend
    on them (:data:`OPTICS_STREAMS`).
    """
    rng = np.random.default_rng(seed)
    by_tier: dict[int, list] = {1: [], 2: [], 3: []}
    for atoms in structures:
        if qualify(atoms, criteria=FILTERS[criteria]).qualifies:
            by_tier[assign_tier(atoms).tier].append(atoms)
    chosen: list = []
    quota = int(np.ceil(n / 3))
    for tier in (1, 2, 3):
        pool = by_tier[tier]
        take = rng.permutation(len(pool))[: min(quota, len(pool))]
        chosen.extend(pool[i] for i in take)
    rest = [a for t in (2, 3, 1) for a in by_tier[t] if not any(a is c for c in chosen)]
    rng.shuffle(rest)
    chosen = (chosen + rest)[:n]
    optics = draw_optics(
        len(chosen), seed=seed, ranges={"defocus_A": defocus_A, "source_size_A": source_size_A}
    )
    specs = []
    for index, atoms in enumerate(chosen):
        tier = assign_tier(atoms)
        lengths = tuple(np.linalg.norm(atoms.cell[:2, :2], axis=1))
        specs.append(
            SampleSpec(
                sample_id=f"{index:04d}-{atoms.info['id']}",
                structure_id=atoms.info["id"],
                tier=tier.tier,
                dose_e_per_A2=round(sample_dose(tier, rng), 1),
                rotation_deg=round(float(rng.uniform(0, 360)), 3) if rotate else 0.0,
                pixel_size_A=pixel_size_A,
                shape_px=field_px(lengths, pixel_size_A),
                mode=mode,
                simulator=simulator,
                seed=int(rng.integers(0, 2**31 - 1)),
                defocus_A=optics["defocus_A"][index],
                source_size_A=optics["source_size_A"][index],
            )
        )
    return specs


@dataclass(frozen=True)
class Sample:
    """A built sample on disk."""

    folder: Path
    meta: dict[str, Any]

    @property
    def image(self) -> Path:
        return self.folder / "image.tif"

    @property
    def truth(self) -> Path:
        return self.folder / "truth.cif"

    @property
    def tier(self) -> int:
        return int(self.meta["tier"])

    @property
    def sample_id(self) -> str:
        return self.folder.name


def read_dataset(folder: Path) -> list[Sample]:
    """The complete samples of a built data set (those with a meta.json), sorted by id."""
    samples = []
    for meta in sorted(Path(folder).glob("*/meta.json")):
        samples.append(Sample(meta.parent, json.loads(meta.read_text())))
    if not samples:
        raise FileNotFoundError(f"{folder} holds no built samples (*/meta.json)")
    return samples
