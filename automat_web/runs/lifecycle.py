"""Runs' lifecycle: create one (one active run per sample), start when a sample is ready,
rerun, cancel, hand it to the queue, sweep the lost ones, and read a run's summary. What
a worker does with a run is :mod:`automat_web.runs.execution`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from automat_web.runs.models import Run
from automat_web.samples.models import Sample
from automat_web.structures.models import Structure

log = logging.getLogger(__name__)


#: Name of the Celery task that processes one run (worker/tasks.py).
TASK_NAME = "worker.tasks.run_agent"
POLICIES = ("rules", "llm")


class RunRejected(Exception):
    """The run cannot be created or changed; ``str(error)`` is the message to show."""


class RunAlreadyActive(RunRejected):
    """The sample has a queued or running run: one run of a sample at a time."""


# --- creating, cancelling, rerunning -------------------------------------------------------


def create_run(
    sample: Sample, policy: str = "rules", *, requested_by: AbstractBaseUser | None = None
) -> Run:
    """Create a queued run of ``sample`` and send its task once the transaction commits.

    The one way a run starts (the API, the page's start and rerun, uploads, the CLI), so
    one rule holds for all: no new run while a run of the sample is queued or running
    (RunAlreadyActive). The database's constraint ``runs_one_active_run_per_sample`` keeps
    it when two requests race.
    """
    if policy not in POLICIES:
        raise RunRejected(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if policy == "llm" and not (settings.LLM_BASE_URL and settings.LLM_MODEL):
        raise RunRejected("the llm policy needs AUTOMAT_LLM_BASE_URL and AUTOMAT_LLM_MODEL")
    if not sample.is_ready:
        raise RunRejected(f"this sample cannot be processed yet: it {sample.status_label}")
    if not sample.elements:
        raise RunRejected("this sample cannot be processed yet: say which elements it holds")
    try:
        with transaction.atomic():
            run = Run.objects.create(
                sample=sample,
                policy=policy,
                mode=sample.imaging_mode,
                requested_by=requested_by if requested_by and requested_by.pk else None,
                celery_task_id=str(uuid.uuid4()),
            )
            transaction.on_commit(lambda: enqueue(run.pk))
    except IntegrityError:
        active = sample.runs.active().first()
        if active is None:
            raise
        raise RunAlreadyActive(
            f"run {active.pk} of this sample is still going ({active.status}): "
            "cancel it or wait for it to finish"
        ) from None
    return run


def start_if_ready(sample: Sample, *, requested_by: AbstractBaseUser | None = None) -> Run | None:
    """Start processing a sample that has what it needs and no run yet (uploads call this)."""
    if not sample.is_ready or not sample.elements or sample.runs.exists():
        return None
    try:
        return create_run(sample, requested_by=requested_by)
    except RunAlreadyActive:  # a concurrent request started it
        return None


def rerun(run: Run, *, requested_by: AbstractBaseUser | None = None) -> Run:
    """A new run of the same sample and policy (the old one and its steps are kept);
    refused like any new run while a run of the sample is going."""
    return create_run(run.sample, run.policy, requested_by=requested_by)


def cancel(run: Run) -> Run:
    """Cancel a run: a queued one at once, a running one at its next step."""
    now = timezone.now()
    updated = Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
        status=Run.Status.CANCELLED, cancel_requested=True, finished=now, error="cancelled"
    ) or Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(cancel_requested=True)
    if not updated:
        run.refresh_from_db()
        raise RunRejected(f"this run has already {run.status}")
    run.refresh_from_db()
    return run


def enqueue(run_id: int) -> bool:
    """Send the run's task (with the id stored on the row); False if the broker refused.

    A run whose task could not be sent stays queued with ``enqueued`` unset; the sweep
    sends it again.
    """
    from automat_web.celery import app

    run = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).first()
    if run is None:
        return False
    try:
        with app.connection_for_write() as conn:
            app.send_task(
                TASK_NAME,
                args=[run_id],
                task_id=run.celery_task_id or None,
                connection=conn,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
    except Exception:  # the broker is down: keep the run queued for the sweep
        log.exception("could not send the task of run %s; the sweep will retry", run_id)
        return False
    Run.objects.filter(pk=run_id).update(enqueued=timezone.now())
    return True


# --- processing (the Celery task) ----------------------------------------------------------


def sweep_stuck_runs(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Requeue (or fail, when out of attempts) runs whose worker vanished, and send the
    tasks that never reached the broker. A killed worker fires no signal, and some brokers
    (the SQL transport) never redeliver a message its dead consumer had taken.
    """
    from automat_web.runs.execution import fail_attempt  # it imports this module

    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.TASK_TIME_LIMIT_S + settings.RUN_SWEEP_MARGIN_S)
    report: dict[str, list[int]] = {"requeued": [], "failed": [], "sent": []}
    for run in Run.objects.filter(status=Run.Status.RUNNING, started__lt=stuck_before):
        if run.attempts >= settings.RUN_MAX_ATTEMPTS:
            if fail_attempt(run, run.attempts, _lost_message(run)).status == Run.Status.FAILED:
                report["failed"].append(run.pk)
            continue
        requeued = Run.objects.filter(
            pk=run.pk, status=Run.Status.RUNNING, attempts=run.attempts
        ).update(status=Run.Status.QUEUED, celery_task_id=str(uuid.uuid4()), enqueued=None)
        if requeued:
            report["requeued"].append(run.pk)
            enqueue(run.pk)
    unsent = Run.objects.filter(
        status=Run.Status.QUEUED, enqueued__isnull=True, created__lt=now - timedelta(seconds=60)
    )
    for run_id in unsent.values_list("pk", flat=True):
        if enqueue(run_id):
            report["sent"].append(run_id)
    if any(report.values()):
        log.warning("sweep of stuck runs: %s", report)
    return report


def _lost_message(run: Run) -> str:
    return (
        f"gave up after {run.attempts} attempts: no result within the time limit "
        f"({settings.TASK_TIME_LIMIT_S} s); the worker was probably lost"
    )


# --- JSON -----------------------------------------------------------------------------------


def run_summary(run: Run) -> dict[str, Any]:
    """The run as JSON (what ``automat submit --wait`` prints and the API nests)."""
    structure = Structure.objects.filter(run=run).first()
    steps = [
        {
            "index": s.index,
            "tool": s.tool,
            "args": s.args,
            "ok": s.ok,
            "summary": s.summary,
            "duration_s": s.duration_s,
            "error": s.error or None,
        }
        for s in run.current_steps()
    ]
    return {
        "id": run.pk,
        "sample": run.sample_id,
        "status": run.status,
        "policy": run.policy,
        "attempts": run.attempts,
        "error": run.error or None,
        "review": (run.result or {}).get("review", []),
        "steps": steps,
        "formula": structure.formula if structure else None,
        "spacegroup": structure.spacegroup if structure else None,
        "lattice": (
            {"a": structure.a, "b": structure.b, "gamma": structure.gamma} if structure else None
        ),
        "energy": (
            {
                "formation_energy_per_atom": structure.formation_energy_per_atom,
                "total_energy_per_atom": structure.total_energy_per_atom,
                "model": structure.energy_model,
                "relaxed": structure.relaxed,
            }
            if structure
            else None
        ),
        "timings_s": run.timings_s,
        "provenance": run.provenance,
    }


def wait_for_run(
    run: Run, *, timeout_s: float, poll_s: float = 1.0, on_poll: Callable | None = None
) -> Run:
    """Poll the run's row until it finishes or ``timeout_s`` passes; returns it refreshed."""
    deadline = time.monotonic() + timeout_s
    while True:
        run.refresh_from_db()
        if on_poll:
            on_poll(run)
        if not run.is_active or time.monotonic() > deadline:
            return run
        time.sleep(poll_s)
