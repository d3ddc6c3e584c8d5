"""Shared helpers of the frozen result/config dataclasses (``as_dict``/``from_dict``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any


def check_keys(cls: type, data: dict[str, Any], *, what: str, error: type = ValueError) -> None:
    """Raise ``error`` naming every key of ``data`` that is not a field of ``cls``.

    ``from_dict`` of a config calls this so that a misspelt option fails loudly instead of
    being silently ignored.
    """
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise error(f"unknown {what}: {sorted(unknown)}")
