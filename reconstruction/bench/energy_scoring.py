"""Scoring oracle relaxations: formation energies under each reference scheme, MAE vs DFT."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.energy.corrections import mp2020_correction_eV
from reconstruction.energy.formation import formation_energy_eV_per_atom, needs_correction_removal
from reconstruction.energy.references import (
    SCHEMES,
    ElementalReferences,
    get_references,
    references_from_training,
    save_references,
)
from reconstruction.energy.relax import atoms_from_dict


def error_stats(errors: list[float]) -> dict[str, Any]:
    """MAE, median and max absolute error [eV/atom], signed mean error, count."""
    if not errors:
        return {"n": 0, "mae_eV_per_atom": None}
    e = np.asarray(errors)
    return {
        "n": len(e),
        "mae_eV_per_atom": round(float(np.abs(e).mean()), 4),
        "median_ae_eV_per_atom": round(float(np.median(np.abs(e))), 4),
        "max_ae_eV_per_atom": round(float(np.abs(e).max()), 4),
        "mean_error_eV_per_atom": round(float(e.mean()), 4),
    }


def grouped_stats(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """:func:`error_stats` per value of ``key`` in rows holding an ``error``."""
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row["error"])
    return {k: error_stats(v) for k, v in sorted(groups.items())}


def scheme_errors(
    records: list[dict[str, Any]],
    refs: ElementalReferences,
    *,
    energy_key: str = "energy_eV_per_atom",
) -> list[dict[str, Any]]:
    """Per-structure predicted formation energy and error vs DFT for one scheme [eV/atom]."""
    rows = []
    for rec in records:
        energy = rec.get(energy_key)
        if energy is None or rec.get("failure"):
            continue
        if needs_correction_removal(refs.model, refs.scheme) and len(set(rec["symbols"])) > 1:
            atoms = atoms_from_dict(rec["relaxed_structure"])
            energy -= mp2020_correction_eV(atoms) / len(atoms)
        e_form = formation_energy_eV_per_atom(rec["symbols"], energy, refs)
        error = e_form - rec["e_form_dft_eV_per_atom"]
        rows.append({"id": rec["id"], "source": rec["source"], "tier": rec["tier"],
                     "e_form_eV_per_atom": e_form, "error": error})  # fmt: skip
    return rows


def timing_stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Wall time per relaxation [s] and steps, overall and for cells of <= 12 atoms."""
    times = np.array([r["time_s"] for r in records])
    small = np.array([r["time_s"] for r in records if r["n_atoms"] <= 12])

    def stats(t: np.ndarray) -> dict[str, Any]:
        if not len(t):
            return {"n": 0}
        median, p90 = (round(float(v), 2) for v in np.percentile(t, [50, 90]))
        mean, top = round(float(t.mean()), 2), round(float(t.max()), 2)
        return {"n": len(t), "mean_s": mean, "median_s": median, "p90_s": p90, "max_s": top}

    return {
        "all": stats(times),
        "le_12_atoms": stats(small),
        "mean_steps": round(float(np.mean([r["steps"] for r in records])), 1) if records else None,
        "converged": sum(r["converged"] for r in records),
        "stop_reasons": dict(sorted(_count(r["stop_reason"] for r in records).items())),
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    return counts


def _relaxed_fit(model: str, train_records: list[dict[str, Any]]) -> ElementalReferences:
    rows = [
        {"id": r["id"], "composition": dict(Counter(r["symbols"])),
         "energy_eV_per_atom": r["energy_eV_per_atom"],
         "e_form_dft_eV_per_atom": r["e_form_dft_eV_per_atom"]}
        for r in train_records
        if r["model"] == model and not r["failure"]
    ]  # fmt: skip
    refs = references_from_training(model, "fitted_relaxed", rows)
    refs.details.update(energies="relaxed training structures")
    return refs


def summarize(
    model: str,
    records: list[dict[str, Any]],
    *,
    cache_dir: Path,
    device: str | None = None,
    schemes: tuple[str, ...] = SCHEMES,
    train_records: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Benchmark summary of one model's oracle records under each reference scheme.

    ``train_records`` (relaxed training-split oracle records) add the ``fitted_relaxed``
    scheme: chemical potentials fitted to relaxed rather than single-point energies.
    """
    records = [r for r in records if r["model"] == model]
    elements = sorted({s for r in records for s in r["symbols"]})
    summary: dict[str, Any] = {
        "model": model,
        "split": "eval",
        "n_structures": len(records),
        "n_failed": sum(bool(r["failure"]) for r in records),
        "failures": [{"id": r["id"], "reason": r["failure"]} for r in records if r["failure"]],
        "timing": timing_stats(records),
        "schemes": {},
    }
    all_refs = [
        get_references(model, scheme, cache_dir=cache_dir, elements=elements, device=device)
        for scheme in schemes
    ]
    if train_records:
        all_refs.append(_relaxed_fit(model, train_records))
        save_references(cache_dir, all_refs[-1])
    for refs in all_refs:
        scheme = refs.scheme
        variants = {
            scheme: "energy_eV_per_atom",
            f"{scheme}_unrelaxed": "initial_energy_eV_per_atom",
        }
        for label, key in variants.items():
            rows = scheme_errors(records, refs, energy_key=key)
            summary["schemes"][label] = {
                **error_stats([r["error"] for r in rows]),
                "by_source": grouped_stats(rows, "source"),
                "by_tier": grouped_stats(rows, "tier"),
            }
        summary["schemes"][scheme]["reference_details"] = refs.details
    relaxed = {k: v for k, v in summary["schemes"].items() if not k.endswith("_unrelaxed")}
    summary["best_scheme"] = min(relaxed, key=lambda k: relaxed[k]["mae_eV_per_atom"] or np.inf)
    return summary
