"""The status page reports the real database, pgvector and workers."""

from __future__ import annotations

from django.urls import reverse

from automat_web.system.models import WorkerHeartbeat


def test_it_shows_postgresql_and_pgvector(client, alice) -> None:
    client.force_login(alice)
    WorkerHeartbeat.record("celery@lab-server", "sqla")
    response = client.get(reverse("system:status"))
    assert response.status_code == 200
    database = response.context["database"]
    assert int(database["postgresql"].split(".")[0]) >= 15
    assert database["pgvector"].startswith("0.")
    assert b"celery@lab-server" in response.content
    assert b"online" in response.content
