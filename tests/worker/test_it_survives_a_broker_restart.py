"""Redis restarts while runs are queued and one is in flight: every run still finishes,
each exactly once, and a run queued while Redis was down is sent by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automat_web.runs import lifecycle
from automat_web.runs.models import Run

from .conftest import finished_once, wait_for_db

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUNS = 4


def test_it_loses_no_run_when_the_broker_restarts(
    private_redis, portal_broker, stub_worker, queue_runs
) -> None:
    portal_broker(private_redis.url)
    worker, agent_log = stub_worker(private_redis.url, "fault-broker", seconds=3.0)
    runs = queue_runs(RUNS)

    def first_in_flight():
        """the first run is being processed"""
        assert worker.poll() is None, "the worker died (see test-artifacts/)"
        return Run.objects.filter(pk=runs[0].pk, status="running").exists()

    wait_for_db(first_in_flight, timeout=60)
    private_redis.stop()
    (late,) = queue_runs(1)  # its task cannot be sent: it stays queued, unsent
    late.refresh_from_db()
    assert late.status == "queued" and late.enqueued is None
    private_redis.start()
    # The beat's sweep sends tasks that never reached the broker (once they are a minute old).
    assert lifecycle.sweep_stuck_runs(now=timezone.now() + timedelta(seconds=61))["sent"] == [
        late.pk
    ]
    runs.append(late)

    events = finished_once(runs, worker, agent_log, log="worker-fault-broker.log")
    for run in runs:
        assert events[(run.pk, "start")] == run.attempts == 1, events
