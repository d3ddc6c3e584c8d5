"""``automat bench build``: simulate the benchmark's images from the shared monolayers.

Resumable (a sample whose meta.json exists is skipped; meta.json is written last and
atomically) and parallel over processes. ``--unrotated DIR`` writes, next to each rotated
sample, the same structure, dose and noise seed without rotation into a second data set,
from the same multislice scan (one more detector, not one more simulation).
``defocus_A`` and ``source_size_A`` ranges draw each sample's probe defocus and effective
source size (recorded in its meta.json, the ranges in manifest.json); without them both are
0, as in every set built before they existed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from reconstruction.bench.dataset import SampleSpec, check_range, select
from reconstruction.data import load_monolayers, monolayer, monolayers_path


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


def build_sample(
    spec: SampleSpec, out: Path, unrotated: Path | None = None, data_dir: Path | None = None
) -> dict:
    """Simulate one sample into ``out/<sample_id>/``; returns its meta.

    With ``unrotated``, also its unrotated view into ``unrotated/<sample_id>/`` (same
    structure, dose and noise seed; for the full simulator from the same scan).
    ``data_dir``: the shared data folder (default: the one next to the repository).
    """
    from reconstruction.simulate import ImagingConfig, simulate_fast

    atoms = monolayer(spec.structure_id, monolayers_path(data_dir))
    views = [(spec, out)]
    if unrotated is not None:
        views.append((dataclasses.replace(spec, rotation_deg=0.0), unrotated))
    configs = [
        ImagingConfig(
            mode=s.mode,
            dose_e_per_A2=s.dose_e_per_A2,
            pixel_size_A=s.pixel_size_A,
            shape_px=(s.shape_px, s.shape_px),
            rotation_deg=s.rotation_deg,
            defocus_A=s.defocus_A,
            source_size_A=s.source_size_A,
            seed=s.seed,
        )
        for s, _ in views
    ]
    start = time.perf_counter()
    if spec.simulator == "full":
        from reconstruction.simulate.multislice import simulate_full_views

        results = simulate_full_views(atoms, configs)
    else:
        results = [simulate_fast(atoms, c) for c in configs]
    elapsed = round(time.perf_counter() - start, 3)
    metas = [_write_sample(s, atoms, result, folder, elapsed)
             for (s, folder), result in zip(views, results, strict=True)]  # fmt: skip
    return metas[0]


def _write_sample(spec: SampleSpec, atoms, result, out: Path, simulation_s: float) -> dict:
    from ase.io import write

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
        # With an unrotated companion: the time of both views together.
        "simulation_s": simulation_s,
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
    unrotated: Path | None = None,
    defocus_A: tuple[float, float] | None = None,
    source_size_A: tuple[float, float] | None = None,
    data_dir: Path | None = None,
) -> list[SampleSpec]:
    """Build (or finish building) a data set of ``n`` samples in ``out``.

    ``unrotated``: also build the same samples without rotation there (``rotate`` must be
    true: the unrotated set of an unrotated build is itself). ``defocus_A``,
    ``source_size_A``: (low, high) [Å] each sample's defocus and source size (FWHM) are
    drawn from, uniformly (``None``: 0); the same seed without them gives the same
    structures, doses, rotations and noise seeds. ``data_dir``: the shared data folder the
    monolayers come from (``ScienceSettings.shared_data_dir``; default: the one next to the
    repository).
    """
    if unrotated is not None and not rotate:
        raise ValueError("--unrotated needs a rotated build (without rotation it is the same set)")
    ranges = {"defocus_A": defocus_A, "source_size_A": source_size_A}
    for name, bounds in ranges.items():
        if bounds is not None:
            check_range(name, bounds)
    out.mkdir(parents=True, exist_ok=True)
    specs = select(
        load_monolayers(monolayers_path(data_dir)), n=n, seed=seed, criteria=criteria, mode=mode,
        simulator=simulator, rotate=rotate, defocus_A=defocus_A, source_size_A=source_size_A,
    )  # fmt: skip
    manifest = {
        "n": n, "seed": seed, "mode": mode, "simulator": simulator, "criteria": criteria,
        "rotate": rotate,
        # Ranges the samples' optics were drawn from (null: 0 for every sample).
        **{k: None if v is None else [float(x) for x in v] for k, v in ranges.items()},
        "samples": [s.sample_id for s in specs],
    }  # fmt: skip
    _atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    targets = [out]
    if unrotated is not None:
        unrotated.mkdir(parents=True, exist_ok=True)
        companion = {**manifest, "rotate": False, "unrotated_view_of": str(out)}
        _atomic_write_text(unrotated / "manifest.json", json.dumps(companion, indent=1))
        targets.append(unrotated)
    todo = [s for s in specs if not all((t / s.sample_id / "meta.json").exists() for t in targets)]
    # Round-robin over tiers, so an interrupted (full multislice) build covers all of them.
    rank = {s.sample_id: i for i, s in enumerate(sorted(specs, key=lambda s: s.tier))}
    first = {
        t: min(rank[s.sample_id] for s in specs if s.tier == t) for t in {s.tier for s in specs}
    }
    todo.sort(key=lambda s: (rank[s.sample_id] - first[s.tier], s.tier))
    _run_all(
        todo, out, unrotated, workers=workers, progress=progress, total=len(specs),
        data_dir=data_dir,
    )  # fmt: skip
    return specs


def _run_all(
    todo: list[SampleSpec], out: Path, unrotated: Path | None, *, workers: int, progress: bool,
    total: int, data_dir: Path | None = None,
):  # fmt: skip
    from tqdm import tqdm

    bar = tqdm(total=total, initial=total - len(todo), disable=not progress, unit="sample")
    if workers <= 1:
        for spec in todo:
            build_sample(spec, out, unrotated, data_dir)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(build_sample, spec, out, unrotated, data_dir) for spec in todo]
            for future in as_completed(futures):
                future.result()
                bar.update()
    bar.close()
