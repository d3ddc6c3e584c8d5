"""The agent's tools: each a JSON schema, a validation and a typed result or an error.

``denoise``, ``match_templates``, ``stem2cif``, ``check``, ``predict_properties`` (the
paper's four plus the check by simulation) and ``rollback``.
"""

from __future__ import annotations

from reconstruction.agent.tools.base import Outcome, Tool, ToolError, ToolOutput, call
from reconstruction.agent.tools.check import CheckTool
from reconstruction.agent.tools.denoise import DenoiseTool
from reconstruction.agent.tools.match import MatchTemplatesTool
from reconstruction.agent.tools.properties import PredictPropertiesTool
from reconstruction.agent.tools.rollback import RollbackTool
from reconstruction.agent.tools.schema import SchemaError, validate
from reconstruction.agent.tools.stem2cif import Stem2CifTool


def default_tools() -> dict[str, Tool]:
    """Every tool by name, in the order a run usually calls them."""
    tools = [
        DenoiseTool(),
        MatchTemplatesTool(),
        Stem2CifTool(),
        CheckTool(),
        PredictPropertiesTool(),
        RollbackTool(),
    ]
    return {t.name: t for t in tools}


__all__ = [
    "CheckTool",
    "DenoiseTool",
    "MatchTemplatesTool",
    "Outcome",
    "PredictPropertiesTool",
    "RollbackTool",
    "SchemaError",
    "Stem2CifTool",
    "Tool",
    "ToolError",
    "ToolOutput",
    "call",
    "default_tools",
    "validate",
]
