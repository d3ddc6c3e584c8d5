"""Tool arguments are checked against each tool's JSON schema before anything runs."""

from __future__ import annotations

import pytest

from reconstruction.agent.tools import SchemaError, default_tools, validate

SCHEMA = {
    "type": "object",
    "properties": {
        "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
        "method": {"type": "string", "enum": ["moe", "nlm"], "default": "moe"},
        "sigma": {"type": "number", "minimum": 0.05},
        "template": {"type": ["string", "null"], "default": None},
        "flag": {"type": "boolean"},
    },
    "required": ["sigma"],
    "additionalProperties": False,
}


def test_it_fills_in_defaults_without_touching_the_input():
    given = {"sigma": 0.1}
    out = validate(given, SCHEMA)
    assert out == {"sigma": 0.1, "k": 10, "method": "moe", "template": None}
    assert given == {"sigma": 0.1}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({}, "missing required argument 'sigma'"),
        ({"sigma": 0.1, "colour": 1}, "unknown argument(s) ['colour']"),
        ({"sigma": "0.1"}, "sigma must be number"),
        ({"sigma": 0.01}, "sigma must be >= 0.05"),
        ({"sigma": float("nan")}, "sigma must be number"),
        ({"sigma": 0.1, "k": 2.5}, "k must be integer"),
        ({"sigma": 0.1, "k": True}, "k must be integer"),
        ({"sigma": 0.1, "k": 51}, "k must be <= 50"),
        ({"sigma": 0.1, "method": "magic"}, "method must be one of ['moe', 'nlm']"),
        ({"sigma": 0.1, "flag": 1}, "flag must be boolean"),
        ([1, 2], "arguments must be a JSON object"),
    ],
)
def test_it_names_what_is_wrong(args, words):
    with pytest.raises(SchemaError) as err:
        validate(args, SCHEMA)
    assert words in str(err.value)


def test_every_tool_declares_a_function_for_a_language_model():
    tools = default_tools()
    assert list(tools) == [
        "denoise", "match_templates", "stem2cif", "check", "predict_properties", "rollback",
    ]  # fmt: skip
    for name, tool in tools.items():
        spec = tool.spec()
        assert spec["type"] == "function" and spec["function"]["name"] == name
        assert spec["function"]["description"]
        schema = spec["function"]["parameters"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        if not schema.get("required"):
            validate({}, schema)  # defaults alone are valid
    with pytest.raises(SchemaError):
        tools["rollback"].validate({})
    assert tools["stem2cif"].validate({"column_sigma_A": 0.2})["source"] == "image"
