"""Making a file's metadata safe to store as JSON (PostgreSQL ``jsonb`` included).

Readers hand back whatever their library parsed: NumPy scalars and arrays, bytes, enums,
tuples, NaN. :func:`json_safe` turns that into plain numbers, strings, lists and dicts,
and bounds its size so a file cannot blow up the database row it is stored in.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: Longest string kept [characters]; longer ones are cut and marked.
MAX_STRING = 4096
#: Most items kept from one list or dict; the rest are dropped and counted.
MAX_ITEMS = 500
#: Arrays with more elements than this are summarised instead of listed.
MAX_ARRAY = 64
#: Deepest nesting kept.
MAX_DEPTH = 12


def json_safe(value: Any, *, _depth: int = 0) -> Any:
    """Return ``value`` as JSON-safe data (dict, list, str, int, float, bool, None).

    NaN and infinities become ``None`` (``jsonb`` rejects them), bytes are decoded as
    UTF-8 (invalid bytes replaced), enums become their name, large arrays become a
    ``"<array shape=... dtype=...>"`` summary, and strings, lists and dicts are cut to
    :data:`MAX_STRING` / :data:`MAX_ITEMS`.
    """
    if _depth > MAX_DEPTH:
        return "<nested too deep>"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (bytes, bytearray, np.bytes_)):
        return _cut(bytes(value).rstrip(b"\x00").decode("utf-8", errors="replace"))
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return _array(value, _depth)
    if isinstance(value, Mapping):
        return _mapping(value, _depth)
    if isinstance(value, (list, tuple, set, frozenset)):
        return _sequence(list(value), _depth)
    if isinstance(value, np.generic):
        return json_safe(value.item(), _depth=_depth + 1)
    return _cut(str(value))


def _cut(text: str) -> str:
    if len(text) <= MAX_STRING:
        return text
    return text[:MAX_STRING] + f"... [{len(text) - MAX_STRING} more characters]"


def _array(value: np.ndarray, depth: int) -> Any:
    if value.dtype.kind in "OV" or value.size > MAX_ARRAY:
        return f"<array shape={list(value.shape)} dtype={value.dtype.str}>"
    return json_safe(value.tolist(), _depth=depth + 1)


def _mapping(value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(value.items()):
        if i >= MAX_ITEMS:
            out["..."] = f"{len(value) - MAX_ITEMS} more entries"
            break
        out[str(json_safe(k, _depth=depth + 1))] = json_safe(v, _depth=depth + 1)
    return out


def _sequence(items: list[Any], depth: int) -> list[Any]:
    out = [json_safe(v, _depth=depth + 1) for v in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        out.append(f"... {len(items) - MAX_ITEMS} more items")
    return out
