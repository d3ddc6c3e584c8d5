"""A real Celery worker process takes tasks from each supported broker."""

from __future__ import annotations

import pytest
from celery import Celery

from automat_web.system.models import WorkerHeartbeat
from tests.conftest import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["sqla", "redis"])
def test_it_runs_a_task_through_a_real_worker(kind, broker_url, celery_worker_process) -> None:
    url = broker_url(kind)
    worker = celery_worker_process(url, name=f"broker-{kind}")
    sender = Celery("automat-test-sender", broker=url)
    sender.conf.broker_connection_retry_on_startup = True
    # A bare app knows no routes: name the queue (a worker listens on "cpu" and "gpu").
    sender.send_task("worker.tasks.heartbeat", queue="cpu")

    def beat_recorded():
        """the worker wrote its heartbeat row"""
        assert worker.poll() is None, "the worker process died (see test-artifacts/)"
        return WorkerHeartbeat.objects.filter(hostname__startswith=f"broker-{kind}@").first()

    beat = wait_for(beat_recorded, timeout=90)
    assert beat.broker == kind
    assert beat.beats == 1
    assert beat.online
