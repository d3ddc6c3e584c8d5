"""The contract every tool of the agent keeps.

A tool has a ``name``, a ``description`` and a JSON ``schema`` of its arguments (handed as
they are to a language model), validates what it is given, and either returns a
:class:`ToolOutput` or raises :class:`ToolError` with a message a scientist (or a model)
can act on. :func:`call` turns every failure into an error message, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.schema import SchemaError, validate
from reconstruction.errors import ScienceError


class ToolError(ScienceError):
    """A tool could not do what it was asked; the message says why."""


@dataclass(frozen=True)
class ToolOutput:
    """What a successful tool call gives back.

    Attributes
    ----------
    summary : str
        One line for a person.
    result : dict
        JSON-able numbers (what a language model sees).
    artifacts : dict of str to Path
        Files written under the run's artifacts folder.
    """

    summary: str
    result: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)


class Tool:
    """Base class: subclasses set ``name``, ``description``, ``schema`` and ``run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    schema: ClassVar[dict[str, Any]]

    def validate(self, args: Any) -> dict[str, Any]:
        """Arguments with defaults filled in; :class:`SchemaError` names what is wrong."""
        return validate(args if args is not None else {}, self.schema)

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """The tool as an OpenAI-style function declaration."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.schema,
            },
        }


@dataclass(frozen=True)
class Outcome:
    """One call's result: ``output`` when ``error`` is None."""

    args: dict[str, Any]
    output: ToolOutput | None
    error: str | None


def call(tool: Tool, state: AgentState, args: Any) -> Outcome:
    """Validate and run; a domain failure or a bug becomes an error message."""
    import logging

    try:
        checked = tool.validate(args)
    except SchemaError as exc:
        return Outcome(args if isinstance(args, dict) else {"raw": args}, None, str(exc))
    try:
        return Outcome(checked, tool.run(state, checked), None)
    except ToolError as exc:
        return Outcome(checked, None, _one_line(str(exc)))
    except Exception as exc:  # a failing tool is a failed step, never a crash of the run
        from reconstruction.errors import ScienceError

        if _passes_through(exc):
            raise

        if isinstance(exc, ScienceError):  # a domain error: its message says what was seen
            return Outcome(checked, None, _one_line(str(exc)))
        logging.getLogger(__name__).exception("tool %s failed", tool.name)
        return Outcome(
            checked, None, f"unexpected error ({type(exc).__name__}: {_one_line(str(exc))})"
        )


#: Exceptions that stop the whole run rather than fail one tool: the time limits of the
#: task runner around it (Celery's billiard raises them inside whatever code is running).
PASS_THROUGH = ("SoftTimeLimitExceeded", "TimeLimitExceeded")


def _passes_through(exc: Exception) -> bool:
    return any(cls.__name__ in PASS_THROUGH for cls in type(exc).__mro__)


def _one_line(text: str) -> str:
    return " ".join(text.split())
