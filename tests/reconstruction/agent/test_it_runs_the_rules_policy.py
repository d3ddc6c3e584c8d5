"""The rules policy end to end on a simulated MoS2 image: a structure and an energy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from reconstruction.agent import AgentResult, StepRecord, run_agent
from reconstruction.settings import ScienceSettings

from .images import PIXEL_SIZE_A, simulated


def test_it_reaches_a_structure_and_an_energy(tmp_path):
    science = ScienceSettings(energy_cache_dir=tmp_path / "refs")
    seen: list[StepRecord] = []
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        artifacts_dir=tmp_path / "art", on_step=seen.append, relax=False, settings=science,
    )  # fmt: skip
    assert result.status == "succeeded", result.error
    assert result.policy == "rules"
    assert result.formula == "MoS2" and result.spacegroup == "P-6m2"
    assert abs(result.lattice["a"] - 3.18) < 0.02 and result.lattice["gamma"] == 120.0
    assert isinstance(result.energy["formation_energy_per_atom"], float)
    assert result.energy["relaxed"] is False and result.energy["model"] == "sevennet-0"
    # Every step was reported live, in order, and the check found the structure in the image.
    assert [s.index for s in seen] == list(range(len(result.steps)))
    assert seen == result.steps
    tools = [s.tool for s in result.steps if s.ok]
    assert tools[-1] == "predict_properties" and {"stem2cif", "check"} <= set(tools)
    check = next(s for s in result.steps if s.tool == "check")
    assert check.result["score"] > 0.8
    for step in result.steps:
        for path in step.artifacts.values():
            assert path.is_file() and path.parent == tmp_path / "art"
    stem = next(s for s in result.steps if s.tool == "stem2cif")
    assert stem.artifacts["overlay"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stem.artifacts["cif"].read_text() == result.cif
    assert check.artifacts["residual"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(result.timings_s) >= {"stem2cif", "check", "predict_properties", "total"}
    # result.json round trip
    payload = json.loads(json.dumps(result.as_dict()))
    again = AgentResult.from_dict(payload)
    assert again.as_dict() == payload
    assert again.structure.get_chemical_formula() == result.structure.get_chemical_formula()


def test_it_fails_with_a_reason_when_no_structure_fits(tmp_path):
    # Pure noise: no lattice in it, whatever the policy retries.
    noise = np.random.default_rng(0).normal(size=(96, 96)).astype(np.float32)
    seen: list[StepRecord] = []
    result = run_agent(
        noise, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", artifacts_dir=tmp_path,
        on_step=seen.append, relax=False,
    )  # fmt: skip
    assert result.status == "failed"
    assert result.error.startswith("no structure:")
    stem = [s for s in result.steps if s.tool == "stem2cif"]
    assert len(stem) >= 2, "the policy retries with changed settings"
    assert all(not s.ok and s.error and s.summary == s.error for s in stem)
    assert result.structure is None and result.cif is None and result.energy is None
    assert not any(s.tool == "predict_properties" for s in result.steps)


def test_it_cancels_between_steps(tmp_path):
    seen: list[StepRecord] = []
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", artifacts_dir=tmp_path,
        on_step=seen.append, should_stop=lambda: len(seen) >= 1, relax=False,
    )  # fmt: skip
    assert result.status == "cancelled"
    assert len(result.steps) == 1
    assert result.structure is None and result.energy is None


def test_it_turns_bad_input_into_a_failed_run(tmp_path):
    image = simulated().image
    for kwargs, words in [
        ({"pixel_size_A": -1.0, "elements": "Mo,S"}, "pixel size"),
        ({"pixel_size_A": 0.1, "elements": "Mo,Xx"}, "Xx"),
        ({"pixel_size_A": 0.1, "elements": ""}, "no elements"),
    ]:
        result = run_agent(image, artifacts_dir=tmp_path, **kwargs)
        assert result.status == "failed" and words in result.error, result.error
        assert result.steps == []


def test_automat_reconstruct_runs_the_agent_and_records_its_steps(tmp_path):
    import tifffile

    from reconstruction.stem2cif.cli import main

    image = tmp_path / "image.tif"
    tifffile.imwrite(image, simulated().image)
    out = tmp_path / "out"
    args = [str(image), "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(out)]
    assert main([*args, "--agent", "--no-energy"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "succeeded" and result["formula"] == "MoS2"
    assert result["policy"] == "rules" and result["energy"] is None
    tools = [s["tool"] for s in result["steps"] if s["ok"]]
    assert {"stem2cif", "check"} <= set(tools) and "predict_properties" not in tools
    assert (out / "structure.cif").read_text() == result["cif"]
    assert (out / "overlay.png").read_bytes()[:4] == b"\x89PNG"
    assert all(Path(p).is_file() for s in result["steps"] for p in s["artifacts"].values())
