"""The runs and structures API, and the sample list's filters."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from automat_web.runs.models import Run
from tests.fixtures import micrographs

from .conftest import upload
from .helpers import finished_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_it_lists_shows_and_filters_runs(api, alice, lab_a, mos2_tiff, tmp_path) -> None:
    done = finished_run(upload(mos2_tiff, alice, lab_a), tmp_path)
    body = api.get(f"/api/runs/{done.pk}/").json()
    assert body["status"] == "succeeded" and body["structure"] == done.structure.pk
    assert [s["tool"] for s in body["steps"]] == ["check"]
    assert body["steps"][0]["artifacts"][0]["url"].endswith(
        reverse("runs:artifact", args=[done.pk, done.steps.get().artifacts.get(name="residual").pk])
    )
    assert api.get("/api/runs/?status=succeeded").json()["count"] == 1
    assert api.get("/api/runs/?status=queued").json()["count"] == 0
    structure = api.get(f"/api/structures/{done.structure.pk}/").json()
    assert structure["formula"] == "MoS2" and structure["energy"]["model"] == "sevennet-0"
    assert structure["lattice"] == {"a": 3.184, "b": 3.184, "gamma": 120.0}
    assert api.get("/api/structures/?element=S").json()["count"] == 1
    assert api.get("/api/structures/?element=W").json()["count"] == 0


def test_it_starts_cancels_and_reruns(api, alice, lab_a, mos2_tiff) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    first = sample.runs.get()
    refused = api.post("/api/runs/", {"sample": sample.pk}, format="json")
    assert refused.status_code == 400  # one run at a time (test_one_active_run.py)
    assert api.post(f"/api/runs/{first.pk}/rerun/").status_code == 400  # still queued
    cancelled = api.post(f"/api/runs/{first.pk}/cancel/").json()
    assert cancelled["status"] == "cancelled"
    assert api.post(f"/api/runs/{first.pk}/cancel/").status_code == 400
    created = api.post("/api/runs/", {"sample": sample.pk}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "queued"
    api.post(f"/api/runs/{created.json()['id']}/cancel/")
    again = api.post(f"/api/runs/{first.pk}/rerun/")
    assert again.status_code == 201 and again.json()["sample"] == sample.pk
    assert sample.runs.count() == 3


def test_it_filters_the_sample_list(client, api, alice, bob, lab_a, mos2_tiff, tmp_path) -> None:
    mos2 = upload(mos2_tiff, alice, lab_a, name="mos2-sample")
    finished_run(mos2, tmp_path)
    graphene = upload(micrographs.calibrated_tiff(tmp_path / "c.tif"), bob, lab_a,
                      elements="C", name="graphene-sample")  # fmt: skip
    client.force_login(alice)

    def names(**params) -> set[str]:
        html = client.get(reverse("samples:list"), params).content.decode()
        found = {n for n in ("mos2-sample", "graphene-sample") if n in html}
        via_api = {s["name"] for s in api.get("/api/samples/", params).json()["results"]}
        assert found == via_api, params
        return found

    assert names() == {"mos2-sample", "graphene-sample"}
    assert names(status="succeeded") == {"mos2-sample"}
    assert names(status="queued") == {"graphene-sample"}
    assert names(formula="mos2") == {"mos2-sample"}
    assert names(element="c") == {"graphene-sample"}
    assert names(owner="bob") == {"graphene-sample"}
    today = graphene.created.date().isoformat()
    assert names(date_from=today, date_to=today) == {"mos2-sample", "graphene-sample"}
    assert names(date_to="2000-01-01") == set()
    assert names(date_from="not-a-date") == {"mos2-sample", "graphene-sample"}
    assert Run.objects.filter(sample=graphene, status="queued").exists()


def test_an_api_upload_with_elements_and_calibration_starts_a_run(
    api, alice, lab_a, mos2_tiff, tmp_path
) -> None:
    with open(mos2_tiff, "rb") as fh:
        body = api.post(
            "/api/samples/", {"file": fh, "group": "Lab A", "elements": "Mo,S"}, format="multipart"
        ).json()
    run = Run.objects.get(sample_id=body["id"])
    assert run.status == "queued" and run.requested_by == alice
    listed = api.get(f"/api/runs/?sample={body['id']}").json()["results"]
    assert [r["id"] for r in listed] == [run.pk]
    with open(micrographs.png(tmp_path / "p.png"), "rb") as fh:  # uncalibrated: no run yet
        body = api.post(
            "/api/samples/", {"file": fh, "group": "Lab A", "elements": "C"}, format="multipart"
        ).json()
    assert not Run.objects.filter(sample_id=body["id"]).exists()
