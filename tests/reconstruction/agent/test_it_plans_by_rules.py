"""The rules policy's decisions, driven step by step with given tool outcomes (the policy is
pure logic over step records; the tools themselves are tested end to end elsewhere)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase.build import mx2

from reconstruction.agent import Finish, RunView, StepRecord
from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
from reconstruction.agent.state import AgentState, Candidate
from reconstruction.agent.tools import default_tools

#: A structure of the entered elements (the policy checks its composition like the gate).
MOS2 = mx2("MoS2", a=3.18, vacuum=10.0)


class Driver:
    """Plays the runner: numbers the steps and hands the policy the outcome we choose."""

    def __init__(self, policy, *, retriever=None):
        image = np.zeros((32, 32), np.float32)
        state = AgentState(
            original=image, image=image, pixel_size_A=0.1, elements=["Mo", "S"], mode="idpc",
            artifacts_dir=Path("unused"), retriever=retriever,
        )  # fmt: skip
        self.view = RunView(tools=default_tools(), steps=[], state=state)
        self.policy = policy

    def next(self):
        return self.policy.next(self.view)

    def outcome(self, action, ok=True, **result):
        step = StepRecord(
            index=len(self.view.steps), tool=action.tool, args=action.args, ok=ok,
            summary="", result=result, error=None if ok else "it failed",
        )  # fmt: skip
        self.view.steps.append(step)
        if ok and action.tool == "stem2cif":
            self.view.state.candidate = Candidate(
                structure=MOS2, cif="", formula="MoS2", spacegroup="P1", lattice={},
                step=step.index,
            )  # fmt: skip
        return step


def test_it_retries_rolls_back_undoes_failed_attempts_and_falls_back():
    d = Driver(RulesPolicy(RulesConfig(min_score=0.5)), retriever=object())
    a = d.next()
    assert (a.tool, a.args["if_noisy"]) == ("denoise", True)
    d.outcome(a, denoised=True, noise_after={"noisy": False})  # step 0
    a = d.next()
    assert a.tool == "match_templates"
    d.outcome(a, matches=[{"id": "t1"}, {"id": "t2"}])  # 1
    a = d.next()
    assert (a.tool, a.args) == ("stem2cif", {"template": "t1"})
    d.outcome(a, fraction_explained=0.95)  # 2
    d.outcome(d.next(), score=0.3)  # 3: check, poor
    a = d.next()
    assert (a.tool, a.args) == ("rollback", {"step": 0})  # the image as recorded, too
    assert "without denoising" in a.message
    d.outcome(a)  # 4
    d.view.state.candidate = None  # (what undoing step 0 does)
    a = d.next()
    assert (a.tool, a.args) == ("stem2cif", {"template": "t1"})
    d.outcome(a, ok=False)  # 5: fails on the raw image
    a = d.next()
    assert (a.tool, a.args) == ("rollback", {"step": 4})  # back to the structure of step 2
    d.outcome(a)  # 6
    d.view.state.candidate = Candidate(MOS2, "", "MoS2", "P1", {}, step=2)
    a = d.next()
    assert a.tool == "stem2cif" and a.args["column_sigma_A"] == 0.18
    assert a.message.startswith("check score 0.300")
    d.outcome(a, fraction_explained=0.95)  # 7
    d.outcome(d.next(), score=0.2)  # 8: worse
    a = d.next()
    assert (a.tool, a.args) == ("rollback", {"step": 7})
    d.outcome(a)  # 9
    a = d.next()
    assert a.tool == "stem2cif" and a.args["background_sigma_A"] == 4.0
    d.outcome(a, ok=False)  # 10: fails; nothing to undo
    a = d.next()
    assert (a.tool, a.args) == ("stem2cif", {"template": "t1", "source": "template"})
    d.outcome(a)  # 11
    d.outcome(d.next(), score=0.9)  # 12: better and good
    a = d.next()
    assert (a.tool, a.args) == ("predict_properties", {})
    d.outcome(a, ok=False)  # 13: relaxation blew up: reported, no single-point fallback
    assert d.next() == Finish(True)


def test_it_compares_with_the_undenoised_image_then_stops_at_a_good_structure():
    d = Driver(RulesPolicy(RulesConfig(denoise_passes=2)))
    a = d.next()
    d.outcome(a, denoised=True, noise_after={"noisy": True})  # 0
    a = d.next()
    assert (a.tool, a.args.get("if_noisy")) == ("denoise", None)  # still noisy: once more
    d.outcome(a, denoised=True, noise_after={"noisy": True})  # 1
    a = d.next()
    assert (a.tool, a.args) == ("stem2cif", {})  # no library: no match_templates
    d.outcome(a, fraction_explained=0.9)  # 2
    d.outcome(d.next(), score=0.8)  # 3: good
    a = d.next()
    assert (a.tool, a.args) == ("rollback", {"step": 0})  # both denoising passes undone
    assert "keep whichever check is better" in a.message
    d.outcome(a)  # 4
    d.outcome(d.next(), fraction_explained=0.9)  # 5: stem2cif on the raw image
    d.outcome(d.next(), score=0.85)  # 6: better: kept
    a = d.next()
    assert a.tool == "predict_properties"  # good: no retries
    d.outcome(a, formation_energy_per_atom=-0.8)
    assert d.next() == Finish(True)


def test_it_keeps_the_denoised_structure_when_the_raw_one_checks_worse():
    d = Driver(RulesPolicy(RulesConfig(denoise_passes=1)))
    d.outcome(d.next(), denoised=True, noise_after={"noisy": False})  # 0
    d.outcome(d.next(), fraction_explained=0.9)  # 1
    d.outcome(d.next(), score=0.8)  # 2
    d.outcome(d.next())  # 3: rollback to before denoising
    d.outcome(d.next(), fraction_explained=0.9)  # 4
    d.outcome(d.next(), score=0.7)  # 5: worse
    a = d.next()
    assert (a.tool, a.args) == ("rollback", {"step": 3})  # the denoised structure again
    d.outcome(a)
    assert d.next().tool == "predict_properties"


def test_it_fails_when_no_attempt_gives_a_structure():
    d = Driver(RulesPolicy(RulesConfig(retries=())))
    d.outcome(d.next(), ok=False)  # denoise unavailable
    a = d.next()
    assert a.tool == "stem2cif"
    d.outcome(a, ok=False)
    end = d.next()
    assert end == Finish(False, "no structure: it failed")


class _Known:
    """A retriever whose library knows one Mo-S monolayer, MoS2."""

    def with_elements(self, elements):
        from reconstruction.descriptors.retrieval import TemplateMatch

        return [TemplateMatch("t1", "MoS2", ("Mo", "S"), "P-6m2", float("nan"), MOS2, None)]


def test_an_unknown_stoichiometry_is_not_good_enough_to_stop():
    mos = MOS2.copy()
    del mos[[2]]
    for structure, formula, expected in ((mos, "MoS", "stem2cif"), (MOS2, "MoS2", "predict")):
        d = Driver(RulesPolicy(), retriever=_Known())
        d.outcome(d.next(), denoised=False)  # denoise: not noisy
        d.outcome(d.next(), matches=[{"id": "t1"}])  # match_templates
        step = d.outcome(d.next(), fraction_explained=0.97)  # stem2cif
        d.view.state.candidate = Candidate(structure, "", formula, "P1", {}, step=step.index)
        d.outcome(d.next(), score=0.95)  # check: high
        a = d.next()
        assert a.tool.startswith(expected), (formula, a)
        if formula == "MoS":
            assert a.args["column_sigma_A"] == 0.18  # the next attempt, not the energy
