"""Rows of committed per-sample scores restricted to the samples of a (sub)set, so a method
run on a subset can be set beside the full-set runs of the others.

    python docs/benchmarks/agent_compare.py var/bench/fast-450-sub60 \
        docs/benchmarks/results/fast-450-stem2cif.json stem2cif \
        docs/benchmarks/results/fast-450-oracle.json oracle
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reconstruction.bench.score import MARKDOWN_HEADER, markdown_rows
from reconstruction.metrics.scores import SampleScore
from reconstruction.metrics.table import score_table


def rows(subset: Path, results: Path, label: str) -> list[str]:
    ids = {p.parent.name for p in subset.glob("*/meta.json")}
    samples = [s for s in json.loads(results.read_text())["samples"] if s["sample_id"] in ids]
    if len(samples) != len(ids):
        raise SystemExit(f"{results} scores {len(samples)} of the {len(ids)} samples")
    scores = [SampleScore.from_dict({k: v for k, v in s.items() if k != "tier"}) for s in samples]
    return markdown_rows(label, score_table(scores, [s["tier"] for s in samples]))


def main(argv: list[str]) -> None:
    subset, pairs = Path(argv[0]), argv[1:]
    print(MARKDOWN_HEADER)
    for results, label in zip(pairs[::2], pairs[1::2], strict=True):
        print("\n".join(rows(subset, Path(results), label)))


if __name__ == "__main__":
    main(sys.argv[1:])
