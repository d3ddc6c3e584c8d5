"""``predict_properties``: formation energy of the current structure with a universal
machine-learned potential (relaxed, or a single point)."""

from __future__ import annotations

from typing import Any

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput
from reconstruction.energy.backends import MODELS
from reconstruction.energy.references import SCHEMES


class PredictPropertiesTool(Tool):
    name = "predict_properties"
    description = (
        "Formation energy per atom of the current structure with a machine-learned "
        "potential, after relaxing it (relax=true) or as built (relax=false). Run it last, "
        "on the structure you keep."
    )
    schema = {
        "type": "object",
        "properties": {
            "model": {"type": ["string", "null"], "enum": [*MODELS, None], "default": None},
            "relax": {"type": ["boolean", "null"], "default": None},
            "references": {
                "type": ["string", "null"],
                "enum": [*SCHEMES, None],
                "default": None,
            },
        },
        "additionalProperties": False,
    }

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        from reconstruction.energy.properties import predict_properties

        if state.candidate is None:
            raise ToolError("no structure yet: run stem2cif first")
        relax = state.relax if args["relax"] is None else args["relax"]
        out = predict_properties(
            state.candidate.structure,
            model=args["model"] or state.energy_model,
            references=args["references"],
            relax=relax,
            settings=state.settings,
        )
        if not out.ok:
            raise ToolError(out.summary)
        state.energy = dict(out.energy)
        return ToolOutput(out.summary, {**out.energy, "structure_step": state.candidate.step})
