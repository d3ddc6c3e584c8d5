"""The quality gate: a run is ``succeeded`` only when its structure passes every check;
noise fails, a wrong pixel size or a crashed step needs review, and the reasons are said."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.agent import AgentResult, run_agent
from reconstruction.agent.gate import GateCheck, area_per_atom_A2, verdict
from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
from tests.reconstruction.agent.images import PIXEL_SIZE_A, mo_s_retriever, simulated


def _rules() -> RulesPolicy:
    return RulesPolicy(RulesConfig(predict_properties=False))


def _checks(result: AgentResult) -> dict[str, dict]:
    return {c["name"]: c for c in result.review}


def test_it_passes_the_right_structure_on_every_check(tmp_path):
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=_rules(),
        retriever=mo_s_retriever(), artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "succeeded", result.error
    assert result.formula == "MoS2"
    checks = _checks(result)
    assert set(checks) == {"steps", "lattice_seen", "forward_model", "composition", "scale"}
    assert all(c["ok"] for c in checks.values()), checks
    assert abs(checks["scale"]["value"]) < 0.02  # within 2 % of the known MoS2


def test_noise_fails_with_no_structure_and_says_why(tmp_path):
    noise = np.random.default_rng(0).normal(100.0, 10.0, (256, 256))
    result = run_agent(
        noise, pixel_size_A=0.1, elements="Mo,S", mode="haadf", policy=_rules(),
        retriever=mo_s_retriever(), artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "failed"
    assert result.cif is None and result.formula is None
    assert "shows no lattice" in result.error
    seen = _checks(result)["lattice_seen"]
    assert not seen["ok"] and seen["fatal"] and seen["value"] < seen["threshold"]


def test_a_wrong_pixel_size_needs_review_and_keeps_the_structure(tmp_path):
    # MoS2 recorded at 0.1 Å/px, entered as 0.13: every length 30 % too long.
    result = run_agent(
        simulated().image, pixel_size_A=0.13, elements="Mo,S", policy=_rules(),
        retriever=mo_s_retriever(), artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "needs_review"
    assert result.cif is not None and result.formula == "MoS2"
    scale = _checks(result)["scale"]
    assert not scale["ok"] and scale["value"] > 0.2
    assert "check the pixel size" in result.error and result.error.startswith("needs review")


def test_a_crashed_step_never_ends_succeeded(tmp_path, monkeypatch):
    from reconstruction.agent.tools.denoise import DenoiseTool

    def crash(self, state, args):
        raise RuntimeError("the expert's weights do not fit")

    monkeypatch.setattr(DenoiseTool, "run", crash)
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=_rules(),
        retriever=mo_s_retriever(), artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.steps[0].tool == "denoise" and not result.steps[0].ok
    assert result.status == "needs_review"
    assert "step 0 (denoise) crashed" in result.error
    assert "weights do not fit" in _checks(result)["steps"]["detail"]


@pytest.mark.parametrize("pixel_size_A", [5.0, 0.01])
def test_a_pixel_size_no_microscope_resolves_columns_at_fails_at_once(tmp_path, pixel_size_A):
    result = run_agent(
        simulated().image, pixel_size_A=pixel_size_A, elements="Mo,S", policy=_rules(),
        artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "failed" and not result.steps
    assert "outside the 0.02-1 Å/px" in result.error


def test_a_stoichiometry_no_known_monolayer_has_needs_review(tmp_path):
    from ase.build import mx2

    from reconstruction.agent.gate import check_composition
    from reconstruction.agent.state import AgentState, Candidate

    mos = mx2("MoS2", a=3.18)
    del mos[[2]]  # MoS: one S per cell
    state = AgentState(
        original=simulated().image, image=simulated().image, pixel_size_A=0.1,
        elements=["Mo", "S"], mode="haadf", artifacts_dir=tmp_path,
    )  # fmt: skip
    state.candidate = Candidate(mos, "", "MoS", "P3m1", {"a": 3.18, "b": 3.18, "gamma": 120}, 0)
    matches = mo_s_retriever().library.records
    state.matches = [m for m in _matches(matches) if m.formula != "MoS"]
    check = check_composition(state)
    assert not check.ok and "MoS is none of the stoichiometries" in check.detail
    assert "MoS2" in check.detail
    state.elements = ["Mo", "S", "O"]
    check = check_composition(state)
    assert not check.ok and "has no O although entered" in check.detail


def _matches(records):
    from reconstruction.descriptors.retrieval import TemplateMatch, structure_from_dict

    return [
        TemplateMatch(
            id=r["id"],
            formula=r["formula"],
            elements=tuple(r["elements"]),
            spacegroup=r["spacegroup"],
            distance=0.1,
            structure=structure_from_dict(r["structure"]),
            formation_energy_per_atom=None,
        )
        for r in records
    ]


def test_the_verdict_orders_fatal_before_review():
    ok = GateCheck("scale", True, "fine")
    soft = GateCheck("composition", False, "MoS is unknown")
    hard = GateCheck("lattice_seen", False, "no lattice", fatal=True)
    assert verdict([ok]) == ("succeeded", None)
    assert verdict([ok, soft]) == ("needs_review", "needs review: MoS is unknown")
    assert verdict([soft, hard]) == ("failed", "no lattice")
    assert GateCheck("x", np.bool_(True), "d").as_dict()["ok"] is True


def test_area_per_atom_is_in_plane():
    from ase.build import mx2

    mos2 = mx2("MoS2", a=3.18, vacuum=10)
    assert area_per_atom_A2(mos2) == pytest.approx(3.18**2 * np.sqrt(3) / 2 / 3)


def test_the_review_round_trips_through_result_json():
    result = AgentResult(
        status="needs_review", error="needs review: x", policy="rules",
        review=[GateCheck("scale", False, "x", 0.3, 0.08).as_dict()],
    )  # fmt: skip
    back = AgentResult.from_dict(result.as_dict())
    assert back.status == "needs_review" and back.review == result.review


def test_a_compound_no_known_monolayer_confirms_needs_review(tmp_path):
    """A structure nobody has seen (the library holds no Mo-S monolayer here): its
    stoichiometry is read from contrast alone, so the run says it cannot be confirmed;
    the structure is kept."""
    from reconstruction.data import monolayer
    from reconstruction.descriptors import ArrayRetriever
    from templates_lib.builder import describe_template, library_from_records

    other = ArrayRetriever(
        library_from_records([describe_template(monolayer("c2dm-WSe2-H"), with_png=False)])
    )
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=_rules(),
        retriever=other, artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "needs_review"
    assert result.formula == "MoS2" and result.cif is not None
    composition = _checks(result)["composition"]
    assert not composition["ok"]
    assert "read from the column contrasts alone" in composition["detail"]
    assert "no Mo-S monolayer" in composition["detail"]
    assert all(c["ok"] for name, c in _checks(result).items() if name != "composition")
