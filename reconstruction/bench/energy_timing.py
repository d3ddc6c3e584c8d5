"""Timing benchmark: relax and score small cells (<= 12 atoms), references cached.

Run as::

    nice -n 10 .venv/bin/python -m reconstruction.bench.energy_timing --model chgnet-0.3.0 --n 20

Prints JSON: model load time, and per structure the wall time of relax + formation energy
(the first call also computes any missing references; that is reported separately).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from reconstruction.bench.energy_oracle import DEFAULT_CACHE


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    import torch
    from ase.build import mx2

    from reconstruction.energy.backends import get_calculator
    from reconstruction.energy.dataset import load_labelled
    from reconstruction.energy.formation import predict_formation_energy
    from reconstruction.energy.references import get_references

    p = argparse.ArgumentParser(prog="python -m reconstruction.bench.energy_timing")
    p.add_argument("--model", required=True)
    p.add_argument("--scheme", default="elemental")
    p.add_argument("--n", type=int, default=20, help="evaluation structures with <= 12 atoms")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    structures = [mx2("MoS2", a=3.184, thickness=3.13, vacuum=9.0)]
    structures += [a for a in load_labelled("eval") if len(a) <= 12][: args.n]
    start = time.perf_counter()
    calc = get_calculator(args.model)
    load_s = time.perf_counter() - start
    elements = sorted({s for a in structures for s in a.get_chemical_symbols()})
    start = time.perf_counter()
    get_references(args.model, args.scheme, cache_dir=args.cache_dir, elements=elements, calc=calc)
    refs_s = time.perf_counter() - start
    times = []
    for atoms in structures:
        start = time.perf_counter()
        predict_formation_energy(
            atoms, model=args.model, scheme=args.scheme, cache_dir=args.cache_dir, calc=calc
        )
        times.append(time.perf_counter() - start)
    t = np.array(times)
    report = {
        "model": args.model,
        "scheme": args.scheme,
        "model_load_s": round(load_s, 2),
        "references_s": round(refs_s, 2),
        "n": len(t),
        "mos2_s": round(float(t[0]), 2),
        "mean_s": round(float(t.mean()), 2),
        "median_s": round(float(np.median(t)), 2),
        "max_s": round(float(t.max()), 2),
        "within_10_s": int((t <= 10).sum()),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
