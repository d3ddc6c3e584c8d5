"""Processing a run through ``execution.run_agent`` with a stand-in for the agent: the
service's real recording (provenance, steps, transcript, structure) without the science."""

from __future__ import annotations

from pathlib import Path

from automat_web.runs import execution
from automat_web.runs.models import Run
from reconstruction.agent import StepRecord
from reconstruction.agent.transcript import Transcript
from tests.automat_web.runs.helpers import agent_result

CHECK = {
    "name": "forward_model", "ok": True, "detail": "its idpc simulation correlates at 0.93",
    "value": 0.93, "threshold": 0.5, "fatal": False,
}  # fmt: skip
MESSAGES = [
    {"role": "system", "content": "You reconstruct 2D materials from STEM images."},
    {"role": "assistant", "content": None, "tool_calls": [{"name": "denoise"}]},
]


def fake_agent(seen: dict, *, formula: str = "MoS2", score: float = 0.93):
    """A ``reconstruction.agent.run_agent`` that writes two steps and a transcript (with
    chat messages for the llm policy) and returns a fixed result; ``seen`` gets its
    keyword arguments."""

    def run_agent(image, **kwargs) -> object:
        seen.update(kwargs)
        folder = Path(kwargs["artifacts_dir"])
        denoised = folder / "denoised.png"
        denoised.write_bytes(b"\x89PNG\r\n\x1a\n" + formula.encode())
        steps = [
            StepRecord(
                index=0, tool="denoise", args={"method": "moe", "if_noisy": False}, ok=True,
                summary="moe (expert 1): SNR 3.0 -> 12.0 dB", result={"denoised": True},
                artifacts={"denoised": denoised}, duration_s=0.2,
            ),
            StepRecord(
                index=1, tool="check", args={"mode": "idpc"}, ok=True,
                summary=f"simulated vs input: score {score}", result={"score": score},
                duration_s=0.1,
            ),
        ]  # fmt: skip
        transcript = Transcript(policy=kwargs["policy"])
        for step in steps:
            kwargs["on_step"](step)
            transcript.add_step(step)
        if kwargs["policy"] == "llm":
            for message in MESSAGES:
                transcript.add_message(message)
        transcript.write(folder)
        result = agent_result()
        result.policy = kwargs["policy"]
        result.formula = formula
        result.steps = steps
        result.review = [{**CHECK, "value": score}]
        return result

    return run_agent


def processed_run(run: Run, monkeypatch, **options) -> Run:
    """``run`` processed by the service with :func:`fake_agent`."""
    seen: dict = {}
    monkeypatch.setattr("reconstruction.agent.run_agent", fake_agent(seen, **options))
    execution.run_agent(run.pk, task_id="t", hostname="test@host")
    run.refresh_from_db()
    run.seen = seen
    return run
