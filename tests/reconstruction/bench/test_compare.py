"""Comparing two scored runs lists exactly the samples whose verdicts differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconstruction.bench.compare import compare, main
from tests.reconstruction.bench.test_threshold import _run


def test_it_lists_the_samples_that_changed_and_counts_them(tmp_path: Path, capsys) -> None:
    before = _run(tmp_path / "before", [
        ("a", 1, False, False, 0.2), ("b", 3, True, True, 0.01), ("c", 3, True, None, None),
    ])  # fmt: skip
    after = _run(tmp_path / "after", [
        ("a", 1, True, True, 0.01), ("b", 3, False, True, 0.02), ("c", 3, True, None, None),
    ])  # fmt: skip
    changed, summary = compare(before, after)
    assert [r["sample_id"] for r in changed] == ["a", "b"]
    assert changed[0]["ss"] == [False, True] and changed[0]["after"]["distance"] == 0.01
    assert summary == {"n": 3, "ss_before": 2, "ss_after": 2, "better": 1, "worse": 1,
                       "differing": 2}  # fmt: skip
    # A per-sample file works as well as a run folder; a run against itself differs nowhere.
    assert compare(before / "scores.json", before)[1]["differing"] == 0
    assert main([str(before), str(after)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last)["summary"]["better"] == 1


def test_it_refuses_runs_of_different_samples(tmp_path: Path) -> None:
    one = _run(tmp_path / "one", [("a", 1, True, None, None)])
    two = _run(tmp_path / "two", [("b", 1, True, None, None)])
    with pytest.raises(ValueError, match="different samples"):
        compare(one, two)
