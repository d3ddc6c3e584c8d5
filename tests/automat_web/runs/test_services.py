"""The run service's bookkeeping: starting on upload, claiming, exactly one structure,
attempts, cancel, rerun and the sweep (no worker; the worker tests run the agent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automat_web.runs import execution, lifecycle
from automat_web.runs.models import Run, Step
from automat_web.samples.services import ingest_upload, set_pixel_size
from automat_web.structures.models import Structure
from tests.fixtures import micrographs

from .conftest import upload
from .helpers import agent_result, finished_run, write_step

pytestmark = pytest.mark.django_db


def test_it_queues_a_run_on_upload_and_sends_it_after_commit(
    alice, lab_a, mos2_tiff, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sample = upload(mos2_tiff, alice, lab_a)
    run = sample.runs.get()
    assert run.status == "queued" and run.policy == "rules" and run.mode == "idpc"
    assert run.requested_by == alice
    assert run.celery_task_id and run.enqueued is None  # not sent before the commit
    assert len(callbacks) == 1


def test_it_waits_for_elements_and_pixel_size(alice, lab_a, tmp_path) -> None:
    png = micrographs.png(tmp_path / "g.png")
    sample = ingest_upload(path=png, filename="g.png", owner=alice, group=lab_a, elements="C")
    assert not sample.sample.runs.exists()  # uncalibrated
    set_pixel_size(sample.sample, 0.1)
    assert sample.sample.runs.count() == 1
    tif = micrographs.calibrated_tiff(tmp_path / "x.tif")
    no_elements = upload(tif, alice, lab_a, elements="")
    assert not no_elements.runs.exists()
    with pytest.raises(lifecycle.RunRejected, match="elements"):
        lifecycle.create_run(no_elements)


def test_it_rejects_an_unknown_or_unconfigured_policy(alice, lab_a, mos2_tiff) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    with pytest.raises(lifecycle.RunRejected, match="unknown policy"):
        lifecycle.create_run(sample, "magic")
    with pytest.raises(lifecycle.RunRejected, match="AUTOMAT_LLM_BASE_URL"):
        lifecycle.create_run(sample, "llm")


def test_it_writes_one_structure_however_often_the_result_arrives(
    alice, lab_a, mos2_tiff, tmp_path
) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    run = sample.runs.get()
    first = execution._claim(run.pk, task_id="a", hostname="w1")
    write_step(run, first, tmp_path)
    # The broker redelivers while the first delivery is still alive: a second attempt.
    second = execution._claim(run.pk, task_id="a", hostname="w2")
    assert (first, second) == (1, 2)
    assert execution._Stopper(run.pk, first)() is True  # the stale attempt is told to stop
    assert execution._Stopper(run.pk, second)() is False
    execution._finish(Run.objects.get(pk=run.pk), first, agent_result())
    assert not Structure.objects.exists()  # the superseded attempt wrote nothing
    execution._finish(Run.objects.get(pk=run.pk), second, agent_result())
    execution._finish(Run.objects.get(pk=run.pk), second, agent_result())
    assert execution._claim(run.pk, task_id="a", hostname="w3") is None  # finished: no-op
    run.refresh_from_db()
    assert run.status == "succeeded" and run.attempts == 2 and run.progress == 1.0
    structure = Structure.objects.get()
    assert structure.run == run and structure.formula == "MoS2"
    assert structure.energy_model == "sevennet-0" and structure.curation_state == "unreviewed"
    assert (structure.a, structure.gamma, structure.template_id) == (3.184, 120.0, "2dm-1")
    assert run.matches[0]["distance"] == 0.012


def test_it_stores_steps_and_artifacts_content_addressed(alice, lab_a, mos2_tiff, tmp_path):
    run = finished_run(upload(mos2_tiff, alice, lab_a), tmp_path)
    step = Step.objects.get(run=run)
    assert (step.attempt, step.index, step.tool, step.ok) == (1, 0, "check", True)
    assert step.result == {"score": 0.97, "nan": None}  # NaN is not JSON
    artifact = step.artifacts.get(name="residual")
    assert artifact.name == "residual" and artifact.suffix == ".png"
    assert artifact.path.name == artifact.sha256 + ".png"
    assert artifact.path.read_bytes().startswith(b"\x89PNG")
    assert run.residual_map() == artifact


def test_it_gives_up_after_the_last_attempt(alice, lab_a, mos2_tiff, settings) -> None:
    settings.RUN_MAX_ATTEMPTS = 2
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    Run.objects.filter(pk=run.pk).update(status="running", attempts=2)
    execution.run_agent(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.attempts == 3
    assert "gave up after 2 attempts" in run.error


def test_it_cancels_a_queued_run_at_once_and_reruns(alice, lab_a, mos2_tiff) -> None:
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    with pytest.raises(lifecycle.RunRejected, match="still going"):
        lifecycle.rerun(run)
    lifecycle.cancel(run)
    assert run.status == "cancelled" and run.finished is not None
    assert execution.run_agent(run.pk) is None  # its task arrives later: nothing to do
    with pytest.raises(lifecycle.RunRejected, match="already cancelled"):
        lifecycle.cancel(run)
    again = lifecycle.rerun(run, requested_by=alice)
    assert again.pk != run.pk and again.status == "queued" and again.sample == run.sample


def test_it_cancels_a_running_run_at_its_next_step(alice, lab_a, mos2_tiff) -> None:
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    attempt = execution._claim(run.pk, task_id="t", hostname="w")
    stop = execution._Stopper(run.pk, attempt)
    assert stop() is False
    lifecycle.cancel(Run.objects.get(pk=run.pk))
    assert stop() is True
    execution._finish(Run.objects.get(pk=run.pk), attempt, agent_result("cancelled"))
    run.refresh_from_db()
    assert run.status == "cancelled" and not Structure.objects.exists()


def test_the_sweep_requeues_lost_runs_and_fails_exhausted_ones(
    alice, lab_a, mos2_tiff, tmp_path, settings, broker_url, portal_broker
) -> None:
    portal_broker(broker_url("sqla"))
    settings.RUN_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - timedelta(seconds=settings.TASK_TIME_LIMIT_S + 3600)
    lost = upload(mos2_tiff, alice, lab_a).runs.get()
    Run.objects.filter(pk=lost.pk).update(status="running", attempts=1, started=long_ago)
    tif = micrographs.calibrated_tiff(tmp_path / "other.tif", seed=5)
    exhausted = upload(tif, alice, lab_a).runs.get()
    Run.objects.filter(pk=exhausted.pk).update(status="running", attempts=2, started=long_ago)
    fresh = lifecycle.rerun(finished_run(upload(micrographs.calibrated_tiff(
        tmp_path / "third.tif", seed=6), alice, lab_a), tmp_path))  # fmt: skip
    Run.objects.filter(pk=fresh.pk).update(created=long_ago)  # its task never left

    report = lifecycle.sweep_stuck_runs()

    assert report == {"requeued": [lost.pk], "failed": [exhausted.pk], "sent": [fresh.pk]}
    lost.refresh_from_db()
    exhausted.refresh_from_db()
    assert lost.status == "queued" and lost.enqueued is not None
    assert exhausted.status == "failed" and "gave up after 2 attempts" in exhausted.error
    assert lifecycle.sweep_stuck_runs() == {"requeued": [], "failed": [], "sent": []}


def test_json_safe_drops_what_postgresql_refuses() -> None:
    import numpy as np

    value = {"a": np.float32(1.5), "b": [float("inf"), np.int64(3)], "c": np.arange(2)}
    assert execution.json_safe(value) == {"a": 1.5, "b": [None, 3], "c": [0, 1]}
