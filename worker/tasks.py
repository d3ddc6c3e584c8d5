"""Tasks: a few lines each, ids in, a service call, nothing pickled."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(name="worker.tasks.heartbeat", ignore_result=True, acks_late=False)
def heartbeat() -> str:
    """Record that this worker is alive (shown on the status page)."""
    from django.conf import settings

    from automat_web.system.models import WorkerHeartbeat, broker_kind

    hostname = heartbeat.request.hostname or "unknown"
    WorkerHeartbeat.record(hostname, broker_kind(settings.BROKER_URL))
    return hostname


#: A run's task is sent again when the database connection broke under it (PostgreSQL
#: restarted or failed over): the attempt's state is in the database, so no one else could
#: record its failure; the retry claims the run as a new attempt, or finds it finished.
DATABASE_GONE = (OperationalError, InterfaceError)


@shared_task(
    name="worker.tasks.run_agent",
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=DATABASE_GONE,
    max_retries=10,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=False,
)
def run_agent(self, run_id: int) -> None:
    """Process one run (a redelivery after a lost worker is a new attempt of the same run;
    routed to settings.RUN_QUEUE)."""
    from automat_web.runs import execution

    execution.run_agent(run_id, task_id=self.request.id or "", hostname=self.request.hostname or "")


@shared_task(name="worker.tasks.sweep_runs", ignore_result=True, acks_late=False)
def sweep_runs() -> dict:
    """Requeue or fail runs whose worker vanished; send tasks that never reached the broker."""
    from automat_web.runs import lifecycle

    return lifecycle.sweep_stuck_runs()
