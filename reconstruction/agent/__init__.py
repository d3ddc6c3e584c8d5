"""The agent: a policy (rules, a language model, or STEM2CIF once: direct) orchestrates the
tools — denoise, match_templates, stem2cif, check, predict_properties — on one micrograph
and records every step. ``run_agent`` is the one entry point (the web worker, the CLI and
the benchmark call it) and :class:`AgentResult` the one producer of ``result.json``."""

from reconstruction.agent.policies.base import Action, Finish, Policy, RunView
from reconstruction.agent.records import AgentResult, StepRecord
from reconstruction.agent.runner import run_agent


def __getattr__(name: str):
    # LLMSettings lives beside the LLM policy, which imports ``openai`` lazily.
    if name in ("LLMSettings", "LLMPolicy"):
        from reconstruction.agent.policies import llm

        return getattr(llm, name)
    raise AttributeError(name)


__all__ = [
    "Action",
    "AgentResult",
    "Finish",
    "LLMPolicy",
    "LLMSettings",
    "Policy",
    "RunView",
    "StepRecord",
    "run_agent",
]
