"""Every run records what it was computed with: code version, denoiser weights, potential,
template library, policy (the LLM's model and endpoint, never its key) and inputs; the
agent's transcript is kept as an artifact and linked from the panel and the API."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from automat_web.runs import execution, lifecycle, provenance
from automat_web.runs.models import Run
from reconstruction.denoise.infer import WEIGHTS_DIR
from reconstruction.descriptors import DESCRIPTOR_VERSION
from templates_lib.models import Template
from tests.automat_web.runs.conftest import upload

from .helpers import MESSAGES, processed_run

pytestmark = pytest.mark.django_db
SECRET = "sk-do-not-store-1234"


def test_it_records_the_code_weights_potential_and_library(alice, lab_a, mos2_tiff, monkeypatch):
    run = processed_run(upload(mos2_tiff, alice, lab_a).runs.get(), monkeypatch)
    assert run.status == "succeeded"
    info = run.provenance
    assert info["code"] == provenance.code_version()
    assert info["code"]["package"] == metadata.version("automat")
    weights = json.loads((WEIGHTS_DIR / "weights.json").read_text())["file"]
    digest = hashlib.sha256((WEIGHTS_DIR / weights).read_bytes()).hexdigest()
    assert info["denoiser"]["file"] == weights and info["denoiser"]["sha256"] == digest
    assert info["denoiser"]["methods"] == ["moe"] and info["denoiser"]["weights_loaded"]
    assert info["potential"]["name"] == "sevennet-0"
    assert info["potential"]["version"] == metadata.version("sevenn")
    assert info["templates"]["descriptor_version"] == DESCRIPTOR_VERSION
    assert info["templates"]["count"] == Template.objects.count()
    assert len(info["templates"]["sha256"]) == 64
    assert info["policy"] == {"name": "rules"}
    assert info["inputs"]["pixel_size_A"] == pytest.approx(0.1)
    assert info["inputs"]["imaging_mode"] == "idpc" and info["inputs"]["elements"] == ["Mo", "S"]


def test_it_keeps_the_llm_transcript_with_model_and_endpoint(
    client, alice, lab_a, mos2_tiff, monkeypatch, settings
):
    settings.LLM_BASE_URL = "https://planner:hunter2@llm.example.org/v1"
    settings.LLM_MODEL = "qwen2.5-72b-instruct"
    settings.LLM_API_KEY = SECRET
    sample = upload(mos2_tiff, alice, lab_a)
    lifecycle.cancel(sample.runs.get())
    run = processed_run(lifecycle.create_run(sample, "llm"), monkeypatch)
    assert run.seen["llm"].model == "qwen2.5-72b-instruct"  # the agent got the endpoint
    expected = {
        "name": "llm",
        "model": "qwen2.5-72b-instruct",
        "endpoint": "https://llm.example.org/v1",
    }
    assert run.provenance["policy"] == expected
    item = run.transcript()
    assert item is not None and item.step.index == 1 and item.suffix == ".json"
    stored = json.loads(item.path.read_text())
    assert stored["policy"] == "llm" and stored["policy_settings"] == expected
    assert stored["messages"] == MESSAGES and [s["tool"] for s in stored["steps"]] == [
        "denoise",
        "check",
    ]
    assert run.provenance["transcript"]["sha256"] == item.sha256
    everything = json.dumps(run.provenance) + item.path.read_text()
    assert SECRET not in everything and "hunter2" not in everything

    client.force_login(alice)
    panel = client.get(reverse("runs:panel", args=[run.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert item.get_absolute_url() in html and "qwen2.5-72b-instruct" in html
    assert (
        provenance.code_version()["version"] in html
        and run.provenance["denoiser"]["sha256"][:16] in html
    )
    download = client.get(item.get_absolute_url())
    assert download.status_code == 200
    assert json.loads(b"".join(download.streaming_content))["messages"] == MESSAGES


def test_the_api_shows_the_provenance_read_only(alice, lab_a, mos2_tiff, monkeypatch):
    run = processed_run(upload(mos2_tiff, alice, lab_a).runs.get(), monkeypatch)
    api = APIClient()
    api.force_authenticate(alice)
    body = api.get(f"/api/runs/{run.pk}/").json()
    assert body["provenance"]["denoiser"]["sha256"] == run.provenance["denoiser"]["sha256"]
    assert body["provenance"]["transcript"]["sha256"] == run.transcript().sha256
    api.patch(f"/api/runs/{run.pk}/", {"provenance": {}}, format="json")
    assert Run.objects.get(pk=run.pk).provenance == run.provenance


def test_a_failed_run_keeps_what_it_started_with(alice, lab_a, mos2_tiff, monkeypatch):
    def broken(image, **kwargs):
        raise RuntimeError("the GPU fell off")

    run = upload(mos2_tiff, alice, lab_a).runs.get()
    monkeypatch.setattr("reconstruction.agent.run_agent", broken)
    execution.run_agent(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "the GPU fell off" in run.error
    assert run.provenance["code"]["version"] and run.provenance["denoiser"]["sha256"]
