"""A small validator for the JSON schemas of the tools' arguments.

Covers the subset the tools use (``type`` object/string/number/integer/boolean/array/null
or a list of them, ``properties``, ``required``, ``additionalProperties: false``, ``enum``,
``minimum``/``maximum``, ``items``, ``default``); the schemas stay plain JSON Schema, so
they can be handed to a language model as they are.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from reconstruction.errors import ScienceError


class SchemaError(ScienceError, ValueError):
    """Arguments do not satisfy a tool's schema; the message names the argument."""


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def validate(args: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """Check ``args`` against an object ``schema``; return a copy with defaults filled in.

    Raises
    ------
    SchemaError
        Naming the first argument that is missing, unknown, of the wrong type or out of range.
    """
    if not isinstance(args, dict):
        raise SchemaError(f"arguments must be a JSON object, got {type(args).__name__}")
    out = copy.deepcopy(args)
    _check(out, schema, "arguments")
    for name, sub in schema.get("properties", {}).items():
        if name not in out and "default" in sub:
            out[name] = copy.deepcopy(sub["default"])
    return out


def _check(value: Any, schema: dict[str, Any], where: str) -> None:
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_TYPES[t](value) for t in names):
            raise SchemaError(f"{where} must be {' or '.join(names)}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{where} must be one of {schema['enum']}, got {value!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaError(f"{where} must be >= {schema['minimum']}, got {value!r}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaError(f"{where} must be <= {schema['maximum']}, got {value!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise SchemaError(f"missing required argument {name!r}")
        if schema.get("additionalProperties") is False:
            unknown = sorted(set(value) - set(props))
            if unknown:
                raise SchemaError(
                    f"unknown argument(s) {unknown}; allowed: {sorted(props) or 'none'}"
                )
        for name, sub in props.items():
            if name in value:
                _check(value[name], sub, name if where == "arguments" else f"{where}.{name}")
