"""The status page: is the database up, is pgvector there, which workers are alive."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from automat_web.system.models import WorkerHeartbeat, broker_kind


def _database_facts() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return {"postgresql": server, "pgvector": row[0] if row else "not installed"}


@login_required
def status(request: HttpRequest) -> HttpResponse:
    context = {
        "database": _database_facts(),
        "broker": broker_kind(settings.BROKER_URL),
        "workers": WorkerHeartbeat.objects.all()[:20],
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "max_pixels": settings.MAX_PIXELS,
    }
    return render(request, "system/status.html", context)
