"""Query parameters of the API: described in the schema, and checked for what would
otherwise be a server error (a NUL character, which PostgreSQL refuses; "²", which passes
``str.isdigit`` but not ``int``)."""

from __future__ import annotations

from rest_framework import serializers

#: Largest id a query parameter or body may name (BigAutoField; more is a 400, not a 500).
MAX_ID = 2**63 - 1


def query_param(help_text: str) -> serializers.CharField:
    """An optional text query parameter (DRF's CharField refuses NUL: a 400)."""
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text)


def id_param(value: str | None) -> int | None:
    """``value`` as an id, or None when it cannot be one (such a filter is ignored)."""
    if value and value.isdecimal() and int(value) <= MAX_ID:
        return int(value)
    return None
