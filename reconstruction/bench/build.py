"""``automat bench build``: simulate the benchmark's images from the shared monolayers.

Resumable (a sample whose meta.json exists is skipped; meta.json is written last and
atomically) and parallel over processes.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from reconstruction.bench.dataset import SampleSpec, select
from reconstruction.data import load_monolayers, monolayer


def write_calibrated_tiff(path: Path, image: np.ndarray, pixel_size_A: float) -> None:
    """float32 TIFF with the pixel size [Å] in ImageJ metadata (what reconstruction.io reads)."""
    import tifffile

    tifffile.imwrite(
        path,
        np.asarray(image, dtype=np.float32),
        imagej=True,
        resolution=(1.0 / pixel_size_A, 1.0 / pixel_size_A),
        metadata={"unit": "angstrom"},
    )


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build_sample(spec: SampleSpec, out: Path) -> dict:
    """Simulate one sample into ``out/<sample_id>/``; returns its meta."""
    from ase.io import write

    from reconstruction.simulate import ImagingConfig, simulate_fast, simulate_full

    atoms = monolayer(spec.structure_id)
    config = ImagingConfig(
        mode=spec.mode,
        dose_e_per_A2=spec.dose_e_per_A2,
        pixel_size_A=spec.pixel_size_A,
        shape_px=(spec.shape_px, spec.shape_px),
        rotation_deg=spec.rotation_deg,
        seed=spec.seed,
    )
    start = time.perf_counter()
    simulate = simulate_full if spec.simulator == "full" else simulate_fast
    result = simulate(atoms, config)
    folder = out / spec.sample_id
    folder.mkdir(parents=True, exist_ok=True)
    write_calibrated_tiff(folder / "image.tif", result.image, spec.pixel_size_A)
    write(folder / "truth.cif", atoms, format="cif")
    info = atoms.info
    e_form = info.get("e_form_pbe")
    meta = {
        **spec.as_dict(),
        "formula": info["formula"],
        "elements": sorted(set(atoms.get_chemical_symbols())),
        "n_atoms": len(atoms),
        "source": info.get("source"),
        "e_form_pbe_eV_per_atom": None if e_form is None else float(e_form),
        "e_form_source": info.get("e_form_source"),
        "simulation_s": round(time.perf_counter() - start, 3),
    }
    _atomic_write_text(folder / "meta.json", json.dumps(meta, indent=1))
    return meta


def build(
    out: Path,
    *,
    n: int,
    seed: int,
    mode: str = "idpc",
    simulator: str = "fast",
    criteria: str = "loose",
    rotate: bool = True,
    workers: int = 2,
    progress: bool = True,
) -> list[SampleSpec]:
    """Build (or finish building) a data set of ``n`` samples in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    specs = select(
        load_monolayers(), n=n, seed=seed, criteria=criteria, mode=mode,
        simulator=simulator, rotate=rotate,
    )  # fmt: skip
    manifest = {
        "n": n, "seed": seed, "mode": mode, "simulator": simulator, "criteria": criteria,
        "rotate": rotate, "samples": [s.sample_id for s in specs],
    }  # fmt: skip
    _atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    todo = [s for s in specs if not (out / s.sample_id / "meta.json").exists()]
    # Round-robin over tiers, so an interrupted (full multislice) build covers all of them.
    rank = {s.sample_id: i for i, s in enumerate(sorted(specs, key=lambda s: s.tier))}
    first = {
        t: min(rank[s.sample_id] for s in specs if s.tier == t) for t in {s.tier for s in specs}
    }
    todo.sort(key=lambda s: (rank[s.sample_id] - first[s.tier], s.tier))
    _run_all(todo, out, workers=workers, progress=progress, total=len(specs))
    return specs


def _run_all(todo: list[SampleSpec], out: Path, *, workers: int, progress: bool, total: int):
    from tqdm import tqdm

    bar = tqdm(total=total, initial=total - len(todo), disable=not progress, unit="sample")
    if workers <= 1:
        for spec in todo:
            build_sample(spec, out)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(build_sample, spec, out) for spec in todo]
            for future in as_completed(futures):
                future.result()
                bar.update()
    bar.close()
