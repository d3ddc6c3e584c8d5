"""Measure the simulators: full multislice against independent checks, fast against full.

Run::

    nice -n 10 .venv/bin/python -m reconstruction.bench.simulator \\
        --out docs/benchmarks/simulator.json

(a) Full iDPC (4-segment, multislice) against two independent images of the same cell:
the integrated centre of mass from a pixelated detector (same multislice run, abTEM's
``center_of_mass``) and abTEM's projected potential correlated with abTEM's probe
intensity. (b) Fast against full per structure and mode: correlation and least-squares
scale of the clean images, noise power spectra at the same dose (ratio per radial bin),
and the time per image. Structures come from ``monolayers.extxyz`` in ``--data`` (default
``<repo>/../shared/data``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import iread

from reconstruction.data import shared_data_dir
from reconstruction.simulate import fast, optics
from reconstruction.simulate.cell import Columns, OrthoCell, PeriodicSignal, signal_from_grid
from reconstruction.simulate.config import ImagingConfig
from reconstruction.simulate.fast import fast_signal, prepare
from reconstruction.simulate.multislice import full_signals, trimmed_slab
from reconstruction.simulate.render import evaluate, form_image, integrate_dpc, render

STRUCTURES = {
    "c2dm-MoS2-H": "MoS2 2H",
    "2dm-3993": "graphene",
    "2dm-4991": "hBN",
    "mc2d-ZrNCl-2b92cc43": "ZrNCl (ternary)",
}
ROTATED = ("c2dm-MoS2-H", 23.0)
BASE = ImagingConfig(shape_px=(256, 256), pixel_size_A=0.1, dose_e_per_A2=2.0e4, seed=7)
NOISE_SEEDS = 8


def load_structures(ids: list[str], data_dir: Path | None = None) -> dict[str, Atoms]:
    """Read the requested structures by ``info['id']`` from ``monolayers.extxyz``."""
    found: dict[str, Atoms] = {}
    for atoms in iread(shared_data_dir(data_dir) / "monolayers.extxyz", index=":"):
        if atoms.info["id"] in ids:
            found[atoms.info["id"]] = atoms
            if len(found) == len(ids):
                break
    return found


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two images."""
    return float(np.corrcoef(x.ravel(), y.ravel())[0, 1])


def fit_scale(model: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Least-squares (scale, offset) with ``target ~ scale * model + offset``."""
    design = np.stack([model.ravel(), np.ones(model.size)], axis=1)
    scale, offset = np.linalg.lstsq(design, target.ravel().astype(float), rcond=None)[0]
    return float(scale), float(offset)


def radial_psd(noise: np.ndarray, pixel_size_A: float, bins: np.ndarray) -> np.ndarray:
    """Radially averaged power spectrum of ``noise`` [units^2 Å^2] in the ``bins`` [1/Å]."""
    rows, cols = noise.shape
    power = np.abs(np.fft.fft2(noise - noise.mean())) ** 2 * pixel_size_A**2 / (rows * cols)
    freq = (np.fft.fftfreq(rows, pixel_size_A), np.fft.fftfreq(cols, pixel_size_A))
    k = np.hypot(*np.meshgrid(*freq, indexing="ij"))
    which = np.digitize(k.ravel(), bins)
    return np.array([power.ravel()[which == i].mean() for i in range(1, len(bins))])


def _field(signal: PeriodicSignal, config: ImagingConfig) -> np.ndarray:
    fractions = evaluate(
        signal,
        shape_px=config.shape_px,
        pixel_size_A=config.pixel_size_A,
        rotation_deg=config.rotation_deg,
    )
    return form_image(fractions, config)


def abtem_potential_check(cell: OrthoCell, config: ImagingConfig) -> PeriodicSignal:
    """abTEM projected potential correlated with abTEM's probe intensity, one channel."""
    import abtem

    a, b = cell.ab
    reps = (math.ceil(config.min_extent_A / a), math.ceil(config.min_extent_A / b))
    potential = abtem.Potential(
        trimmed_slab(cell) * (*reps, 1),
        sampling=0.04,
        parametrization="lobato",
        projection="infinite",
    )
    projected = np.asarray(potential.project().compute(progress_bar=False).array, dtype=float)
    probe = abtem.Probe(
        energy=config.energy_eV,
        semiangle_cutoff=config.semiangle_mrad,
        defocus=config.defocus_A,
        gpts=potential.gpts,
        extent=potential.extent,
    )
    intensity = np.asarray(
        probe.build((0.0, 0.0)).intensity().compute(progress_bar=False).array, dtype=float
    )
    image = np.fft.ifft2(np.fft.fft2(projected) * np.conj(np.fft.fft2(intensity))).real
    k_max = 2 * config.semiangle_mrad * 1e-3 / optics.wavelength_A(config.energy_eV)
    return signal_from_grid(image[None], cell.ab, k_max, repeats=reps)


def periodic_idpc(signal: PeriodicSignal) -> PeriodicSignal:
    """Exact periodic integration of a gradient pair: segments (4 channels) or CoM (2)."""
    c = signal.coeffs
    dx, dy = (c[0] - c[2], c[1] - c[3]) if len(c) == 4 else (c[0], c[1])
    g2 = np.sum(signal.g**2, axis=1)
    phi = (signal.g[:, 0] * dx + signal.g[:, 1] * dy) / (2j * np.pi * np.where(g2 > 0, g2, 1))
    return PeriodicSignal(signal.cell_ab, signal.g, np.where(g2 > 0, phi, 0)[None])


def independent_checks(cell: OrthoCell, signals: dict[str, PeriodicSignal]) -> dict[str, float]:
    """(a): full segmented iDPC against pixelated iCoM and against V (x) |P|^2 (abTEM).

    ``periodic_*``: the gradients integrated exactly on the periodic cell, then laid onto
    the field. ``field_*``: integrated by FFT over the finite (non-periodic) field, as
    the images are, which adds edge artefacts that the direct V (x) |P|^2 lacks.
    """
    config = dataclasses.replace(BASE, mode="idpc", rotation_deg=0.0)
    single = dataclasses.replace(config, mode="haadf")  # one channel, no integration
    start = time.perf_counter()
    conv = _field(abtem_potential_check(cell, config), single)
    conv_time = time.perf_counter() - start
    idpc = _field(periodic_idpc(signals["idpc"]), single)
    icom = _field(periodic_idpc(signals["com"]), single)
    fast_idpc = _field(periodic_idpc(fast_signal(cell, config)), single)
    com = evaluate(
        signals["com"], shape_px=config.shape_px, pixel_size_A=config.pixel_size_A, rotation_deg=0.0
    )
    field_icom = integrate_dpc(com[0], com[1], config.pixel_size_A)
    field_idpc = _field(signals["idpc"], config)
    return {
        "periodic_corr_full_idpc_vs_pixelated_icom": correlation(idpc, icom),
        "periodic_corr_full_idpc_vs_abtem_potential_conv_probe": correlation(idpc, conv),
        "periodic_corr_pixelated_icom_vs_abtem_potential_conv_probe": correlation(icom, conv),
        "periodic_corr_fast_idpc_vs_abtem_potential_conv_probe": correlation(fast_idpc, conv),
        "field_corr_full_idpc_vs_pixelated_icom": correlation(field_idpc, field_icom),
        "field_corr_full_idpc_vs_abtem_potential_conv_probe": correlation(field_idpc, conv),
        "time_abtem_potential_conv_probe_s": conv_time,
    }


def noise_psd(
    signal: PeriodicSignal, columns: Columns, config: ImagingConfig, bins: np.ndarray, seeds: int
) -> np.ndarray:
    """Radial noise power spectrum (image - clean), averaged over ``seeds`` realisations."""
    psd = np.zeros(len(bins) - 1)
    for seed in range(seeds):
        result = render(
            signal, columns, dataclasses.replace(config, seed=seed), strain=0.0, simulator=""
        )
        psd += radial_psd(result.image - result.clean, config.pixel_size_A, bins) / seeds
    return psd


def idpc_noise_theory(config: ImagingConfig, bins: np.ndarray) -> np.ndarray:
    """Predicted iDPC noise spectrum 2 f / N * p^2 / (4 pi^2 k^2), averaged per bin."""
    rows, cols = config.shape_px
    p = config.pixel_size_A
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(rows, p), np.fft.fftfreq(cols, p), indexing="ij"))
    f = optics.segment_fraction(config.semiangle_mrad, *config.segment_mrad)
    with np.errstate(divide="ignore"):
        model = 2 * f / config.electrons_per_pixel * p**2 / (4 * np.pi**2 * k**2)
    which = np.digitize(k.ravel(), bins)
    return np.array([model.ravel()[which == i].mean() for i in range(1, len(bins))])


def compare_mode(
    cell: OrthoCell,
    columns: Columns,
    full: PeriodicSignal,
    config: ImagingConfig,
    full_time_s: float,
) -> dict[str, object]:
    """(b) for one mode: clean-image agreement, noise spectra, times."""
    start = time.perf_counter()
    fast_sig = fast_signal(cell, config)
    fast_result = render(fast_sig, columns, config, strain=0.0, simulator="fast")
    fast_time = time.perf_counter() - start
    start = time.perf_counter()
    full_result = render(full, columns, config, strain=0.0, simulator="full")
    render_time = time.perf_counter() - start
    scale, offset = fit_scale(fast_result.clean, full_result.clean)
    bins = np.array([0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.0])
    psd_full = noise_psd(full, columns, config, bins, NOISE_SEEDS)
    psd_fast = noise_psd(fast_sig, columns, config, bins, NOISE_SEEDS)
    out = {
        "corr_clean_fast_vs_full": correlation(fast_result.clean, full_result.clean),
        "corr_noisy_fast_vs_full": correlation(fast_result.image, full_result.image),
        "fit_full_equals_scale_times_fast_plus_offset": [scale, offset],
        "contrast_std_clean_fast_full": [
            float(fast_result.clean.std()),
            float(full_result.clean.std()),
        ],
        "noise_psd_bins_inv_A": bins.tolist(),
        "noise_psd_full": psd_full.tolist(),
        "noise_psd_fast": psd_fast.tolist(),
        "noise_psd_ratio_fast_over_full": (psd_fast / psd_full).tolist(),
        "time_fast_image_s": fast_time,
        "time_full_image_s": full_time_s + render_time,
    }
    if config.mode == "idpc":
        out["noise_psd_theory_ratio_full_over_theory"] = (
            psd_full / idpc_noise_theory(config, bins)
        ).tolist()
    return out


def measure_structure(atoms: Atoms, modes: tuple[str, ...], rotation_deg: float) -> dict:
    """Run one multislice scan (all ``modes``) and compare every mode with the fast model."""
    cell, columns = prepare(atoms)
    config = dataclasses.replace(BASE, rotation_deg=rotation_deg)
    start = time.perf_counter()
    signals = full_signals(cell, config, modes)
    scan_time = time.perf_counter() - start
    out: dict[str, object] = {
        "formula": atoms.info.get("formula", atoms.get_chemical_formula()),
        "cell_A": list(cell.ab),
        "atoms_in_cell": len(cell.atoms),
        "rotation_deg": rotation_deg,
        "multislice_scan_s": scan_time,
        "modes_in_scan": list(modes),
        "modes": {},
    }
    for mode in (m for m in modes if m != "com"):
        mode_config = dataclasses.replace(config, mode=mode)
        out["modes"][mode] = compare_mode(cell, columns, signals[mode], mode_config, scan_time)
    if "com" in modes:
        out["independent_checks"] = independent_checks(cell, signals)
    return out


def run(out: Path, data_dir: Path | None = None) -> dict:
    """Measure everything and write the JSON report to ``out`` (structures from the shared
    data in ``data_dir``, default the folder next to the repository)."""
    total = time.perf_counter()
    atoms = load_structures(list(STRUCTURES), data_dir)
    report: dict[str, object] = {
        "date": datetime.date.today().isoformat(),
        "machine": f"2-core CPU, no GPU ({platform.processor() or platform.machine()})",
        "command": f"nice -n 10 .venv/bin/python -m reconstruction.bench.simulator --out {out}",
        "base_config": BASE.as_dict(),
        "fast_constants": {
            k: getattr(fast, k)
            for k in (
                "IDPC_SCALE",
                "HAADF_EXPONENT",
                "HAADF_BLUR_A",
                "HAADF_KAPPA_A2",
                "ABF_EXPONENT",
                "ABF_BLUR_A",
                "ABF_KAPPA_A2",
            )
        },
        "structures": {},
    }
    for sid, label in STRUCTURES.items():
        modes = ("idpc", "haadf", "abf") + (("com",) if sid == ROTATED[0] else ())
        print(f"{label}: multislice {modes}", flush=True)
        report["structures"][sid] = {"label": label, **measure_structure(atoms[sid], modes, 0.0)}
    sid, theta = ROTATED
    print(f"{STRUCTURES[sid]} rotated by {theta} deg", flush=True)
    report["rotated"] = {"id": sid, **measure_structure(atoms[sid], ("idpc",), theta)}
    report["total_time_s"] = time.perf_counter() - total
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/simulator.json"))
    parser.add_argument("--data", type=Path, default=None, help="shared data folder")
    args = parser.parse_args(argv)
    report = run(args.out, args.data)
    print(f"wrote {args.out} in {report['total_time_s']:.0f} s")


if __name__ == "__main__":
    main()
