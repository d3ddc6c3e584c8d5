"""Entering the pixel size on the sample page (htmx) starts the run, and the same response
swaps the run's panel in: the page does not keep saying "processing starts once…"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.runs.models import Run
from automat_web.samples.services import ingest_upload
from tests.fixtures import micrographs

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
WAITING = "Processing starts once the sample has a pixel size and its elements"


def _uncalibrated(alice, lab_a, tmp_path, elements: str = "C"):
    path = micrographs.png(tmp_path / "graphene.png")
    return ingest_upload(
        path=path, filename=path.name, owner=alice, group=lab_a, elements=elements
    ).sample


def test_the_calibration_response_swaps_in_the_queued_run(client, alice, lab_a, tmp_path):
    sample = _uncalibrated(alice, lab_a, tmp_path)
    client.force_login(alice)
    assert WAITING in client.get(sample.get_absolute_url()).content.decode()
    url = reverse("samples:calibration", args=[sample.pk])
    html = client.post(url, {"pixel_size_A": "0.0712"}, **HTMX).content.decode()
    run = Run.objects.get(sample=sample)
    assert run.status == "queued"
    assert f'id="run" data-run="{run.pk}" data-status="queued" hx-swap-oob="true"' in html, (
        "the run panel is not swapped in out of band"
    )
    assert 'hx-trigger="every 2s"' in html  # and it polls from then on
    assert WAITING not in html and "<html" not in html
    page = client.get(sample.get_absolute_url()).content.decode()
    assert "hx-swap-oob" not in page.split('id="run"')[1][:200]  # the full page: in place


def test_without_elements_the_panel_still_says_what_is_missing(client, alice, lab_a, tmp_path):
    sample = _uncalibrated(alice, lab_a, tmp_path, elements="")
    client.force_login(alice)
    url = reverse("samples:calibration", args=[sample.pk])
    html = client.post(url, {"pixel_size_A": "0.0712"}, **HTMX).content.decode()
    assert not Run.objects.exists()
    assert 'id="run" hx-swap-oob="true"' in html and WAITING in html
