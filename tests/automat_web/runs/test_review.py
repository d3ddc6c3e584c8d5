"""A run whose structure fails the quality gate ends ``needs_review``: the structure is kept
and marked, the reasons are on the page and in the API; noise ends ``failed``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import tifffile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.runs import execution, lifecycle
from automat_web.runs.models import Run
from automat_web.structures.models import Structure
from reconstruction.agent.gate import GateCheck

from .conftest import upload
from .helpers import agent_result

pytestmark = pytest.mark.django_db

SCALE = GateCheck(
    "scale", False, "its lengths are +30.0% from the known MoS2 (2dm-1): check the pixel size",
    0.3, 0.08,
)  # fmt: skip


def _needs_review():
    return replace(
        agent_result(),
        status="needs_review",
        error="needs review: " + SCALE.detail,
        review=[GateCheck("steps", True, "no tool crashed").as_dict(), SCALE.as_dict()],
    )


def test_it_keeps_the_structure_and_says_why(client, alice, lab_a, mos2_tiff) -> None:
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    attempt = execution._claim(run.pk, task_id="t", hostname="w")
    execution._finish(Run.objects.get(pk=run.pk), attempt, _needs_review())
    run.refresh_from_db()
    assert run.status == "needs_review" and run.progress == 1.0
    assert "check the pixel size" in run.error
    assert Structure.objects.get(run=run).formula == "MoS2"
    client.force_login(alice)
    page = client.get(run.sample.get_absolute_url()).content.decode()
    assert "needs review" in page and "Quality checks" in page
    assert "The structure below failed a check" in page
    assert 'data-check="scale"' in page and "+30.0% from the known MoS2" in page
    listed = client.get("/samples/?status=needs_review").content.decode()
    assert run.sample.name in listed


def test_the_api_and_submit_summary_carry_the_review(alice, lab_a, mos2_tiff) -> None:
    run = upload(mos2_tiff, alice, lab_a).runs.get()
    attempt = execution._claim(run.pk, task_id="t", hostname="w")
    execution._finish(Run.objects.get(pk=run.pk), attempt, _needs_review())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    body = api.get(f"/api/runs/{run.pk}/").json()
    assert body["status"] == "needs_review" and body["structure"] is not None
    assert [c["name"] for c in body["review"] if not c["ok"]] == ["scale"]
    assert api.get("/api/runs/?status=needs_review").json()["results"][0]["id"] == run.pk
    summary = lifecycle.run_summary(Run.objects.get(pk=run.pk))
    assert summary["status"] == "needs_review" and summary["review"][1]["value"] == 0.3


def test_noise_processed_by_the_agent_fails_with_no_structure(alice, lab_a, tmp_path) -> None:
    path = tmp_path / "noise.tif"
    noise = np.random.default_rng(1).normal(100, 10, (256, 256)).astype(np.float32)
    tifffile.imwrite(path, noise, imagej=True, resolution=(10, 10), metadata={"unit": "angstrom"})
    run = upload(path, alice, lab_a, name="noise").runs.get()
    execution.run_agent(run.pk)
    run.refresh_from_db()
    assert run.status == "failed", run.error
    assert "lattice" in run.error  # STEM2CIF finds none, or the gate sees none
    assert not Structure.objects.filter(run=run).exists()
