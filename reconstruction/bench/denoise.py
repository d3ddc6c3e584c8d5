"""Benchmarks of the denoisers (docs/benchmarks/denoise.md).

    python -m reconstruction.bench.denoise quality --out docs/benchmarks/denoise-quality.json
    python -m reconstruction.bench.denoise timing --out docs/benchmarks/denoise-timing.json
    python -m reconstruction.bench.denoise prepare var/bench/fast-450 OUT --every 3

``quality``: PSNR and SSIM against the clean image on the held-out evaluation pairs
(:func:`reconstruction.denoise.data.evaluation_pairs`: structures neither trained on nor
in the benchmark, each in the three modes at its tier's dose), per tier and mode, for the
noisy input and every method. ``timing``: seconds to denoise a 1024x1024 image.
``prepare``: a subset of a built benchmark (every ``--every``-th sample; symlinks) and the
same subset with denoised images (``<out>-<method>``), for ``automat bench run/score``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

QUALITY_METHODS = ("noisy", "moe", "single", "gaussian", "nlm", "bragg")


def psnr(image: np.ndarray, clean: np.ndarray) -> float:
    """Peak signal-to-noise ratio [dB], peak = the clean image's range."""
    span = float(clean.max() - clean.min())
    return float(10 * np.log10(span**2 / float(np.mean((image - clean) ** 2))))


def ssim(image: np.ndarray, clean: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    span = float(clean.max() - clean.min())
    return float(structural_similarity(image, clean, data_range=span))


def quality(out: Path | None, *, threads: int = 0, log=print) -> dict:
    """Per-image PSNR/SSIM of every method on the evaluation pairs, and the table
    (``threads``: torch CPU threads, 0 chooses)."""
    from reconstruction.denoise import denoise
    from reconstruction.denoise.data import DataConfig, evaluation_pairs
    from reconstruction.denoise.types import DenoiseError

    pairs = evaluation_pairs(DataConfig())
    rows = []
    for i, pair in enumerate(pairs):
        noisy, clean = pair["noisy_full"], pair["clean"]
        row = {"id": pair["id"], "tier": pair["tier"], "mode": pair["mode"]}
        for method in QUALITY_METHODS:
            failed = False
            start = time.perf_counter()
            if method == "noisy":
                image = noisy
            else:
                try:
                    image = denoise(
                        noisy, pixel_size_A=0.1, mode=pair["mode"], method=method,
                        threads=threads,
                    ).image  # fmt: skip
                except DenoiseError:
                    image, failed = noisy, True  # scored as the untouched input
            row[method] = {
                "psnr": round(psnr(image, clean), 3),
                "ssim": round(ssim(image, clean), 4),
                "seconds": round(time.perf_counter() - start, 3),
                "failed": failed,
            }
        rows.append(row)
        log(f"{i + 1}/{len(pairs)} {row['id']} {row['mode']}: " + ", ".join(
            f"{m} {row[m]['psnr']:.1f}" for m in QUALITY_METHODS))  # fmt: skip
    report = {"machine": machine(), "images": rows, "table": quality_table(rows)}
    if out:
        out.write_text(json.dumps(report, indent=1) + "\n")
    return report


def quality_table(rows: list[dict]) -> list[dict]:
    """Mean PSNR/SSIM per (tier, mode), per tier, per mode and overall."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        for key in ((row["tier"], row["mode"]), (row["tier"], "all"), ("all", row["mode"])):
            groups.setdefault(key, []).append(row)
        groups.setdefault(("all", "all"), []).append(row)
    table = []
    for (tier, mode), members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        entry = {"tier": tier, "mode": mode, "n": len(members)}
        for method in QUALITY_METHODS:
            entry[method] = {
                "psnr": round(float(np.mean([r[method]["psnr"] for r in members])), 2),
                "ssim": round(float(np.mean([r[method]["ssim"] for r in members])), 3),
                "failed": int(sum(r[method]["failed"] for r in members)),
            }
        table.append(entry)
    return table


def markdown(table: list[dict]) -> str:
    head = "| tier | mode | n | " + " | ".join(QUALITY_METHODS) + " |"
    lines = [head, "|" + "---|" * (3 + len(QUALITY_METHODS))]
    for e in table:
        cells = []
        for m in QUALITY_METHODS:
            fail = f" ({e[m]['failed']} failed)" if e[m]["failed"] else ""
            cells.append(f"{e[m]['psnr']:.2f} / {e[m]['ssim']:.3f}{fail}")
        lines.append(f"| {e['tier']} | {e['mode']} | {e['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def timing(
    out: Path | None, *, size: int = 1024, repeat: int = 3, threads: int = 0, log=print
) -> dict:
    """Seconds to denoise a ``size`` x ``size`` simulated iDPC image (0.1 Å/px) per method."""
    from reconstruction.data import monolayer
    from reconstruction.denoise import denoise
    from reconstruction.denoise.infer import load_weights, set_threads
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(dose_e_per_A2=2e4, shape_px=(size, size), rotation_deg=12.0)
    image = simulate_fast(monolayer("c2dm-MoS2-H"), config).image
    threads = set_threads(threads)
    load_weights(None, "cpu")  # loading (once per process) is not part of the time
    report = {"machine": machine(), "size_px": size, "threads": threads, "methods": {}}
    for method in ("moe", "single", "gaussian", "bragg", "nlm"):
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            denoise(image, pixel_size_A=0.1, method=method, threads=threads)
            runs.append(round(time.perf_counter() - start, 3))
        report["methods"][method] = {"seconds": runs, "median_s": float(np.median(runs))}
        log(f"{method}: {runs}")
    report["load_average"] = os.getloadavg()
    if out:
        out.write_text(json.dumps(report, indent=1) + "\n")
    return report


def prepare(
    dataset: Path,
    out: Path,
    *,
    every: int,
    method: str = "moe",
    tier: int | None = None,
    threads: int = 0,
    log=print,
) -> None:
    """``out``: every ``every``-th sample of ``dataset`` (symlinks); ``out-<method>``: the
    same samples with the image denoised (float32 TIFF, same calibration); ``method``
    ``"none"`` makes only the subset."""
    from reconstruction.bench.build import write_calibrated_tiff
    from reconstruction.bench.dataset import read_dataset
    from reconstruction.denoise import denoise
    from reconstruction.io import read_micrograph

    samples = read_dataset(dataset)[::every]
    if tier is not None:
        samples = [s for s in samples if s.tier == tier]
    out.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        link = out / sample.sample_id
        if not link.exists():
            link.symlink_to(sample.folder.resolve())
    if method == "none":
        return
    denoised = out.parent / f"{out.name}-{method}"
    denoised.mkdir(parents=True, exist_ok=True)
    records = []
    for i, sample in enumerate(samples):
        folder = denoised / sample.sample_id
        if (folder / "meta.json").exists():
            continue
        folder.mkdir(exist_ok=True)
        micro = read_micrograph(sample.image)
        pixel = micro.calibration.pixel_size_A
        result = denoise(
            micro.data, pixel_size_A=pixel, mode=sample.meta["mode"], method=method,
            threads=threads,
        )  # fmt: skip
        write_calibrated_tiff(folder / "image.tif", result.image, pixel)
        (folder / "truth.cif").write_bytes(sample.truth.read_bytes())
        records.append({"sample": sample.sample_id, **result.as_dict()})
        (folder / "denoise.json").write_text(json.dumps(records[-1], indent=1))
        (folder / "meta.json").write_text(json.dumps(sample.meta, indent=1))
        log(f"{i + 1}/{len(samples)} {sample.sample_id}: expert {result.expert}, "
            f"sigma {result.noise_before.sigma:.2f} -> {result.noise_after.sigma:.2f}, "
            f"{result.timings_s['total']:.2f} s")  # fmt: skip


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconstruction.bench.denoise")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads (default 0: chosen by load)"
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    q = verbs.add_parser("quality")
    q.add_argument("--out", type=Path, default=None)
    t = verbs.add_parser("timing")
    t.add_argument("--out", type=Path, default=None)
    t.add_argument("--size", type=int, default=1024)
    t.add_argument("--repeat", type=int, default=3)
    p = verbs.add_parser("prepare")
    p.add_argument("dataset", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--every", type=int, default=3)
    p.add_argument("--method", default="moe")
    p.add_argument("--tier", type=int, default=None, help="only this tier's samples")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.verb == "quality":
        print(markdown(quality(args.out, threads=args.threads, log=log)["table"]))
    elif args.verb == "timing":
        report = timing(args.out, size=args.size, repeat=args.repeat, threads=args.threads, log=log)
        print(json.dumps(report))
    else:
        prepare(args.dataset, args.out, every=args.every, method=args.method, tier=args.tier,
                threads=args.threads, log=log)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
