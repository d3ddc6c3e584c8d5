"""A science error that escapes the agent (any of the one root, ScienceError) fails the run
with its own message; only a bug is an "unexpected error" with its traceback."""

from __future__ import annotations

import pytest

from automat_web.runs import execution
from reconstruction.energy.errors import CheckpointNotFound

from .conftest import upload

pytestmark = pytest.mark.django_db


def _raising(error):
    def run_agent(*args, **kwargs):
        raise error

    return run_agent


def test_a_science_error_fails_the_run_in_its_words(alice, lab_a, mos2_tiff, monkeypatch):
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    error = CheckpointNotFound("MatterSim weights not found at /models/ms.pth")
    monkeypatch.setattr("reconstruction.agent.run_agent", _raising(error))

    execution.run_agent(run.pk)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "MatterSim weights not found at /models/ms.pth"


def test_a_bug_is_an_unexpected_error_with_its_traceback(alice, lab_a, mos2_tiff, monkeypatch):
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    monkeypatch.setattr("reconstruction.agent.run_agent", _raising(KeyError("x")))

    execution.run_agent(run.pk)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("unexpected error:") and "KeyError" in run.error
