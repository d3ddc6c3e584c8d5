"""The run's transcript: every step and, for the LLM policy, every message exchanged,
written as ``transcript.json`` beside the artifacts (the provenance of a result)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconstruction.agent.records import StepRecord


@dataclass
class Transcript:
    """Steps and policy messages in order."""

    policy: str
    steps: list[StepRecord] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add_step(self, step: StepRecord) -> None:
        self.steps.append(step)

    def add_message(self, message: dict[str, Any]) -> None:
        """A chat message (role, content, tool calls) as sent or received."""
        self.messages.append(json.loads(json.dumps(message, default=str)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "steps": [s.as_dict() for s in self.steps],
            "messages": list(self.messages),
        }

    def write(self, folder: Path) -> Path:
        path = folder / "transcript.json"
        path.write_text(json.dumps(self.as_dict(), indent=2))
        return path
