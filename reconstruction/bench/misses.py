"""Why the misses of a scored run missed, in five groups, per sample.

    python -m reconstruction.bench.misses DATASET RUN

``RUN`` is a ``bench run`` folder already scored (``bench score``: its ``scores.json``).
Every sample without structure success is put in one group:

- ``detection``: no structure (the error the reconstruction gave is kept, and its kind:
  ``lattice`` none found, ``sites`` fewer column sites than elements, ``contrast`` the
  columns' intensities fit no assignment of the elements, ``other``);
- ``supercell``: the primitive cell of the projection is at least 1.5 times the true one;
- ``sub-cell``: at most 1/1.5 of it (a pseudo-lattice: the half or third cell of a
  structure whose columns nearly repeat);
- ``elements``: the right cell, a wrong composition (element assignment);
- ``positions``: the right cell and composition, the sites too far off for S.S.

Prints one JSON line per miss (sample, tier, group, true and predicted formula, the
predicted/true ratios of the projected primitive area and of the atoms per Å² — below 1,
columns were missed or merged —, the error, the nearest template, whether it is the
sample's own structure, whether it was used and why), then the counts per group and tier.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

AREA_RATIO = 1.5
GROUPS = ("detection", "supercell", "sub-cell", "elements", "positions")
TEMPLATE_KEYS = ("id", "vector", "distance", "accepted", "reason")
# Kinds of detection failure, by the words of the reconstruction's error (first match).
ERROR_KINDS = (
    ("lattice", ("lattice", "periodic in one direction")),
    ("sites", ("distinct column site",)),
    ("contrast", ("cannot be made from", "too faint")),
)


def error_kind(error: str | None) -> str:
    """``lattice``, ``sites``, ``contrast`` or ``other`` (see :data:`ERROR_KINDS`)."""
    for kind, words in ERROR_KINDS:
        if error and any(w in error for w in words):
            return kind
    return "other"


def group_of(area_ratio: float | None, composition_correct: bool) -> str:
    """The group of a miss from its projected primitive area ratio (None: no structure)."""
    if area_ratio is None:
        return "detection"
    if area_ratio >= AREA_RATIO:
        return "supercell"
    if area_ratio <= 1 / AREA_RATIO:
        return "sub-cell"
    return "positions" if composition_correct else "elements"


def _formula(atoms) -> str:
    return atoms.get_chemical_formula(mode="reduce")


def classify(dataset: Path, run: Path) -> list[dict[str, Any]]:
    """One row per sample of ``run`` that missed S.S. (see the module's groups)."""
    from ase.io import read

    from reconstruction.bench.compare import offered_prior
    from reconstruction.metrics.scores import joint_primitives

    scores = json.loads((run / "scores.json").read_text())["samples"]
    rows = []
    for score in scores:
        if score["structure_success"]:
            continue
        sid = score["sample_id"]
        truth = read(dataset / sid / "truth.cif")
        result_path = run / sid / "result.json"
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        ratio, density, predicted = None, None, None
        if score["has_prediction"]:
            atoms = read(run / sid / "structure.cif")
            pred, ref, _ = joint_primitives(atoms, truth, use_z=False)
            ratio, predicted = round(pred.area_A2 / ref.area_A2, 3), _formula(atoms)
            density = round(pred.n_atoms / pred.area_A2 / (ref.n_atoms / ref.area_A2), 3)
        template = offered_prior(result)
        if template:
            meta = json.loads((dataset / sid / "meta.json").read_text())
            template = {k: template.get(k) for k in TEMPLATE_KEYS}
            template["own"] = template["id"] == meta["structure_id"]
        rows.append({
            "sample_id": sid, "tier": score["tier"],
            "group": group_of(ratio, score["composition_correct"]),
            "truth": _formula(truth), "predicted": predicted, "area_ratio": ratio,
            "density_ratio": density, "error": result.get("error"),
            "error_kind": None if score["has_prediction"] else error_kind(result.get("error")),
            "template": template,
        })  # fmt: skip
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts per group, and per kind of detection failure (``detection:<kind>``):
    ``{group: {"1": n, "2": n, "3": n, "all": n}}``."""
    counts = Counter((r["group"], str(r["tier"])) for r in rows)
    counts.update((f"detection:{r['error_kind']}", str(r["tier"])) for r in rows if r["error_kind"])
    out = {}
    for group in (*GROUPS, *(f"detection:{kind}" for kind, _ in ERROR_KINDS), "detection:other"):
        per_tier = {t: counts[(group, t)] for t in ("1", "2", "3")}
        out[group] = {**per_tier, "all": sum(per_tier.values())}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("run", type=Path, help="a scored bench run folder")
    args = parser.parse_args(argv)
    rows = classify(args.dataset, args.run)
    for row in rows:
        print(json.dumps(row))
    print(json.dumps({"summary": summary(rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
