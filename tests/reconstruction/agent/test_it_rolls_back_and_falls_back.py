"""Rollback restores an earlier structure; the rules policy retries, falls back to the
nearest template and keeps the attempt whose check scored best."""

from __future__ import annotations

from reconstruction.agent import Action, Finish, run_agent
from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
from reconstruction.settings import ScienceSettings

from .images import PIXEL_SIZE_A, mo_s_retriever, simulated


class Scripted:
    """A policy that plays a fixed list of actions, then finishes."""

    name = "scripted"
    max_steps = 20

    def __init__(self, actions):
        self.actions = list(actions)

    def next(self, run):
        return self.actions.pop(0) if self.actions else Finish(True)


def test_rollback_restores_the_structure_and_its_check(tmp_path):
    policy = Scripted(
        [
            Action("stem2cif", {}),
            Action("check", {}),
            Action("stem2cif", {"symprec_A": 0.01, "column_sigma_A": 0.3}),
            Action("check", {}),
            Action("rollback", {"step": 2}),
            Action("rollback", {"step": 9}),  # no such step: a failed step, nothing changes
        ]
    )
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy=policy,
        artifacts_dir=tmp_path, relax=False,
    )  # fmt: skip
    assert result.status == "succeeded" and result.policy == "scripted"
    steps = result.steps
    assert [s.ok for s in steps] == [True, True, True, True, True, False]
    assert steps[4].result["structure_step"] == 0
    assert steps[4].result["check_score"] == steps[1].result["score"]
    assert "no step 9" in steps[5].error
    assert result.cif == steps[0].artifacts["cif"].read_text()
    assert result.energy is None  # no predict_properties was asked for


def test_rules_retry_fall_back_and_keep_the_best_check(tmp_path):
    science = ScienceSettings(energy_cache_dir=tmp_path / "refs")
    # A threshold no reconstruction reaches: every attempt is tried.
    policy = RulesPolicy(RulesConfig(min_score=0.999, denoise_method="nlm"))
    result = run_agent(
        simulated("c2dm-MoS2-H", rotation_deg=71.0).image, pixel_size_A=PIXEL_SIZE_A,
        elements="Mo,S", policy=policy, retriever=mo_s_retriever(), artifacts_dir=tmp_path,
        relax=False, settings=science,
    )  # fmt: skip
    assert result.status == "succeeded", result.error
    tools = [s.tool for s in result.steps]
    first_match = tools.index("match_templates")
    assert tools[:first_match] == ["denoise"] * first_match and 1 <= first_match <= 2
    assert tools[-1] == "predict_properties"
    assert result.matches[0]["id"] == "c2dm-MoS2-H"
    assert result.template["id"] == "c2dm-MoS2-H"  # heights (or the whole cell) from it
    attempts = [s for s in result.steps if s.tool == "stem2cif"]
    # first + undenoised image + two changed settings + template adopted
    assert len(attempts) == 5
    assert attempts[-1].args["source"] == "template" and attempts[-1].ok
    assert "without denoising" in attempts[1].message
    # Each attempt after the first is kept only if its check improved on the best so far.
    best, kept = None, None
    for i, step in enumerate(result.steps):
        if step.tool != "check":
            continue
        score = step.result["score"]
        after = result.steps[i + 1] if i + 1 < len(result.steps) else None
        undone = after is not None and after.message.startswith("the check did not improve")
        assert undone == (best is not None and score <= best)
        assert not undone or after.tool == "rollback"
        if not undone:
            best, kept = score, step.result["structure_step"]
    final = result.steps[-1]
    assert final.ok and final.result["structure_step"] == kept
    assert result.formula == "MoS2" and result.energy["formation_energy_per_atom"] < 0
