"""Aggregation of per-sample scores into the benchmark table (per tier and overall)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from reconstruction.metrics.scores import SampleScore

TIERS = (1, 2, 3)


def summarise(scores: Sequence[SampleScore]) -> dict[str, Any]:
    """Benchmark row for a group of samples.

    Returns
    -------
    dict
        ``n`` samples; ``n_failed`` without a prediction; ``n_rmsd`` with an RMSD_xy;
        ``rmsd_xy_median_A`` and ``rmsd_xy_mean_A`` [Å] over samples with a prediction;
        ``cc_percent`` and ``ss_percent`` over all ``n`` (a failure counts as wrong);
        ``n_energy`` samples with both energies and their ``energy_mae_meV`` [meV/atom].
        Statistics of empty groups are None.
    """
    rmsd = np.array([s.rmsd_xy_A for s in scores if s.rmsd_xy_A is not None], dtype=float)
    energy = np.array(
        [abs(s.energy_error_meV) for s in scores if s.energy_error_meV is not None], dtype=float
    )
    n = len(scores)
    return {
        "n": n,
        "n_failed": sum(not s.has_prediction for s in scores),
        "n_rmsd": int(rmsd.size),
        "rmsd_xy_median_A": float(np.median(rmsd)) if rmsd.size else None,
        "rmsd_xy_mean_A": float(np.mean(rmsd)) if rmsd.size else None,
        "cc_percent": 100.0 * sum(s.composition_correct for s in scores) / n if n else None,
        "ss_percent": 100.0 * sum(s.structure_success for s in scores) / n if n else None,
        "n_energy": int(energy.size),
        "energy_mae_meV": float(np.mean(energy)) if energy.size else None,
    }


def score_table(scores: Sequence[SampleScore], tiers: Sequence[int]) -> dict[str, dict[str, Any]]:
    """The benchmark table: one row per tier and one overall.

    Parameters
    ----------
    scores : Sequence[SampleScore]
        One score per sample.
    tiers : Sequence[int]
        The tier (1, 2 or 3) of each sample, in the order of ``scores``.

    Returns
    -------
    dict[str, dict]
        Keys ``"1"``, ``"2"``, ``"3"`` and ``"overall"`` (strings, so the table is JSON),
        each a :func:`summarise` row.
    """
    if len(scores) != len(tiers):
        raise ValueError(f"scores ({len(scores)}) and tiers ({len(tiers)}) differ in length")
    unknown = sorted({t for t in tiers if t not in TIERS})
    if unknown:
        raise ValueError(f"tiers must be 1, 2 or 3; got {unknown}")
    table = {
        str(tier): summarise([s for s, t in zip(scores, tiers, strict=True) if t == tier])
        for tier in TIERS
    }
    table["overall"] = summarise(list(scores))
    return table
