"""``bench score`` takes a structure as the method's answer when its run succeeded, and the
direct policy's (STEM2CIF as published) whatever the quality gate said of it."""

from __future__ import annotations

from reconstruction.bench.compare import offered_prior
from reconstruction.bench.score import answered


def test_a_structure_sent_to_review_is_no_answer_but_the_direct_policys() -> None:
    assert answered({"status": "succeeded", "policy": "rules"})
    assert not answered({"status": "needs_review", "policy": "rules"})
    assert not answered({"status": "needs_review", "policy": "llm"})
    assert answered({"status": "needs_review", "policy": "direct"})
    assert not answered({"status": "failed", "policy": "direct"})
    assert answered({"status": "succeeded"})  # naive, oracle, results of before the agent


def test_the_prior_offered_is_read_from_old_results_too() -> None:
    prior = {"id": "t-1", "accepted": False}
    assert offered_prior({"prior": prior, "template": None}) == prior
    assert offered_prior({"prior": None, "template": {"id": "t-2", "use": "adopted"}}) is None
    assert offered_prior({"template": prior}) == prior  # the plain CLI's result.json
