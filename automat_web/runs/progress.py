"""How far a run has got, from the tools its recorded steps called.

A run's number of tool calls is not known in advance: denoising passes, template
matching, retries of STEM2CIF with their checks and rollbacks differ from image to image
(a rules run makes 4 to 15 calls). The stages a run goes through are fixed, though, and in
this order (``reconstruction.agent.tools.default_tools``). So progress is the share of the
stages the steps have reached; retries and rollbacks do not move it, and the last share is
left for the quality gate and the stored result (the run's end sets 1).
"""

from __future__ import annotations

from collections.abc import Iterable

#: The agent's tools in the order a run calls them (a rollback is no stage).
STAGES = ("denoise", "match_templates", "stem2cif", "check", "predict_properties")


def stage_reached(tools: Iterable[str]) -> int:
    """How many of :data:`STAGES` a run whose steps called ``tools`` has reached (0 to 5)."""
    return max((STAGES.index(tool) + 1 for tool in tools if tool in STAGES), default=0)


def progress_of(tools: Iterable[str]) -> float:
    """Estimated fraction done [0–1) of a run whose steps called ``tools`` so far."""
    return stage_reached(tools) / (len(STAGES) + 1)
