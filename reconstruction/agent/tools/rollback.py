"""``rollback``: undo a step (and every later one), e.g. a retry whose check got worse."""

from __future__ import annotations

from typing import Any

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput


class RollbackTool(Tool):
    name = "rollback"
    description = (
        "Undo step 'step' and every step after it: the image, the current structure, its "
        "check and its energy go back to how they were before that step ran. The steps "
        "stay in the record."
    )
    schema = {
        "type": "object",
        "properties": {
            "step": {"type": "integer", "minimum": 0, "description": "index of the step to undo"}
        },
        "required": ["step"],
        "additionalProperties": False,
    }

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        step = args["step"]
        if step not in state.snapshots or step >= state.step:
            raise ToolError(f"no step {step} to undo (steps so far: 0..{state.step - 1})")
        state.restore(state.snapshots[step])
        current = state.candidate
        now = f"structure of step {current.step} ({current.formula})" if current else "no structure"
        score = None if state.check is None else state.check.get("score")
        return ToolOutput(
            f"undid steps {step}..{state.step - 1}: back to {now}",
            {
                "undone_from": step,
                "structure_step": None if current is None else current.step,
                "image_step": state.image_step,
                "check_score": score,
            },
        )
