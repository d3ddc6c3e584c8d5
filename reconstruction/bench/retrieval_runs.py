"""Template retrieval and prior benchmark on a built data set (``automat bench build``).

``python -m reconstruction.bench.retrieval_runs queries DATASET OUT.jsonl``
    per sample: the image's observation and descriptors (ours in Å, and the paper's
    pixel-binned histogram), and the template-free reconstruction with its scores
    (resumable; the expensive part, independent of the library).
``python -m reconstruction.bench.retrieval_runs evaluate DATASET OUT.jsonl --records R``
    retrieval top-1/top-10 per descriptor against the library (``R``: the builder's JSON
    lines, which hold the templates' observations) and the top-1 distances when right,
    wrong and held out.
``python -m reconstruction.bench.retrieval_runs prior DATASET OUT.jsonl --records R
--report EVAL.json --plain-scores SCORES.json --out PRIOR.json [--held-out]``
    every sample reconstructed with its nearest template (or, held out, the nearest that is
    neither the truth nor equivalent) as prior, scored against the template-free run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from reconstruction.descriptors.describe import describe_observation
from reconstruction.descriptors.observe import Observation, observe
from reconstruction.descriptors.vectors import paper_pixel_histogram


def _score(structure, truth) -> dict:
    from reconstruction.metrics.scores import score_sample

    return score_sample(structure, truth).as_dict()


def query_record(sample, *, reconstruct_plain: bool = True) -> dict:
    """Observation, descriptors and template-free reconstruction of one sample."""
    from ase.io import read

    from reconstruction.errors import ReconstructionError
    from reconstruction.io import read_micrograph
    from reconstruction.stem2cif import reconstruct

    micro = read_micrograph(sample.image)
    px = micro.calibration.pixel_size_A
    meta = sample.meta
    t0 = time.perf_counter()
    obs = observe(micro.data, pixel_size_A=px, mode=meta["mode"])
    desc = describe_observation(obs)
    t_describe = time.perf_counter() - t0
    row: dict[str, Any] = {
        "sample_id": sample.sample_id,
        "structure_id": meta["structure_id"],
        "tier": sample.tier,
        "elements": meta["elements"],
        "mode": meta["mode"],
        "pixel_size_A": px,
        "observation": obs.as_dict(),
        "descriptor": desc.as_dict(),
        "paper_px": paper_pixel_histogram(obs.columns_A / px).tolist(),
        "describe_s": round(t_describe, 3),
    }
    if not reconstruct_plain:
        return row
    t0 = time.perf_counter()
    try:
        res = reconstruct(micro.data, pixel_size_A=px, elements=meta["elements"], mode=meta["mode"])
    except ReconstructionError as exc:
        row["plain"] = {"status": "failed", "error": str(exc)}
    else:
        row["plain"] = {
            "status": "succeeded",
            "formula": res.formula,
            "score": _score(res.structure, read(sample.truth)),
            "cif": res.cif,
        }
    row["plain"]["seconds"] = round(time.perf_counter() - t0, 3)
    return row


def _done(path: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows[r["sample_id"]] = r
    return rows


def _describe_only(sample) -> dict:
    return query_record(sample, reconstruct_plain=False)


def queries(dataset: Path, out: Path, *, workers: int = 1, plain: bool = True) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from reconstruction.bench.dataset import read_dataset

    samples = read_dataset(dataset)
    done = _done(out)
    todo = [s for s in samples if s.sample_id not in done]
    with out.open("a") as fh, tqdm(total=len(todo), file=sys.stderr) as bar:
        one = query_record if plain else _describe_only
        if workers <= 1:
            results = map(one, todo)
        else:
            pool = ProcessPoolExecutor(max_workers=workers)
            results = pool.map(one, todo, chunksize=2)
        for row in results:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
            fh.flush()
            bar.update()


def observation_of(row: dict) -> Observation:
    return Observation.from_dict(row["observation"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconstruction.bench.retrieval_runs")
    sub = parser.add_subparsers(dest="verb", required=True)
    q = sub.add_parser("queries")
    q.add_argument("dataset", type=Path)
    q.add_argument("out", type=Path)
    q.add_argument("--workers", type=int, default=1)
    q.add_argument("--no-plain", action="store_true", help="descriptors only, no reconstruction")
    e = sub.add_parser("evaluate")
    e.add_argument("dataset", type=Path)
    e.add_argument("queries", type=Path)
    e.add_argument("--records", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True, help="JSON report")
    e.add_argument("--workers", type=int, default=1)
    p = sub.add_parser("prior", help="C.C./S.S. with the nearest template as prior")
    p.add_argument("dataset", type=Path)
    p.add_argument("queries", type=Path)
    p.add_argument("--records", type=Path, required=True)
    p.add_argument("--report", type=Path, required=True, help="the evaluate report")
    p.add_argument("--plain-scores", type=Path, required=True,
                   help="bench score report of the template-free run")  # fmt: skip
    p.add_argument("--max-distance", type=float, default=0.5)
    p.add_argument("--held-out", action="store_true")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.verb == "prior":
        from reconstruction.bench.retrieval import prior_effect

        out = prior_effect(
            args.dataset, args.queries, args.records, json.loads(args.report.read_text()),
            args.plain_scores, max_distance=args.max_distance, workers=args.workers,
            held_out=args.held_out,
        )  # fmt: skip
        args.out.write_text(json.dumps(out, indent=1))
        print(json.dumps(out["table"], indent=1))
    elif args.verb == "queries":
        queries(args.dataset, args.out, workers=args.workers, plain=not args.no_plain)
    else:
        from reconstruction.bench.retrieval import evaluate

        report = evaluate(args.dataset, args.queries, args.records, workers=args.workers)
        args.out.write_text(json.dumps(report, indent=1))
        print(json.dumps(report["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
