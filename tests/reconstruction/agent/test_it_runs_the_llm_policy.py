"""The LLM policy against a local OpenAI-compatible endpoint with scripted answers."""

from __future__ import annotations

import json

from reconstruction.agent import LLMSettings, run_agent

from .chat_server import ChatServer, text, tool_call
from .images import PIXEL_SIZE_A, simulated


def _tool_replies(body: dict) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}


def test_it_follows_the_model_and_feeds_errors_back(tmp_path):
    replies = [
        tool_call("stem2cif", '{"template": ', "c1"),  # malformed JSON: fed back, asked again
        tool_call("stem2cif", '{"column_sigma_A": 9}', "c2"),  # invalid: a failed step
        tool_call("stem2cif", "{}", "c3"),
        tool_call("check", "{}", "c4"),
        text("MoS2 reconstructed; I skip the energy in this test."),
        text("Done without the energy."),  # after the nudge to call predict_properties
    ]
    with ChatServer(replies) as server:
        settings = LLMSettings(base_url=server.base_url, model="planner-1", api_key="k")
        result = run_agent(
            simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy="llm",
            llm=settings, artifacts_dir=tmp_path, relax=False,
        )  # fmt: skip
    assert result.status == "succeeded", result.error
    assert result.policy == "llm" and result.formula == "MoS2" and result.energy is None
    assert [(s.tool, s.ok) for s in result.steps] == [
        ("stem2cif", False), ("stem2cif", True), ("check", True),
    ]  # fmt: skip
    assert "column_sigma_A must be <= 0.4" in result.steps[0].error
    assert result.steps[1].message == "calling stem2cif"
    bodies = [r["body"] for r in server.requests]
    assert all(r["headers"].get("authorization") == "Bearer k" for r in server.requests)
    assert bodies[0]["model"] == "planner-1"
    assert {t["function"]["name"] for t in bodies[0]["tools"]} >= {
        "denoise", "match_templates", "stem2cif", "check", "predict_properties", "rollback",
    }  # fmt: skip
    # The model never sees pixels: the task is words and numbers.
    task = bodies[0]["messages"][1]["content"]
    assert "192 x 192 px" in task and "Mo, S" in task and "not available" in task
    # The malformed call was answered with an error and the model asked again.
    assert "malformed call" in _tool_replies(bodies[1])["c1"]
    # The invalid call ran as a failed step whose error the model saw.
    failed = json.loads(_tool_replies(bodies[2])["c2"])
    assert failed["ok"] is False and "column_sigma_A" in failed["error"]
    checked = json.loads(_tool_replies(bodies[4])["c4"])
    assert checked["ok"] and checked["result"]["score"] > 0.8
    # It was reminded of the energy once before it finished.
    assert "predict_properties" in bodies[5]["messages"][-1]["content"]
    assert len(server.requests) == 6
    transcript = json.loads((tmp_path / "transcript.json").read_text())
    assert transcript["policy"] == "llm" and len(transcript["steps"]) == 3
    assert transcript["messages"][0]["role"] == "system"


def test_it_stops_at_the_step_limit(tmp_path):
    with ChatServer([tool_call("check", "{}", "again")]) as server:
        settings = LLMSettings(base_url=server.base_url, model="m", max_steps=3)
        result = run_agent(
            simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy="llm",
            llm=settings, artifacts_dir=tmp_path,
        )  # fmt: skip
    assert result.status == "failed"
    assert result.error == "step limit reached (3 tool calls)"
    assert len(result.steps) == 3
    assert all(not s.ok and "run stem2cif first" in s.error for s in result.steps)


def test_it_gives_up_on_a_model_that_only_sends_malformed_calls(tmp_path):
    with ChatServer([tool_call("check", "not json", "x")]) as server:
        settings = LLMSettings(base_url=server.base_url, model="m", max_malformed=2)
        result = run_agent(
            simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy="llm",
            llm=settings, artifacts_dir=tmp_path,
        )  # fmt: skip
    assert result.status == "failed" and "2 malformed answers" in result.error
    assert result.steps == [] and len(server.requests) == 2


def test_it_fails_cleanly_when_the_endpoint_is_down(tmp_path):
    with ChatServer([text("unused")]) as server:
        url = server.base_url
    settings = LLMSettings(base_url=url, model="m", timeout_s=2.0)
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S", policy="llm",
        llm=settings, artifacts_dir=tmp_path,
    )  # fmt: skip
    assert result.status == "failed" and result.error.startswith("language model unavailable")
