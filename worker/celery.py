"""The Celery app. Configuration comes from Django settings (``CELERY_*``).

The broker is Redis (or RabbitMQ) in production and, by default, the same PostgreSQL as the
portal through kombu's SQLAlchemy transport, so a lab server needs no other service.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automat_web.settings")

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
