"""The structures' Celery task: an id in, a service call, nothing pickled.

Registered with the worker's app when Django starts (``StructuresConfig.ready``), since
the worker only autodiscovers ``worker.tasks``.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="structures.tasks.compute_energy",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def compute_energy(structure_id: int) -> None:
    """Relax and score a corrected structure version (a no-op unless it is queued)."""
    from automat_web.structures import services

    services.compute_energy(structure_id)
