"""``python -m tests.worker.stub_agent <celery arguments>``: a real Celery worker whose agent
is a stub, so fault tests exercise the queue and the database, not the science.

The stub takes ``AUTOMAT_TEST_AGENT_SECONDS`` [s] (a step recorded halfway, so a run in
flight writes to the database), polls ``should_stop`` like the agent, and appends one JSON
line per start and per end to ``AUTOMAT_TEST_AGENT_LOG``; everything around it (claim,
steps, artifacts, the final transaction) is the real service.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _note(event: str, on_step) -> None:
    line = {"event": event, "run": on_step.run_id, "attempt": on_step.attempt, "pid": os.getpid()}
    with open(os.environ["AUTOMAT_TEST_AGENT_LOG"], "a") as fh:
        fh.write(json.dumps(line) + "\n")


def _wait(seconds: float, should_stop) -> bool:
    """Sleep ``seconds``, polling ``should_stop``; True if asked to stop."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if should_stop():
            return True
        time.sleep(0.1)
    return False


def stub_run_agent(image, *, artifacts_dir: Path, on_step, should_stop, **_: object):
    from reconstruction.agent import StepRecord
    from tests.automat_web.runs.helpers import agent_result

    seconds = float(os.environ.get("AUTOMAT_TEST_AGENT_SECONDS", "2"))
    _note("start", on_step)
    if _wait(seconds / 2, should_stop):
        return agent_result("cancelled")
    residual = Path(artifacts_dir) / "residual.png"
    residual.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(16))
    on_step(
        StepRecord(
            index=0, tool="stem2cif", args={}, ok=True, summary="stub", result={},
            artifacts={"residual": residual}, duration_s=seconds / 2,
        )
    )  # fmt: skip
    if _wait(seconds / 2, should_stop):
        return agent_result("cancelled")
    _note("end", on_step)
    return agent_result("succeeded")


def main() -> int:
    import reconstruction.agent

    reconstruction.agent.run_agent = stub_run_agent  # what the services call
    from celery.__main__ import main as celery_main

    sys.argv[0] = "celery"
    return celery_main()


if __name__ == "__main__":
    sys.exit(main())
