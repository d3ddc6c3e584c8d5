"""Which samples two scored runs of the same data set disagree on.

    python -m reconstruction.bench.compare BEFORE AFTER

``BEFORE`` and ``AFTER`` are ``bench score`` outputs: a run folder (its ``scores.json``)
or a per-sample file such as ``docs/benchmarks/results/*.json``. Prints one JSON line per
sample whose composition or structure verdict differs (with the template AFTER used, when
its run folder is at hand), then a summary line: samples compared, structure successes
before and after, how many got better and worse. "Held out scores as without templates,
per sample" is a summary with no differing sample.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def offered_prior(result: dict) -> dict | None:
    """The template STEM2CIF was offered as a prior (id, vector, distance, accepted,
    reason): result.json's ``prior``; ``template`` in the plain CLI's result.json of
    before the agent wrote it."""
    return result["prior"] if "prior" in result else result.get("template")


def _scores(path: Path) -> tuple[dict[str, dict], Path | None]:
    """Per-sample rows by id, and the run folder when ``path`` is one."""
    folder = path if path.is_dir() else None
    report = json.loads(((path / "scores.json") if folder else path).read_text())
    return {row["sample_id"]: row for row in report["samples"]}, folder


def _template(folder: Path | None, sample_id: str) -> dict | None:
    if folder is None or not (folder / sample_id / "result.json").exists():
        return None
    result = json.loads((folder / sample_id / "result.json").read_text())
    template = offered_prior(result)
    if not template:
        return {"error": result.get("error")} if result.get("error") else None
    keys = ("id", "vector", "distance", "accepted", "reason")
    return {k: template.get(k) for k in keys}


def compare(before: Path, after: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(differing samples, summary) of two scored runs."""
    old, _ = _scores(before)
    new, folder = _scores(after)
    missing = sorted(set(old) ^ set(new))
    if missing:
        raise ValueError(f"the runs cover different samples, e.g. {missing[:3]}")
    changed = []
    for sid, a in old.items():
        b = new[sid]
        verdicts = ("composition_correct", "structure_success")
        if all(a[k] == b[k] for k in verdicts):
            continue
        row = {
            "sample_id": sid,
            "tier": b.get("tier"),
            "ss": [a["structure_success"], b["structure_success"]],
            "cc": [a["composition_correct"], b["composition_correct"]],
        }
        template = _template(folder, sid)
        if template:
            row["after"] = template
        changed.append(row)
    ss_before = sum(bool(r["structure_success"]) for r in old.values())
    ss_after = sum(bool(r["structure_success"]) for r in new.values())
    summary = {
        "n": len(old),
        "ss_before": ss_before,
        "ss_after": ss_after,
        "better": sum(1 for r in changed if r["ss"] == [False, True]),
        "worse": sum(1 for r in changed if r["ss"] == [True, False]),
        "differing": len(changed),
    }
    return changed, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    changed, summary = compare(args.before, args.after)
    for row in changed:
        print(json.dumps(row))
    print(json.dumps({"summary": summary}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
