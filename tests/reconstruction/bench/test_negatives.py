"""The negative set: images no run may call ``succeeded`` (noise, a wrong pixel size, atoms
with no lattice), built as a benchmark set and scored by how each run ended."""

from __future__ import annotations

import json

import pytest

from reconstruction.agent import run_agent
from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
from reconstruction.bench.negatives import build, negatives, score
from reconstruction.io import read_micrograph
from tests.reconstruction.agent.images import mo_s_retriever

#: One of each kind the agent can meet with the Mo-S templates: white and 1/f noise, Mo-S
#: atoms at random, MoS2 at 0.1 Å/px entered as 0.13, 0.07 and 5 Å/px.
CHOSEN = ("00-noise", "03-noise", "06-pixel_size", "07-pixel_size", "12-pixel_size",
          "18-no_lattice")  # fmt: skip


def test_the_set_has_twenty_samples_of_the_kinds_named():
    kinds = [n.kind for n in negatives()]
    assert len(kinds) == 20 and len({n.sample_id for n in negatives()}) == 20
    assert set(kinds) == {"noise", "pixel_size", "elements", "no_lattice"}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    data = tmp_path_factory.mktemp("negatives")
    metas = {m["sample_id"]: m for m in build(data)}
    results = tmp_path_factory.mktemp("negatives-agent")
    for sample_id in CHOSEN:
        meta = metas[sample_id]
        micrograph = read_micrograph(data / sample_id / "image.tif")
        assert micrograph.calibration.pixel_size_A == pytest.approx(meta["pixel_size_A"])
        result = run_agent(
            micrograph.data, pixel_size_A=micrograph.calibration.pixel_size_A,
            elements=meta["elements"], mode=meta["mode"],
            policy=RulesPolicy(RulesConfig(predict_properties=False)),
            retriever=mo_s_retriever(), artifacts_dir=results / sample_id / "steps",
        )  # fmt: skip
        (results / sample_id / "result.json").write_text(json.dumps(result.as_dict()))
    return data, results


def test_no_negative_ends_succeeded_and_each_says_why(outcomes):
    data, results = outcomes
    report = score(data, results)
    ran = [r for r in report["rows"] if r["sample"] in CHOSEN]
    assert len(ran) == len(CHOSEN)
    assert all(r["status"] in ("failed", "needs_review") for r in ran), ran
    assert all(r["reason"] for r in ran)
    by_id = {r["sample"]: r for r in ran}
    assert by_id["00-noise"]["status"] == "failed"  # no lattice: no structure offered
    assert "check the pixel size" in by_id["06-pixel_size"]["reason"]
    assert "outside the 0.02-1 Å/px" in by_id["12-pixel_size"]["reason"]
    # Samples that were not run count as missing, never as a pass.
    assert report["counts"]["missing"] == 20 - len(CHOSEN)
