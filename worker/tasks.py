"""Tasks: a few lines each, ids in, a service call, nothing pickled."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="worker.tasks.heartbeat", ignore_result=True, acks_late=False)
def heartbeat() -> str:
    """Record that this worker is alive (shown on the status page)."""
    from django.conf import settings

    from automat_web.system.models import WorkerHeartbeat, broker_kind

    hostname = heartbeat.request.hostname or "unknown"
    WorkerHeartbeat.record(hostname, broker_kind(settings.BROKER_URL))
    return hostname
