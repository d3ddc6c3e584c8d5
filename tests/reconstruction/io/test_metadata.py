"""File metadata is made safe for JSON (and PostgreSQL jsonb) and bounded in size."""

from __future__ import annotations

import enum
import json

import numpy as np

from reconstruction.io import json_safe
from reconstruction.io.metadata import MAX_ITEMS, MAX_STRING


class _Colour(enum.Enum):
    RED = 1


def test_it_converts_numpy_bytes_enums_and_tuples() -> None:
    value = {
        "a": np.float32(1.5),
        "b": np.int64(7),
        "c": b"HAADF\x00\x00",
        "d": (1, 2),
        "e": _Colour.RED,
        "f": np.arange(3),
        "g": np.bool_(True),
        3: None,
    }
    safe = json_safe(value)
    assert safe == {"a": 1.5, "b": 7, "c": "HAADF", "d": [1, 2], "e": "RED",
                    "f": [0, 1, 2], "g": True, "3": None}  # fmt: skip
    json.dumps(safe, allow_nan=False)


def test_it_replaces_nan_and_infinity() -> None:
    assert json_safe([float("nan"), np.inf, -np.inf, 1.0]) == [None, None, None, 1.0]


def test_it_bounds_the_size() -> None:
    safe = json_safe({"text": "x" * (MAX_STRING * 3), "list": list(range(MAX_ITEMS * 2)),
                      "array": np.zeros((100, 100))})  # fmt: skip
    assert len(safe["text"]) < MAX_STRING + 100
    assert len(safe["list"]) == MAX_ITEMS + 1
    assert safe["array"].startswith("<array shape=[100, 100]")
    assert len(json.dumps(safe)) < 20 * MAX_STRING
