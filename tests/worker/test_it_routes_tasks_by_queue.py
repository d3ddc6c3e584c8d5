"""Real workers take only their queues: the torch work (runs, energies of corrected
versions) goes to ``gpu``, the rest to ``cpu``; a worker without ``-Q`` takes both."""

from __future__ import annotations

import re

import pytest

from automat_web.system.models import WorkerHeartbeat
from tests.conftest import ARTIFACTS, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NO_SUCH_ROW = 987654321  # the tasks are no-ops for an unknown id: only the routing matters
GPU_TASKS = ("worker.tasks.run_agent", "structures.tasks.compute_energy")
CPU_TASKS = ("worker.tasks.heartbeat", "worker.tasks.sweep_runs")
ROUNDS = 3


def _send_each(app) -> None:
    """Send every task ROUNDS times through the portal's app (its routes decide the queue)."""
    with app.connection_for_write() as conn:
        for _ in range(ROUNDS):
            for name in GPU_TASKS:
                app.send_task(name, args=[NO_SUCH_ROW], connection=conn)
            for name in CPU_TASKS:
                app.send_task(name, connection=conn)


def _done(log_name: str) -> dict[str, int]:
    """How many tasks of each name the worker's log says succeeded."""
    text = (ARTIFACTS / f"worker-{log_name}.log").read_text(errors="replace")
    names = re.findall(r"Task ([\w.]+)\[[0-9a-f-]+\] succeeded", text)
    return {name: names.count(name) for name in set(names)}


def test_it_keeps_cpu_and_gpu_work_on_their_own_workers(
    broker_url, portal_broker, celery_worker_process
) -> None:
    from automat_web.celery import app

    url = broker_url("sqla")
    portal_broker(url)
    cpu = celery_worker_process(
        url, name="queue-cpu", queues="cpu", extra_env={"AUTOMAT_TORCH_DEVICE": "cpu"}
    )
    gpu = celery_worker_process(url, name="queue-gpu", queues="gpu")
    _send_each(app)

    def all_done():
        """every task succeeded on some worker (logs in test-artifacts/)"""
        assert cpu.poll() is None and gpu.poll() is None, "a worker died"
        counts = {**_done("queue-cpu"), **_done("queue-gpu")}
        return all(counts.get(name) == ROUNDS for name in GPU_TASKS + CPU_TASKS)

    wait_for(all_done, timeout=120)
    assert set(_done("queue-cpu")) == set(CPU_TASKS)
    assert set(_done("queue-gpu")) == set(GPU_TASKS)
    hosts = set(WorkerHeartbeat.objects.values_list("hostname", flat=True))
    assert hosts and all(h.startswith("queue-cpu@") for h in hosts)
    assert "torch device cpu" in (ARTIFACTS / "worker-queue-cpu.log").read_text()
    assert "torch device auto" in (ARTIFACTS / "worker-queue-gpu.log").read_text()


def test_a_worker_without_queues_takes_both(
    broker_url, portal_broker, celery_worker_process
) -> None:
    from automat_web.celery import app

    url = broker_url("sqla")
    portal_broker(url)
    both = celery_worker_process(url, name="queue-both")
    _send_each(app)

    def all_done():
        """the one worker ran every task (log in test-artifacts/)"""
        assert both.poll() is None, "the worker died"
        counts = _done("queue-both")
        return all(counts.get(name) == ROUNDS for name in GPU_TASKS + CPU_TASKS)

    wait_for(all_done, timeout=120)
