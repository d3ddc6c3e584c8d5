"""The negative set: images no run may call ``succeeded``.

Twenty micrographs of the kinds a lab server is sent by mistake, each with the elements and
calibration a user would enter: pure noise (white, Poisson, 1/f, smooth blobs, 8-bit
uniform), a real lattice at the wrong pixel size (too large and too small, inside and
outside the range microscopes use), the wrong elements for the lattice, and atoms with no
lattice at all. Built as a benchmark data set (``image.tif`` with its calibration,
``meta.json``), so ``automat bench run OUT RESULTS --method agent`` processes it like any
other; :func:`score` counts how each run ended::

    python -m reconstruction.bench.negatives build var/bench/negatives
    automat bench run var/bench/negatives var/bench/negatives-agent --method agent --energy none
    python -m reconstruction.bench.negatives score var/bench/negatives var/bench/negatives-agent
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

#: Side of every image [px].
SIZE_PX = 384


@dataclass(frozen=True)
class Negative:
    """One negative sample: what it is, what a user entered, and how to make its image."""

    sample_id: str
    kind: str  # "noise", "pixel_size", "elements" or "no_lattice"
    note: str
    elements: tuple[str, ...]
    mode: str
    pixel_size_A: float  # the calibration written into the file
    make: Callable[[np.random.Generator], np.ndarray]


def _simulated(structure_id: str, mode: str, *, true_px: float = 0.1, dose: float = 3e4):
    def make(rng: np.random.Generator) -> np.ndarray:
        from reconstruction.data import monolayer
        from reconstruction.simulate import ImagingConfig, simulate_fast

        config = ImagingConfig(
            mode=mode, dose_e_per_A2=dose, pixel_size_A=true_px, shape_px=(SIZE_PX, SIZE_PX),
            rotation_deg=float(rng.uniform(0, 60)), seed=int(rng.integers(1 << 31)),
        )  # fmt: skip
        return simulate_fast(monolayer(structure_id), config).image

    return make


def _random_atoms(symbols: tuple[str, ...], mode: str, density_per_A2: float):
    """Atoms scattered at random (no lattice), imaged like a monolayer."""

    def make(rng: np.random.Generator) -> np.ndarray:
        from ase import Atoms

        from reconstruction.simulate import ImagingConfig, simulate_fast

        side = SIZE_PX * 0.1
        n = int(density_per_A2 * side * side)
        xy = rng.uniform(0, side, (n, 2))
        atoms = Atoms(
            symbols=[symbols[i % len(symbols)] for i in range(n)],
            positions=np.column_stack([xy, rng.uniform(-1.5, 1.5, n) + 10.0]),
            cell=[side, side, 20.0], pbc=True,
        )  # fmt: skip
        config = ImagingConfig(
            mode=mode, dose_e_per_A2=3e4, pixel_size_A=0.1, shape_px=(SIZE_PX, SIZE_PX),
            seed=int(rng.integers(1 << 31)),
        )  # fmt: skip
        return simulate_fast(atoms, config).image

    return make


def _white(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(100.0, 10.0, (SIZE_PX, SIZE_PX))


def _poisson(rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(3.0, (SIZE_PX, SIZE_PX)).astype(float)


def _pink(rng: np.random.Generator) -> np.ndarray:
    """1/f noise: the spectrum of iDPC noise and of slowly varying backgrounds."""
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(SIZE_PX), np.fft.fftfreq(SIZE_PX)))
    spectrum = np.fft.fft2(rng.normal(size=(SIZE_PX, SIZE_PX))) / np.maximum(k, 1.0 / SIZE_PX)
    return np.real(np.fft.ifft2(spectrum))


def _blobs(rng: np.random.Generator) -> np.ndarray:
    """Smooth blobs of about an atom's size: amorphous contamination."""
    return ndimage.gaussian_filter(rng.normal(size=(SIZE_PX, SIZE_PX)), 4.0)


def _uniform8(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, (SIZE_PX, SIZE_PX)).astype(float)


def negatives() -> list[Negative]:
    """The twenty negative samples, in a fixed order."""
    mos2, wse2, graphene = "c2dm-MoS2-H", "c2dm-WSe2-H", "2dm-3993"
    rows = [
        ("noise", "white Gaussian noise", ("Mo", "S"), "haadf", 0.1, _white),
        ("noise", "white Gaussian noise", ("W", "Se"), "idpc", 0.1, _white),
        ("noise", "Poisson noise, 3 counts per pixel", ("Mo", "S"), "haadf", 0.05, _poisson),
        ("noise", "1/f noise", ("Mo", "S"), "idpc", 0.1, _pink),
        ("noise", "smooth blobs (contamination)", ("C",), "haadf", 0.1, _blobs),
        ("noise", "uniform 8-bit noise", ("W", "Se"), "haadf", 0.2, _uniform8),
        ("pixel_size", "MoS2 at 0.1 Å/px labelled 0.13", ("Mo", "S"), "haadf", 0.13, None),
        ("pixel_size", "MoS2 at 0.1 Å/px labelled 0.07", ("Mo", "S"), "haadf", 0.07, None),
        ("pixel_size", "WSe2 at 0.1 Å/px labelled 0.15", ("W", "Se"), "haadf", 0.15, None),
        ("pixel_size", "WSe2 at 0.1 Å/px labelled 0.06", ("W", "Se"), "idpc", 0.06, None),
        ("pixel_size", "graphene at 0.1 Å/px labelled 0.125", ("C",), "idpc", 0.125, None),
        ("pixel_size", "MoS2 at 0.1 Å/px labelled 0.2", ("Mo", "S"), "idpc", 0.2, None),
        ("pixel_size", "MoS2 at 0.1 Å/px labelled 5 (outside)", ("Mo", "S"), "haadf", 5.0, None),
        ("pixel_size", "WSe2 at 0.1 Å/px labelled 0.01", ("W", "Se"), "haadf", 0.01, None),
        ("elements", "MoS2 entered as C", ("C",), "haadf", 0.1, None),
        ("elements", "graphene entered as Mo,S", ("Mo", "S"), "idpc", 0.1, None),
        ("elements", "WSe2 entered as B,N", ("B", "N"), "haadf", 0.1, None),
        ("pixel_size", "WSe2 at 0.1 Å/px labelled 0.115", ("W", "Se"), "haadf", 0.115, None),
        ("no_lattice", "Mo and S atoms at random", ("Mo", "S"), "haadf", 0.1, None),
        ("no_lattice", "C atoms at random", ("C",), "idpc", 0.1, None),
    ]  # fmt: skip
    source = {
        "MoS2": mos2, "WSe2": wse2, "graphene": graphene,
    }  # fmt: skip
    out = []
    for i, (kind, note, elements, mode, px, make) in enumerate(rows):
        if make is None and kind == "no_lattice":
            make = _random_atoms(elements, mode, 0.12)
        elif make is None:
            make = _simulated(source[note.split()[0]], mode)
        sample_id = f"{i:02d}-{kind}"
        out.append(Negative(sample_id, kind, note, elements, mode, px, make))
    return out


def build(out: Path, *, seed: int = 0) -> list[dict]:
    """Write the negative set under ``out`` (one folder per sample); returns the metas."""
    from reconstruction.bench.build import write_calibrated_tiff

    out.mkdir(parents=True, exist_ok=True)
    metas = []
    for i, neg in enumerate(negatives()):
        rng = np.random.default_rng([seed, i])
        folder = out / neg.sample_id
        folder.mkdir(exist_ok=True)
        write_calibrated_tiff(folder / "image.tif", neg.make(rng), neg.pixel_size_A)
        meta = {
            "sample_id": neg.sample_id, "kind": neg.kind, "note": neg.note,
            "elements": list(neg.elements), "mode": neg.mode, "pixel_size_A": neg.pixel_size_A,
            "tier": 0, "expect": "not succeeded",
        }  # fmt: skip
        (folder / "meta.json").write_text(json.dumps(meta, indent=2))
        metas.append(meta)
    (out / "manifest.json").write_text(json.dumps({"set": "negatives", "seed": seed}, indent=2))
    return metas


def score(dataset: Path, results: Path) -> dict:
    """How each negative run ended: ``{"rows": [...], "counts": {...}, "wrong_succeeded": n}``."""
    rows = []
    for meta_path in sorted(Path(dataset).glob("*/meta.json")):
        meta = json.loads(meta_path.read_text())
        path = Path(results) / meta["sample_id"] / "result.json"
        result = json.loads(path.read_text()) if path.exists() else {"status": "missing"}
        rows.append(
            {
                "sample": meta["sample_id"], "note": meta["note"],
                "status": result.get("status"), "formula": result.get("formula"),
                "reason": result.get("error"),
            }
        )  # fmt: skip
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"rows": rows, "counts": counts, "wrong_succeeded": counts.get("succeeded", 0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconstruction.bench.negatives")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the negative set")
    b.add_argument("out", type=Path)
    b.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("score", help="how each run of the set ended")
    s.add_argument("dataset", type=Path)
    s.add_argument("results", type=Path)
    s.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.out, seed=args.seed)
        return 0
    report = score(args.dataset, args.results)
    for row in report["rows"]:
        print(f"{row['sample']:<16} {row['status']:<13} {row['formula'] or '-':<8} {row['note']}")
        print(f"{'':<16} {row['reason'] or ''}")
    print(f"counts: {report['counts']}; wrong succeeded: {report['wrong_succeeded']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 1 if report["wrong_succeeded"] else 0


if __name__ == "__main__":
    sys.exit(main())
