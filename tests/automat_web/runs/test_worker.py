"""Real Celery worker processes run the real agent: a run survives SIGKILL of the process
running it and finishes exactly once; cancel and rerun; ``automat submit --wait``.

The workers score energies without relaxing (AUTOMAT_RUN_RELAX=0) to keep the suite short;
relaxation is tested in tests/reconstruction/energy (AUTOMAT_TEST_RUN_RELAX=1 relaxes here too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from automat_web.runs import lifecycle
from automat_web.runs.models import Run
from automat_web.structures.models import Structure
from tests.conftest import ARTIFACTS, test_database_url, wait_for

from .conftest import upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

#: [s] for one run on a shared 2-core machine (first use loads the potential).
RUN_TIMEOUT_S = 420


@pytest.fixture
def worker_for(broker_url, portal_broker, celery_worker_process, monkeypatch):
    """``worker_for(kind, name)``: a worker on that broker, with the portal sending there."""
    monkeypatch.setenv("AUTOMAT_RUN_RELAX", os.environ.get("AUTOMAT_TEST_RUN_RELAX", "0"))

    def start(kind: str, name: str):
        url = broker_url(kind)
        portal_broker(url)
        return url, celery_worker_process(url, name=name)

    return start


def _wait_until(run: Run, worker, predicate, *, timeout: float = RUN_TIMEOUT_S) -> Run:
    def check():
        """the run reached the expected state (see the worker log in test-artifacts/)"""
        assert worker.poll() is None, "the worker process died (see test-artifacts/)"
        run.refresh_from_db()
        return predicate(run)

    wait_for(check, timeout=timeout, every=0.1)
    return run


def _first_step_written(run: Run) -> bool:
    return run.status == "running" and run.worker_pid and run.steps.exists()


@pytest.mark.parametrize("kind", ["sqla", "redis"])
def test_it_finishes_exactly_once_after_the_worker_is_killed(
    kind, worker_for, alice, lab_a, mos2_tiff
) -> None:
    _, worker = worker_for(kind, f"runs-kill-{kind}")
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    _wait_until(run, worker, _first_step_written)
    killed = run.worker_pid
    assert killed != worker.pid  # the pool child that runs the task, as the OOM killer would
    os.kill(killed, signal.SIGKILL)

    _wait_until(run, worker, lambda r: not r.is_active)
    assert run.status == "succeeded", run.error
    assert run.attempts == 2 and run.worker_pid != killed
    assert Structure.objects.filter(run__sample=run.sample).count() == 1
    assert run.steps.filter(attempt=1).exists()  # the killed attempt's steps are kept
    tools = [step.tool for step in run.current_steps()]
    assert "stem2cif" in tools and tools[-1] == "predict_properties", tools
    structure = run.structure
    assert structure.formula == "MoS2" and structure.formation_energy_per_atom is not None
    assert abs(structure.a - 3.184) < 0.05
    log = (ARTIFACTS / f"worker-runs-kill-{kind}.log").read_text(errors="replace")
    assert "WorkerLostError" in log


def test_it_cancels_a_running_run_and_reruns_it(worker_for, alice, lab_a, mos2_tiff) -> None:
    _, worker = worker_for("sqla", "runs-cancel")
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    _wait_until(run, worker, _first_step_written)
    lifecycle.cancel(run)
    _wait_until(run, worker, lambda r: not r.is_active)
    assert run.status == "cancelled" and run.attempts == 1
    assert not Structure.objects.exists()
    assert "predict_properties" not in {s.tool for s in run.current_steps()}

    again = lifecycle.rerun(run, requested_by=alice)
    _wait_until(again, worker, lambda r: not r.is_active)
    assert again.status == "succeeded", again.error
    assert Structure.objects.get().run == again


def test_submit_waits_and_prints_the_run_as_json(worker_for, alice, mos2_tiff, settings) -> None:
    url, worker = worker_for("sqla", "runs-submit")
    env = dict(
        os.environ,
        DATABASE_URL=test_database_url(),
        AUTOMAT_BROKER_URL=url,
        AUTOMAT_DATA_DIR=str(settings.DATA_DIR),
        DJANGO_SETTINGS_MODULE="automat_web.settings",
    )
    automat = str(Path(sys.executable).parent / "automat")
    command = [automat, "submit", str(mos2_tiff), "--elements", "Mo,S", "--user", "alice"]
    done = subprocess.run(
        [*command, "--wait", "--timeout", str(RUN_TIMEOUT_S)],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S + 60,
    )
    assert worker.poll() is None
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["status"] == "succeeded" and printed["formula"] == "MoS2"
    assert printed["energy"]["model"] and printed["energy"]["formation_energy_per_atom"] < 0
    assert [s["tool"] for s in printed["steps"]][-1] == "predict_properties"
    run = Run.objects.get(pk=printed["id"])
    assert run.sample.owner == alice and run.status == "succeeded"

    refused = subprocess.run(
        [automat, "submit", str(mos2_tiff), "--elements", "Mo,Xx", "--user", "alice"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("automat submit:") and "Xx" in refused.stderr


def test_the_sweep_recovers_a_run_whose_whole_worker_died(
    worker_for, celery_worker_process, alice, lab_a, mos2_tiff, settings
) -> None:
    """The SQL transport never redelivers a message its dead consumer took; the sweep does."""
    from datetime import timedelta

    from django.utils import timezone

    url, worker = worker_for("sqla", "runs-dead")
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    _wait_until(run, worker, _first_step_written)
    os.kill(worker.pid, signal.SIGKILL)  # the main process first, so nothing is requeued
    os.kill(run.worker_pid, signal.SIGKILL)
    worker.wait(timeout=30)
    replacement = celery_worker_process(url, name="runs-dead-replacement")

    later = timezone.now() + timedelta(
        seconds=settings.TASK_TIME_LIMIT_S + settings.RUN_SWEEP_MARGIN_S + 1
    )
    assert lifecycle.sweep_stuck_runs(now=later)["requeued"] == [run.pk]
    _wait_until(run, replacement, lambda r: not r.is_active)
    assert run.status == "succeeded", run.error
    assert run.attempts == 2
    assert Structure.objects.filter(run__sample=run.sample).count() == 1


def test_an_llm_run_uses_the_configured_endpoint_and_records_its_words(
    worker_for, alice, lab_a, mos2_tiff, settings, monkeypatch
) -> None:
    from tests.reconstruction.agent.chat_server import ChatServer, text, tool_call

    replies = [
        tool_call("stem2cif", "{}", "c1"),
        tool_call("check", "{}", "c2"),
        tool_call("predict_properties", '{"relax": false}', "c3"),
        text("MoS2, checked against the image, energy scored."),
    ]
    with ChatServer(replies) as server:
        for name, value in (("BASE_URL", server.base_url), ("MODEL", "planner-1")):
            monkeypatch.setenv(f"AUTOMAT_LLM_{name}", value)  # for the worker process
            setattr(settings, f"LLM_{name}", value)
        _, worker = worker_for("sqla", "runs-llm")
        sample = ingest_upload_without_run(mos2_tiff, alice, lab_a)
        run = lifecycle.create_run(sample, "llm", requested_by=alice)
        _wait_until(run, worker, lambda r: not r.is_active)
    assert run.status == "succeeded", run.error
    steps = list(run.current_steps())
    assert [s.tool for s in steps] == ["stem2cif", "check", "predict_properties"]
    assert steps[0].message == "calling stem2cif"  # the model's words, kept with the step
    assert server.requests[0]["body"]["model"] == "planner-1"
    assert run.structure.formula == "MoS2" and run.structure.energy_model


def ingest_upload_without_run(path, owner, group):
    """A sample whose elements are entered after the upload (so no rules run starts)."""
    sample = upload(path, owner, group, elements="")
    sample.elements = ["Mo", "S"]
    sample.save()
    return sample
