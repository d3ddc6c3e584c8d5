"""``automat bench run --method agent`` on a tiny built set: scorable results with steps."""

from __future__ import annotations

import json

import pytest

from reconstruction.bench.build import build
from reconstruction.bench.dataset import read_dataset
from reconstruction.bench.run import run
from reconstruction.bench.score import score


@pytest.mark.slow  # three full-size benchmark images (up to 1024 px): ~50 s on 2 cores
def test_the_agent_runs_as_a_benchmark_method(tmp_path):
    dataset = tmp_path / "set"
    build(dataset, n=3, seed=7, workers=1, progress=False)
    out = tmp_path / "agent"
    run(dataset, out, method="agent", workers=1, progress=False, energy="none")
    for sample in read_dataset(dataset):
        result = json.loads((out / sample.sample_id / "result.json").read_text())
        assert result["method"] == "agent" and result["policy"] == "rules"
        assert result["wall_s"] > 0 and "templates" in result
        tools = [s["tool"] for s in result["steps"]]
        assert "predict_properties" not in tools  # --energy none
        if result["status"] == "succeeded":
            assert {"stem2cif", "check"} <= set(tools)
            cif = (out / sample.sample_id / "structure.cif").read_text()
            assert cif == result["cif"]
    overall = score(dataset, out)["table"]["overall"]
    assert overall["n"] == 3
    assert overall["cc_percent"] >= 100 * 2 / 3  # STEM2CIF gets at least 2 of these 3 right
