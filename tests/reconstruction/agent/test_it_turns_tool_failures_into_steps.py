"""A tool's failure is an error message (a failed step); the task runner's time limit is not
a tool failure and stops the run."""

from __future__ import annotations


def test_a_task_time_limit_is_not_swallowed_as_a_failed_step(tmp_path):
    import pytest
    from billiard.exceptions import SoftTimeLimitExceeded

    from reconstruction.agent.tools import Tool, ToolOutput, call
    from reconstruction.agent.tools.base import ToolError

    class Slow(Tool):
        name = "slow"
        description = "raises what it is given"
        schema = {"type": "object", "properties": {}, "additionalProperties": False}

        def __init__(self, exc):
            self.exc = exc

        def run(self, state, args) -> ToolOutput:
            raise self.exc

    assert call(Slow(ZeroDivisionError("x")), None, {}).error.startswith("unexpected error")
    assert call(Slow(ToolError("no  such\nthing")), None, {}).error == "no such thing"
    with pytest.raises(SoftTimeLimitExceeded):
        call(Slow(SoftTimeLimitExceeded()), None, {})
