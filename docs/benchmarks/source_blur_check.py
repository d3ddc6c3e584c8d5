"""How well STEM2CIF measures the effective source size: every third sample of a benchmark
set built with ``--source-size-A``, the fitted sigma against the simulated FWHM / 2.355.

    python docs/benchmarks/source_blur_check.py var/bench/s31-idpc var/bench/s31-haadf \\
        --json docs/benchmarks/source_blur_check.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import tifffile

from reconstruction.errors import ReconstructionError
from reconstruction.simulate.render import FWHM_PER_SIGMA
from reconstruction.stem2cif import reconstruct


def check(dataset: Path, every: int = 3) -> dict:
    errors, missing = [], 0
    for folder in sorted(p for p in dataset.iterdir() if p.is_dir())[::every]:
        meta = json.loads((folder / "meta.json").read_text())
        image = tifffile.imread(folder / "image.tif").astype(float)
        try:
            result = reconstruct(
                image, pixel_size_A=meta["pixel_size_A"], elements=meta["elements"],
                mode=meta["mode"],
            )  # fmt: skip
        except ReconstructionError:
            missing += 1
            continue
        errors.append(result.source_sigma_A - meta["source_size_A"] / FWHM_PER_SIGMA)
    err = np.array(errors)
    return {
        "set": dataset.name,
        "samples": len(err),
        "without_structure": missing,
        "median_abs_error_A": round(float(np.median(np.abs(err))), 4),
        "within_0.03_A": round(float(np.mean(np.abs(err) <= 0.03)), 3),
        "within_0.05_A": round(float(np.mean(np.abs(err) <= 0.05)), 3),
        "median_bias_A": round(float(np.median(err)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--every", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = [check(d, args.every) for d in args.datasets]
    for row in rows:
        print(row, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
