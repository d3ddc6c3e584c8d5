"""A language model as the planner, through any OpenAI-compatible chat endpoint.

The model gets the task (elements, pixel size, mode, image size — never pixels) and the
tools' JSON schemas; it answers with tool calls, each run as a step whose result (numbers
and a summary) goes back as the tool's message. A malformed call (arguments that are not
JSON) is answered with the error and the model asked again; a failing call becomes a
failed step whose error the model sees. The run ends when the model answers without a
tool call, or at the step limit.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from reconstruction.agent.policies.base import Action, Finish, RunView

SYSTEM_PROMPT = """\
You reconstruct the crystal structure of a 2D monolayer from one atomic-resolution STEM
micrograph by calling tools; you never see the image, only what the tools report.
Usual order: denoise (if_noisy=true), match_templates (skip if it reports no template
library), stem2cif (pass the nearest template id for heights), check (score: normalised
cross-correlation of the simulated structure with the image; about 0.8 or more is good),
then predict_properties on the structure you keep. If stem2cif fails or the check is
poor, retry stem2cif with changed settings or adopt a template (source='template'), check
again, and use rollback to undo an attempt whose check got worse. Tool errors come back
as messages: correct the call and try again. When done, answer in one or two sentences
without a tool call."""


@dataclass(frozen=True)
class LLMSettings:
    """Endpoint and limits of :class:`LLMPolicy`.

    Attributes
    ----------
    base_url : str
        OpenAI-compatible API root, e.g. ``http://127.0.0.1:8000/v1``.
    model : str
        Model name the endpoint knows.
    api_key : str
        Key (any non-empty string for endpoints without authentication).
    max_steps : int
        Most tool calls in one run.
    temperature : float
        Sampling temperature.
    timeout_s : float
        Per request [s].
    max_malformed : int
        Malformed answers in a row before the run fails.
    """

    base_url: str
    model: str
    api_key: str = "none"
    max_steps: int = 20
    temperature: float = 0.0
    timeout_s: float = 120.0
    max_malformed: int = 3

    def __post_init__(self) -> None:
        if not self.base_url or not self.model:
            raise ValueError("LLMSettings needs a base_url and a model")
        if self.max_steps < 1 or self.max_malformed < 1:
            raise ValueError("max_steps and max_malformed must be >= 1")

    def as_dict(self) -> dict[str, Any]:
        """Without the key."""
        return {
            "base_url": self.base_url,
            "model": self.model,
            "max_steps": self.max_steps,
            "temperature": self.temperature,
            "timeout_s": self.timeout_s,
            "max_malformed": self.max_malformed,
        }


class LLMPolicy:
    """Tool calls chosen by a chat model (see the module docstring)."""

    name = "llm"

    def __init__(self, settings: LLMSettings, client: Any = None) -> None:
        self.settings = settings
        self.max_steps = settings.max_steps
        self.transcript = None  # set by run_agent
        self._client = client
        self._messages: list[dict[str, Any]] = []
        self._pending: deque[tuple[str, Action]] = deque()
        self._waiting: str | None = None  # tool_call id of the step being run
        self._answered = 0
        self._nudged = False

    def next(self, run: RunView) -> Action | Finish:
        if not self._messages:
            self._say({"role": "system", "content": SYSTEM_PROMPT})
            self._say({"role": "user", "content": _task(run)})
        elif self._waiting is not None:
            self._say(_tool_message(self._waiting, run.steps[-1].as_dict()))
            self._waiting = None
        malformed = 0
        while not self._pending:
            from openai import OpenAIError

            try:
                message = self._ask(run)
            except OpenAIError as exc:  # unreachable, refused, or an answer that is not chat
                return Finish(False, f"language model unavailable: {_short(exc)}")
            calls = message.get("tool_calls") or []
            if not calls:
                done = self._finish(run, message.get("content"))
                if done is not None:
                    return done
                continue
            errors = self._queue(calls, message.get("content"))
            if errors:
                malformed += 1
                if malformed >= self.settings.max_malformed:
                    return Finish(
                        False, f"the language model sent {malformed} malformed answers in a row"
                    )
        call_id, action = self._pending.popleft()
        self._waiting = call_id
        return action

    def _queue(self, calls: list[dict[str, Any]], content: str | None) -> int:
        """Queue the well-formed calls; answer malformed ones with the error at once."""
        errors = 0
        for call in calls:
            fn = call.get("function") or {}
            raw = fn.get("arguments") or "{}"
            try:
                args = json.loads(raw)
                if not isinstance(args, dict):
                    raise ValueError("arguments must be a JSON object")
            except ValueError as exc:
                errors += 1
                self._say(
                    _tool_message(
                        call.get("id", ""),
                        {"ok": False, "error": f"malformed call: arguments {raw!r} are not a "
                         f"JSON object ({exc}); send the call again"},
                    )
                )  # fmt: skip
                continue
            self._pending.append((call.get("id", ""), Action(fn.get("name", ""), args, content)))
        if errors and self._pending:
            # Every tool call of an answer needs its reply before the next request, so the
            # well-formed ones still run; the malformed ones were already answered.
            return 0
        return errors

    def _finish(self, run: RunView, content: str | None) -> Finish | None:
        state = run.state
        if state.candidate is not None and state.energy is None and not self._nudged:
            self._nudged = True
            self._say(
                {
                    "role": "user",
                    "content": "The structure kept has no energy yet: call predict_properties "
                    "before finishing (or say why not).",
                }
            )
            return None
        if state.candidate is None:
            return Finish(False, f"the language model stopped without a structure: {content}")
        return Finish(True, message=content)

    def _ask(self, run: RunView) -> dict[str, Any]:
        response = self._chat().chat.completions.create(
            model=self.settings.model,
            messages=self._messages,
            tools=[tool.spec() for tool in run.tools.values()],
            tool_choice="auto",
            temperature=self.settings.temperature,
        )
        message = response.choices[0].message
        out: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in message.tool_calls
            ]
        self._say(out)
        return out

    def _chat(self):
        if self._client is None:
            from openai import OpenAI

            s = self.settings
            self._client = OpenAI(
                base_url=s.base_url, api_key=s.api_key, timeout=s.timeout_s, max_retries=2
            )
        return self._client

    def _say(self, message: dict[str, Any]) -> None:
        self._messages.append(message)
        if self.transcript is not None:
            self.transcript.add_message(message)


def _task(run: RunView) -> str:
    s = run.state
    rows, cols = s.original.shape
    library = "available" if s.retriever is not None else "not available"
    return (
        f"Micrograph: {rows} x {cols} px at {s.pixel_size_A:g} Å/px "
        f"({cols * s.pixel_size_A:.1f} x {rows * s.pixel_size_A:.1f} Å), mode {s.mode}. "
        f"Elements present: {', '.join(s.elements)}. Template library: {library}. "
        "Reconstruct the structure and its formation energy."
    )


def _tool_message(call_id: str, step: dict[str, Any]) -> dict[str, Any]:
    """What the model sees of a step: numbers and words, never arrays or file paths."""
    shown = {k: step[k] for k in ("ok", "summary", "result", "error") if step.get(k) is not None}
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(shown, default=str)}


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: " + " ".join(str(exc).split())[:300]
