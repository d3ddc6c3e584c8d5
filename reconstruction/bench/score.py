"""``automat bench score``: the paper's metrics per tier for one method's results.

A structure is scored when its run ``succeeded``: a structure the quality gate sent to
review is not an answer — except from the direct policy (``--method stem2cif``), STEM2CIF
as published, which the gate can never pass (it does not check by simulation): its
structures are scored as the paper scores them, whatever the gate said (``review`` in
result.json; :mod:`reconstruction.bench.trust` crosses that verdict with correctness).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconstruction.bench.dataset import read_dataset
from reconstruction.metrics.scores import SampleScore, score_sample
from reconstruction.metrics.table import score_table

#: Policies whose structures are scored as made, whatever the quality gate said.
SCORED_AS_MADE = ("direct",)


def answered(result: dict) -> bool:
    """Whether a result.json offers its structure as the method's answer."""
    status = result.get("status")
    if status == "needs_review":
        return result.get("policy") in SCORED_AS_MADE
    return status == "succeeded"


def _prediction(folder: Path):
    from ase.io import read

    result_path = folder / "result.json"
    if not result_path.exists():
        return None, None, {"status": "missing"}
    result = json.loads(result_path.read_text())
    if not answered(result) or not (folder / "structure.cif").exists():
        return None, None, result
    energy = (result.get("energy") or {}).get("formation_energy_per_atom")
    try:
        return read(folder / "structure.cif"), energy, result
    except (AssertionError, ValueError, IndexError, KeyError, StopIteration) as exc:
        # A method that writes an unreadable CIF has not produced a structure.
        return None, None, {**result, "status": "unreadable", "error": repr(exc)}


def score(dataset: Path, out: Path) -> dict[str, Any]:
    """Score every sample; writes ``out/scores.json`` and returns it."""
    from ase.io import read

    rows: list[SampleScore] = []
    tiers: list[int] = []
    walls: list[float] = []
    for sample in read_dataset(dataset):
        predicted, energy, result = _prediction(out / sample.sample_id)
        rows.append(
            score_sample(
                predicted,
                read(sample.truth),
                sample_id=sample.sample_id,
                e_form_pred_eV_per_atom=energy,
                e_form_ref_eV_per_atom=sample.meta.get("e_form_pbe_eV_per_atom"),
            )
        )
        tiers.append(sample.tier)
        if "wall_s" in result:
            walls.append(float(result["wall_s"]))
    report = {
        "dataset": str(dataset),
        "results": str(out),
        "table": score_table(rows, tiers),
        "mean_wall_s": sum(walls) / len(walls) if walls else None,
        "samples": [{**r.as_dict(), "tier": t} for r, t in zip(rows, tiers, strict=True)],
    }
    (out / "scores.json").write_text(json.dumps(report, indent=1))
    return report


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def markdown_rows(label: str, table: dict[str, dict]) -> list[str]:
    """One markdown table row per tier plus overall: RMSD_xy median, C.C., S.S., MAE."""
    lines = []
    for key in ("1", "2", "3", "overall"):
        row = table[key]
        lines.append(
            f"| {label} | {key} | {row['n']} | {_fmt(row['rmsd_xy_median_A'], '.4f')} | "
            f"{_fmt(row['cc_percent'], '.1f')} | {_fmt(row['ss_percent'], '.1f')} | "
            f"{_fmt(row['energy_mae_meV'], '.0f')} | {row['n_failed']} |"
        )
    return lines


MARKDOWN_HEADER = (
    "| method | tier | n | RMSD_xy median (Å) | C.C. % | S.S. % | E_form MAE (meV/atom) "
    "| failed |\n|---|---|---|---|---|---|---|---|"
)
