"""PostgreSQL restarts while a run is in flight and others are queued: every run still
finishes, each exactly once. The run in flight loses its connection at its next write; its
task is retried (worker/tasks.py) and the retry claims the run as a new attempt."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.plugins import embedded_db

from .conftest import agent_events, finished_once, wait_for_db

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUNS = 3


def test_it_loses_no_run_when_postgresql_restarts(
    private_redis, portal_broker, stub_worker, queue_runs
) -> None:
    server = embedded_db._server
    if server is None:
        pytest.skip("the suite runs on an outside PostgreSQL (DATABASE_URL): not ours to restart")
    portal_broker(private_redis.url)
    worker, agent_log = stub_worker(private_redis.url, "fault-db", seconds=4.0)
    runs = queue_runs(RUNS)

    def first_in_flight():
        """the stub agent started the first run"""
        assert worker.poll() is None, "the worker died (see test-artifacts/)"
        return agent_events(agent_log)[(runs[0].pk, "start")]

    wait_for_db(first_in_flight, timeout=60)
    connections.close_all()
    server.stop()  # a fast shutdown: every session is cut, as in a restart or failover
    server.start()

    events = finished_once(runs, worker, agent_log, log="worker-fault-db.log")
    for run in runs:  # the cut attempt did not finish it; its retry did
        assert events[(run.pk, "start")] == run.attempts, events
    assert runs[0].attempts == 2  # the attempt in flight was cut, the retry finished it
    log = (embedded_db.ROOT / "test-artifacts" / "worker-fault-db.log").read_text()
    assert "Retry in" in log
