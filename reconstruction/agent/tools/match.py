"""``match_templates``: describe the current image and find the nearest known structures
with the given elements (the retriever is handed in by the caller)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput

NO_LIBRARY = "no template library"


class MatchTemplatesTool(Tool):
    name = "match_templates"
    description = (
        "Describe the current image (lattice + motif and pair-distance histogram in Å) and "
        "return the k nearest templates (known structures) with the given elements, nearest "
        "first, with their distances and the descriptor each was ranked by ('rich', or "
        "'rdf' when no template is near by 'rich' but one is by the histogram). Their ids "
        "can be passed to stem2cif. Optional: the distances up to which a template counts as "
        "near ('max_distance' by 'rich', 'rdf_max_distance' by the histogram; default the "
        "measured ones) and template ids to leave out of the library for the rest of the run."
    )
    schema = {
        "type": "object",
        "properties": {
            "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
            "allow_subset": {
                "type": "boolean",
                "description": "also templates with only some of the elements",
                "default": False,
            },
            "max_distance": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "largest 'rich' distance of a near template (null: measured)",
                "default": None,
            },
            "rdf_max_distance": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "largest histogram distance when none is near by 'rich' "
                "(null: measured; 0: never)",
                "default": None,
            },
            "exclude": {
                "type": "array",
                "items": {"type": "string"},
                "description": "template ids left out of the library (held-out tests)",
                "default": [],
            },
        },
        "additionalProperties": False,
    }

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        if state.retriever is None:
            raise ToolError(NO_LIBRARY)
        try:
            from reconstruction.descriptors import describe_image
        except ImportError as exc:
            raise ToolError(f"template descriptors are not available ({exc})") from exc
        if args["exclude"]:
            _leave_out(state, args["exclude"])
        descriptor = describe_image(state.image, pixel_size_A=state.pixel_size_A, mode=state.mode)
        from reconstruction.stem2cif.prior import nearest_templates

        limits = {k: args[k] for k in ("max_distance", "rdf_max_distance")}
        try:
            matches = nearest_templates(
                state.retriever, descriptor, state.elements, args["k"],
                allow_subset=args["allow_subset"], **limits,
            )  # fmt: skip
        except LookupError as exc:  # the library was not described in this imaging mode
            raise ToolError(str(exc)) from exc
        state.matches = list(matches)
        state.prior_limits = limits
        if descriptor.lattice and state.measured_lattice is None:
            state.measured_lattice = dict(descriptor.lattice)
        listed = [m.as_dict() for m in matches]
        if not matches:
            summary = f"no template with elements {', '.join(state.elements)}"
        else:
            best = matches[0]
            summary = f"{len(matches)} template(s); nearest {best.id} ({best.formula}), " + (
                f"distance {best.distance:.4f}"
            )
        return ToolOutput(summary, {"matches": listed, "lattice": descriptor.lattice})


def _leave_out(state: AgentState, ids: list[str]) -> None:
    """The run's library without the templates ``ids``, for every later step and the
    quality gate alike (a held-out structure must not be known to either)."""
    without = getattr(state.retriever, "without", None)
    if without is None:
        raise ToolError("this template library cannot leave templates out")
    state.retriever = without(list(ids))
    state.known = None  # the gate's list of known monolayers came from the full library


def shipped_retriever(path: Path | None = None):
    """A template library dump searched in memory (``path``, default the shipped one, e.g.
    ``ScienceSettings.templates_dump``), or None when it is not built (the web app hands in
    its pgvector retriever instead)."""
    try:
        from reconstruction.descriptors import ArrayRetriever

        return ArrayRetriever.from_dump(path)
    except (ImportError, FileNotFoundError):
        return None
