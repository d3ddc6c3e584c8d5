"""Can a run's status be trusted? Status against correctness on a scored benchmark set.

``automat bench score`` counts only ``succeeded`` structures (a structure that needs
review is not an answer). This report scores every structure a run left, whatever its
status, and crosses status with correctness (C.C. and S.S. both), so the quality gate is
judged both ways: right structures it sent to review (false alarms), wrong ones it let
through as ``succeeded`` (misses)::

    automat bench run DATASET OUT --method agent --energy none
    python -m reconstruction.bench.trust DATASET OUT [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

STATUSES = ("succeeded", "needs_review", "failed")


def trust(dataset: Path, out: Path) -> dict[str, Any]:
    """``{"table": {status: {"right": n, "wrong": n}}, "rows": [...]}`` for one run of a set."""
    from ase.io import read

    from reconstruction.bench.dataset import read_dataset
    from reconstruction.metrics.scores import score_sample

    table = {s: {"right": 0, "wrong": 0} for s in STATUSES}
    rows = []
    for sample in read_dataset(dataset):
        folder = out / sample.sample_id
        result_path = folder / "result.json"
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        status = result.get("status", "failed")
        status = status if status in STATUSES else "failed"
        right = False
        if (folder / "structure.cif").exists() and status != "failed":
            scored = score_sample(read(folder / "structure.cif"), read(sample.truth))
            right = scored.composition_correct and scored.structure_success
        table[status]["right" if right else "wrong"] += 1
        failed = [c for c in result.get("review", []) if not c.get("ok")]
        failed_checks = [c["name"] for c in failed]
        rows.append(
            {
                "sample": sample.sample_id, "tier": sample.tier, "status": status,
                "right": right, "formula": result.get("formula"), "failed_checks": failed_checks,
                "why": [c["detail"] for c in failed],
                "share_of_ceiling": _share_of_ceiling(result),
            }
        )  # fmt: skip
    return {"dataset": str(dataset), "results": str(out), "table": table, "rows": rows}


def _share_of_ceiling(result: dict[str, Any]) -> float | None:
    """The gate's forward-model score over the periodic ceiling its check measured (how
    much of what the image allows the structure explains); None without both."""
    score = next(
        (c.get("value") for c in result.get("review", []) if c["name"] == "forward_model"), None
    )
    checks = [s["result"] for s in result.get("steps", []) if s["tool"] == "check" and s["ok"]]
    ceiling = checks[-1].get("periodic_ceiling") if checks else None
    return round(score / ceiling, 3) if score and ceiling else None


def markdown(report: dict[str, Any], label: str) -> list[str]:
    """One table row: right/wrong per status and the share of ``succeeded`` that is right."""
    t = report["table"]
    ok = t["succeeded"]
    n_ok = ok["right"] + ok["wrong"]
    precision = f"{100 * ok['right'] / n_ok:.1f}" if n_ok else "–"
    cells = [f"{t[s]['right']} / {t[s]['wrong']}" for s in STATUSES[:2]]
    cells.append(str(t["failed"]["right"] + t["failed"]["wrong"]))
    return [f"| {label} | " + " | ".join(cells) + f" | {precision} |"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconstruction.bench.trust")
    parser.add_argument("dataset", type=Path)
    parser.add_argument("results", type=Path)
    parser.add_argument("--label", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the report")
    args = parser.parse_args(argv)
    report = trust(args.dataset, args.results)
    print("| set | succeeded right / wrong | needs review right / wrong | failed | "
          "% of succeeded right |")  # fmt: skip
    print("|---|---|---|---|---|")
    print("\n".join(markdown(report, args.label or args.results.name)))
    for row in report["rows"]:
        if row["status"] != "succeeded" or not row["right"]:
            print(f"  {row['sample']:<28} {row['status']:<13} right={row['right']!s:<5} "
                  f"{row['formula'] or '-':<10} {','.join(row['failed_checks'])}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
