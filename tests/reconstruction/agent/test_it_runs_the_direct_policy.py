"""The direct policy: STEM2CIF once, as ``automat reconstruct`` runs it by default, judged by
the quality gate like any run."""

from __future__ import annotations

import json

import numpy as np

from reconstruction.agent import AgentResult, run_agent
from reconstruction.agent.policies.direct import DirectConfig, DirectPolicy
from reconstruction.agent.tools import call, default_tools
from reconstruction.stem2cif import reconstruct

from .images import PIXEL_SIZE_A, mo_s_retriever, simulated


def _direct(tmp_path, retriever=None, **config) -> AgentResult:
    config.setdefault("predict_properties", False)
    return run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S",
        policy=DirectPolicy(DirectConfig(**config)), retriever=retriever,
        artifacts_dir=tmp_path / "art",
    )  # fmt: skip


def test_it_makes_the_structure_reconstruct_makes(tmp_path):
    result = _direct(tmp_path, templates=False)
    plain = reconstruct(simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S")
    assert [s.tool for s in result.steps] == ["stem2cif"]
    assert result.policy == "direct" and result.formula == plain.formula == "MoS2"
    assert result.cif == plain.cif
    assert result.prior is None and result.template is None
    assert result.stem2cif["fraction_explained"] == plain.fraction_explained
    assert result.stem2cif["stages_s"] and result.mode == "idpc"


def test_without_the_check_by_simulation_it_needs_review(tmp_path):
    result = _direct(tmp_path, templates=False)
    assert result.status == "needs_review"
    failed = [c for c in result.review if not c["ok"]]
    assert [c["name"] for c in failed] == ["forward_model"]
    assert "never compared with the image by simulation" in result.error
    assert (tmp_path / "art" / "structure.cif").read_text() == result.cif


def test_with_a_library_it_takes_the_nearest_template_as_prior(tmp_path):
    from reconstruction.stem2cif.prior import candidate_priors, retrieve_prior

    result = _direct(tmp_path, mo_s_retriever())
    assert [s.tool for s in result.steps] == ["match_templates", "stem2cif"]
    assert result.prior["id"] == "c2dm-MoS2-H" and result.prior["accepted"]
    assert result.template["id"] == "c2dm-MoS2-H" and result.template["use"] == "structure"
    image = simulated().image
    _, matches, _ = retrieve_prior(
        image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", retriever=mo_s_retriever()
    )
    plain = reconstruct(
        image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", prior=candidate_priors(matches)
    )
    assert result.cif == plain.cif


def test_it_leaves_templates_out_of_the_search_and_the_gate(tmp_path):
    result = _direct(tmp_path, mo_s_retriever(), exclude_templates=("c2dm-MoS2-H",))
    assert "c2dm-MoS2-H" not in [m["id"] for m in result.matches]
    assert (result.prior or {}).get("id") != "c2dm-MoS2-H"
    assert all("c2dm-MoS2-H" not in c["detail"] for c in result.review)  # nor the gate knows it
    strict = _direct(tmp_path / "strict", mo_s_retriever(), max_distance=0.0, rdf_max_distance=0.0)
    assert strict.prior["id"] == "c2dm-MoS2-H" and not strict.prior["accepted"]
    assert strict.template is None  # offered, not used: nothing came from it


def test_its_result_json_round_trips(tmp_path):
    result = _direct(tmp_path, mo_s_retriever())
    data = json.loads(json.dumps(result.as_dict()))
    again = AgentResult.from_dict(data)
    assert again.as_dict() == data
    assert {"prior", "stem2cif", "mode", "pixel_size_A", "review"} <= set(data)
    assert np.allclose(again.structure.cell, result.structure.cell, atol=1e-4)


def test_the_stem2cif_tool_takes_priors_or_one_template(tmp_path):
    from reconstruction.agent.state import AgentState

    image = simulated().image
    state = AgentState(
        original=image, image=image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        mode="idpc", artifacts_dir=tmp_path, retriever=mo_s_retriever(),
    )  # fmt: skip
    tools = default_tools()
    assert call(tools["match_templates"], state, {}).error is None
    both = call(tools["stem2cif"], state, {"template": "c2dm-MoS2-H", "priors": True})
    assert "goes without 'priors'" in both.error
    priors = call(tools["stem2cif"], state, {"priors": True})
    assert priors.output.result["template"]["use"] == "structure"
