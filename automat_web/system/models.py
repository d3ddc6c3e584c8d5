"""What the portal knows about its own machinery: which workers are alive."""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

#: A worker that has not reported for this long is shown as offline.
WORKER_STALE_AFTER = timedelta(minutes=2)


def broker_kind(url: str) -> str:
    """The transport name of a broker URL, without credentials (``redis``, ``sqla``...)."""
    scheme = url.split("://", 1)[0]
    return scheme.split("+", 1)[0]


class WorkerHeartbeat(models.Model):
    """Last sign of life of one Celery worker, written by the ``heartbeat`` task."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    broker = models.CharField(max_length=32, help_text="Broker transport (redis, sqla, ...).")
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"

    @property
    def online(self) -> bool:
        return timezone.now() - self.last_seen < WORKER_STALE_AFTER

    @classmethod
    def record(cls, hostname: str, broker: str) -> WorkerHeartbeat:
        """Note that ``hostname`` is alive now (safe from many workers).

        The row and its count are written in one transaction, so no reader sees a
        new worker's row before its first beat is counted.
        """
        with transaction.atomic():
            beat, _ = cls.objects.update_or_create(
                hostname=hostname,
                defaults={"last_seen": timezone.now(), "broker": broker},
            )
            cls.objects.filter(pk=beat.pk).update(beats=models.F("beats") + 1)
        beat.refresh_from_db(fields=["beats"])
        return beat
