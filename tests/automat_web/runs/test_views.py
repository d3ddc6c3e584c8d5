"""The run panel: polled while the run is going, still once it has finished; start, cancel
and rerun from the sample page answer with the new panel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.runs.models import Run
from automat_web.samples.services import ingest_upload

from .conftest import upload
from .helpers import finished_run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_it_polls_only_while_the_run_is_going(client, alice, lab_a, mos2_tiff, tmp_path):
    client.force_login(alice)
    sample = upload(mos2_tiff, alice, lab_a)
    queued = client.get(reverse("runs:panel", args=[sample.runs.get().pk]), **HTMX)
    assert b'hx-trigger="every 2s"' in queued.content and b"Waiting for a worker" in queued.content
    assert b"<html" not in queued.content  # a fragment for htmx
    done = finished_run(sample, tmp_path)
    html = client.get(reverse("runs:panel", args=[done.pk]), **HTMX).content.decode()
    assert "hx-trigger" not in html
    assert 'data-tool="check"' in html and "score" in html and "0.97" in html
    assert "Download CIF" in html and "sevennet-0" in html and "2dm-1" in html
    thumbnail = done.steps.get().artifacts.get(name="template-2dm-1")
    assert f'src="{thumbnail.get_absolute_url()}" alt="template 2dm-1"' in html
    plain = client.get(reverse("runs:panel", args=[done.pk]))
    assert plain.status_code == 302 and plain["Location"] == sample.get_absolute_url()


def test_it_starts_cancels_and_reruns_from_the_page(client, alice, lab_a, mos2_tiff) -> None:
    client.force_login(alice)
    sample = ingest_upload(
        path=mos2_tiff, filename="m.tif", owner=alice, group=lab_a, elements=""
    ).sample
    page = client.get(sample.get_absolute_url()).content.decode()
    assert "Processing starts once the sample has a pixel size and its elements" in page
    sample.elements = ["Mo", "S"]
    sample.save()
    assert "Process this sample" in client.get(sample.get_absolute_url()).content.decode()

    started = client.post(reverse("runs:start", args=[sample.pk]), **HTMX)
    run = Run.objects.get(sample=sample)
    assert started.status_code == 200 and f'data-run="{run.pk}"'.encode() in started.content
    cancelled = client.post(reverse("runs:cancel", args=[run.pk]), **HTMX)
    assert b'data-status="cancelled"' in cancelled.content
    rerun = client.post(reverse("runs:rerun", args=[run.pk]))  # without htmx: back to the page
    assert rerun.status_code == 302
    assert sample.runs.count() == 2 and sample.runs.first().status == "queued"
