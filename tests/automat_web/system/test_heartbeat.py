"""A worker's heartbeat row is counted in the same write that creates it."""

from __future__ import annotations

import pytest

from automat_web.system.models import WorkerHeartbeat


@pytest.mark.django_db
def test_each_beat_is_counted_with_its_row() -> None:
    first = WorkerHeartbeat.record("celery@gpu-1", "redis")
    assert first.beats == 1
    assert WorkerHeartbeat.objects.get(hostname="celery@gpu-1").beats == 1
    second = WorkerHeartbeat.record("celery@gpu-1", "redis")
    assert second.pk == first.pk
    assert second.beats == 2
