"""Hooks of the OpenAPI schema (settings.SPECTACULAR_SETTINGS)."""

from __future__ import annotations

from typing import Any

Endpoint = tuple[str, str, str, Any]  # path, path regex, method, view


def only_v1(endpoints: list[Endpoint], **kwargs: Any) -> list[Endpoint]:
    """Describe /api/v1/ only: the unversioned /api/ paths are aliases of the same views."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
