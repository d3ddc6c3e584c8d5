"""The threshold curve picks, per sample, the permissive run's outcome only where its
template was used within the threshold."""

from __future__ import annotations

import json
from pathlib import Path

from reconstruction.bench.threshold import curve


def _run(folder: Path, rows: list[tuple[str, int, bool, bool | None, float | None]]) -> Path:
    samples = []
    for sid, tier, ok, used, distance in rows:
        (folder / sid).mkdir(parents=True)
        prior = None if used is None else {"accepted": used, "distance": distance}
        (folder / sid / "result.json").write_text(json.dumps({"prior": prior}))
        samples.append({"sample_id": sid, "tier": tier, "composition_correct": ok,
                        "structure_success": ok})  # fmt: skip
    (folder / "scores.json").write_text(json.dumps({"samples": samples}))
    return folder


def test_it_takes_the_permissive_outcome_only_within_the_threshold(tmp_path: Path) -> None:
    strict = _run(tmp_path / "strict", [
        ("a", 1, False, False, 0.2), ("b", 3, True, False, 0.4), ("c", 3, False, None, None),
    ])  # fmt: skip
    permissive = _run(tmp_path / "permissive", [
        ("a", 1, True, True, 0.2), ("b", 3, False, True, 0.4), ("c", 3, False, None, None),
    ])  # fmt: skip
    rows = {r["threshold"]: r for r in curve(strict, permissive, thresholds=(0.05, 0.3, 0.5))}
    assert rows[0.05]["all"] == {"n": 3, "cc": 33.3, "ss": 33.3}
    assert rows[0.3]["all"]["ss"] == 66.7 and rows[0.3]["1"]["ss"] == 100.0
    assert rows[0.5]["all"]["ss"] == 33.3 and rows[0.5]["3"]["ss"] == 0.0
