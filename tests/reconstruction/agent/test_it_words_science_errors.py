"""A tool failing with any of the science's domain errors (one root: ScienceError) is a
failed step with that error's own words; only a bug reads "unexpected error"."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolOutput, call
from reconstruction.denoise.types import DenoiseError
from reconstruction.energy.errors import MissingReference

from .images import PIXEL_SIZE_A, simulated


def _failing(error: Exception) -> Tool:
    class Failing(Tool):
        name: ClassVar[str] = "failing"
        description: ClassVar[str] = "fails"
        schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

        def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
            raise error

    return Failing()


@pytest.fixture
def state(tmp_path) -> AgentState:
    image = simulated().image
    return AgentState(
        original=image, image=image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        mode="idpc", artifacts_dir=tmp_path,
    )  # fmt: skip


@pytest.mark.parametrize(
    "error",
    [DenoiseError("the image is 3 px wide"), MissingReference("no reference energy for Og")],
)
def test_a_domain_error_is_a_step_in_its_own_words(state, error):
    outcome = call(_failing(error), state, {})

    assert outcome.output is None
    assert outcome.error == str(error)


def test_a_bug_is_an_unexpected_error(state):
    outcome = call(_failing(KeyError("x")), state, {})

    assert outcome.error.startswith("unexpected error (KeyError")
