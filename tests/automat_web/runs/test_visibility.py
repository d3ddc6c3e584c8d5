"""Runs and structures belong to the lab group of their sample: pages, files and the API
answer 404 to other labs and never list their runs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from automat_web.runs.models import StepArtifact

from .conftest import upload
from .helpers import finished_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_run(alice, lab_a, mos2_tiff, tmp_path):
    return finished_run(upload(mos2_tiff, alice, lab_a, name="secret"), tmp_path)


def _urls(run) -> list[str]:
    artifact = StepArtifact.objects.get(step__run=run, name="residual")
    return [
        reverse("runs:panel", args=[run.pk]),
        reverse("runs:artifact", args=[run.pk, artifact.pk]),
        reverse("structures:cif", args=[run.structure.pk]),
        f"/api/runs/{run.pk}/",
        f"/api/structures/{run.structure.pk}/",
    ]


def test_it_shows_runs_and_structures_to_the_group(client, bob, alices_run) -> None:
    client.force_login(bob)
    for url in _urls(alices_run):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200, url
    cif = client.get(reverse("structures:cif", args=[alices_run.structure.pk]))
    assert cif["Content-Disposition"].startswith("attachment")
    assert cif.content.decode().startswith("data_MoS2")
    assert cif["X-Content-Type-Options"] == "nosniff"
    png = client.get(_urls(alices_run)[1])
    assert png["Content-Type"] == "image/png" and b"".join(png.streaming_content)[:4] == b"\x89PNG"
    page = client.get(alices_run.sample.get_absolute_url()).content.decode()
    assert 'data-status="succeeded"' in page and "structure-viewer" in page


def test_it_hides_runs_and_structures_from_other_labs(client, charlie, alices_run) -> None:
    client.force_login(charlie)
    for url in _urls(alices_run):
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(charlie)
    assert api.get("/api/runs/").json()["count"] == 0
    assert api.get("/api/structures/").json()["count"] == 0
    assert b"secret" not in client.get(reverse("samples:list")).content


def test_it_refuses_actions_on_other_labs_runs(client, charlie, alices_run) -> None:
    client.force_login(charlie)
    assert client.post(reverse("runs:rerun", args=[alices_run.pk])).status_code == 404
    assert client.post(reverse("runs:cancel", args=[alices_run.pk])).status_code == 404
    assert client.post(reverse("runs:start", args=[alices_run.sample.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(charlie)
    assert api.post(f"/api/runs/{alices_run.pk}/rerun/").status_code == 404
    response = api.post("/api/runs/", {"sample": alices_run.sample.pk}, format="json")
    assert response.status_code == 400 and "no such sample" in str(response.json())
    assert alices_run.sample.runs.count() == 1
