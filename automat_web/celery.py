"""The Celery app. Configuration comes from Django settings (``CELERY_*``); the tasks live
in ``worker/tasks.py`` (and ``structures/tasks.py``).

The broker is Redis (or RabbitMQ) in production and, by default, the same PostgreSQL as the
portal through kombu's SQLAlchemy transport, so a lab server needs no other service.
Start a worker with ``celery -A automat_web worker [-Q cpu|gpu]`` (``-A worker`` works too).
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automat_web.settings")

log = logging.getLogger(__name__)

#: How often [s] the SQLAlchemy transport polls PostgreSQL for new messages. Kombu reads it
#: from the Transport class (in broker_transport_options it would reach create_engine).
SQLA_POLLING_INTERVAL_S = 0.1

app = Celery("automat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["worker"], related_name="tasks")


def _tune_sqla_transport() -> None:
    from kombu.transport import sqlalchemy

    sqlalchemy.Transport.polling_interval = SQLA_POLLING_INTERVAL_S


_tune_sqla_transport()


@worker_process_init.connect
def _pin_torch_device(**_: object) -> None:
    """Apply AUTOMAT_TORCH_DEVICE in each pool child, after the fork (CUDA must never be
    initialised in the parent)."""
    from django.conf import settings

    from automat_web.devices import pin_process

    pin_process(settings.TORCH_DEVICE)
    log.info("worker process %s: torch device %s", os.getpid(), settings.TORCH_DEVICE)
