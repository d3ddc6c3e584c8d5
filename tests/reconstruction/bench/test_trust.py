"""The trust report's per-structure numbers read from a run's result.json."""

from __future__ import annotations

from reconstruction.bench.trust import _share_of_ceiling


def test_the_share_of_the_ceiling_is_the_gate_score_over_the_last_check() -> None:
    result = {
        "review": [{"name": "forward_model", "ok": True, "value": 0.6}],
        "steps": [
            {"tool": "check", "ok": True, "result": {"periodic_ceiling": 0.9}},
            {"tool": "stem2cif", "ok": True, "result": {}},
            {"tool": "check", "ok": True, "result": {"periodic_ceiling": 0.75}},
        ],
    }
    assert _share_of_ceiling(result) == 0.8
    assert _share_of_ceiling({"review": result["review"], "steps": []}) is None
    assert _share_of_ceiling({"steps": result["steps"]}) is None
