"""Aggregation into the benchmark table."""

from __future__ import annotations

import json

import pytest

from reconstruction.metrics import SampleScore, score_table


def _score(rmsd, cc, ss, energy=None, predicted=True) -> SampleScore:
    return SampleScore("x", predicted, rmsd, cc, 0.0 if ss else None, ss, energy)


def test_it_aggregates_per_tier_and_overall() -> None:
    scores = [
        _score(0.1, True, True, 10.0),
        _score(0.3, True, False, -30.0),
        _score(None, False, False, None, predicted=False),
        _score(0.2, False, False, 50.0),
    ]
    table = score_table(scores, [1, 1, 1, 3])
    tier1 = table["1"]
    assert tier1["n"] == 3 and tier1["n_failed"] == 1 and tier1["n_rmsd"] == 2
    assert tier1["rmsd_xy_median_A"] == pytest.approx(0.2)
    assert tier1["rmsd_xy_mean_A"] == pytest.approx(0.2)
    assert tier1["cc_percent"] == pytest.approx(200 / 3)  # the failure counts as wrong
    assert tier1["ss_percent"] == pytest.approx(100 / 3)
    assert tier1["energy_mae_meV"] == pytest.approx(20.0) and tier1["n_energy"] == 2
    assert table["2"]["n"] == 0 and table["2"]["rmsd_xy_median_A"] is None
    overall = table["overall"]
    assert overall["n"] == 4 and overall["cc_percent"] == pytest.approx(50.0)
    assert overall["energy_mae_meV"] == pytest.approx(30.0)
    assert json.loads(json.dumps(table)) == table


def test_it_rejects_tiers_that_do_not_fit_the_scores() -> None:
    with pytest.raises(ValueError, match="length"):
        score_table([_score(0.1, True, True)], [1, 2])
    with pytest.raises(ValueError, match="tiers"):
        score_table([_score(0.1, True, True)], [4])
