"""What a policy decides: the next tool call, or the end of the run."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconstruction.agent.records import StepRecord
from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool


@dataclass(frozen=True)
class Action:
    """Call ``tool`` with ``args``; ``message`` says why."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    message: str | None = None


@dataclass(frozen=True)
class Finish:
    """End the run: ``ok`` keeps the current structure; otherwise ``error`` says why."""

    ok: bool
    error: str | None = None
    message: str | None = None


@dataclass
class RunView:
    """What a policy may look at: the tools, the steps so far and the run's state."""

    tools: dict[str, Tool]
    steps: list[StepRecord]
    state: AgentState

    @property
    def has_retriever(self) -> bool:
        return self.state.retriever is not None


class Policy(Protocol):
    """Chooses tools one at a time."""

    name: str
    #: Most tool calls in one run.
    max_steps: int

    def next(self, run: RunView) -> Action | Finish:
        """The next call given everything done so far (``run.steps[-1]`` is the last)."""
        ...


#: A policy's whole run as one generator: it yields the next action (or the finish) and
#: is sent the record of each step it asked for.
Plan = Generator[Action | Finish, StepRecord, None]


class PlannedPolicy:
    """A :class:`Policy` written as one generator, :meth:`plan` (the rules, the direct
    path): ``next`` starts it on the first call and sends it each step's record after."""

    name = "planned"
    max_steps = 40

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self._plan: Plan | None = None

    def next(self, run: RunView) -> Action | Finish:
        if self._plan is None:
            self._plan = self.plan(run)
            return next(self._plan)
        return self._plan.send(run.steps[-1])

    def plan(self, run: RunView) -> Plan:
        raise NotImplementedError
