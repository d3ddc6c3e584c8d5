"""The imaging mode: chosen at upload (page, API, CLI), else read from the file's signal name,
else assumed and said so; changed later on the page or the API; every run uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.runs.models import Run
from automat_web.samples import services
from automat_web.samples.models import Sample
from tests.fixtures import micrographs


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _ingest(path: Path, owner, group, **kw) -> Sample:
    return services.ingest_upload(
        path=path, filename=path.name, owner=owner, group=group, elements="Mo,S", **kw
    ).sample


def test_it_reads_the_mode_from_the_signal_name(alice, lab_a, tmp_path) -> None:
    path = micrographs.velox(tmp_path / "scan.emd")
    haadf = _ingest(path, alice, lab_a, signal="HAADF")
    assert (haadf.imaging_mode, haadf.imaging_mode_source) == ("haadf", "file:HAADF")
    assert haadf.runs.get().mode == "haadf"  # the run reads the image as the sample says
    services.choose_signal(haadf, "iDPC", None)
    assert (haadf.imaging_mode, haadf.imaging_mode_source) == ("idpc", "file:iDPC")


def test_it_assumes_idpc_when_the_file_does_not_say_and_says_so(
    client, alice, lab_a, tmp_path
) -> None:
    sample = _ingest(micrographs.calibrated_tiff(tmp_path / "a.tif"), alice, lab_a)
    assert (sample.imaging_mode, sample.imaging_mode_source) == ("idpc", "")
    client.force_login(alice)
    page = client.get(sample.get_absolute_url()).content.decode()
    assert "assumed: the file does not say" in page
    assert "a HAADF image read as iDPC gives wrong structures" in page


def test_a_users_choice_wins_over_the_file_and_reaches_the_run(alice, lab_a, tmp_path) -> None:
    path = micrographs.velox(tmp_path / "scan.emd")
    sample = _ingest(path, alice, lab_a, signal="iDPC", mode="haadf")
    assert (sample.imaging_mode, sample.imaging_mode_source) == ("haadf", "user")
    assert sample.runs.get().mode == "haadf"
    services.choose_signal(sample, "DF4-A", None)  # another signal keeps the user's choice
    assert sample.imaging_mode == "haadf"


def test_it_changes_the_mode_on_the_page(client, alice, lab_a, tmp_path) -> None:
    sample = _ingest(micrographs.calibrated_tiff(tmp_path / "a.tif"), alice, lab_a)
    client.force_login(alice)
    url = reverse("samples:mode", args=[sample.pk])
    response = client.post(url, {"mode": "abf"})
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.imaging_mode, sample.imaging_mode_source) == ("abf", "user")
    assert client.post(url, {"mode": "tem"}).status_code == 400
    client.post(url, {"mode": ""})  # back to what the file says
    sample.refresh_from_db()
    assert (sample.imaging_mode, sample.imaging_mode_source) == ("idpc", "")


def test_the_upload_page_offers_the_mode(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    with open(path, "rb") as fh:
        response = client.post(
            reverse("samples:upload"),
            {"file": fh, "group": lab_a.pk, "elements": "W,Se", "mode": "haadf"},
        )
    assert response.status_code == 302
    sample = Sample.objects.get()
    assert sample.imaging_mode == "haadf" and Run.objects.get().mode == "haadf"


def test_the_api_takes_shows_and_changes_the_mode(alice, lab_a, tmp_path) -> None:
    client = _api(alice)
    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    with open(path, "rb") as fh:
        body = client.post(
            "/api/samples/", {"file": fh, "group": "Lab A", "mode": "haadf"}, format="multipart"
        ).json()
    assert (body["imaging_mode"], body["imaging_mode_source"]) == ("haadf", "user")
    url = f"/api/samples/{body['id']}/imaging-mode/"
    changed = client.post(url, {"mode": "idpc"}, format="json")
    assert changed.status_code == 200 and changed.json()["imaging_mode"] == "idpc"
    wrong = client.post(url, {"mode": "bf"}, format="json")
    assert wrong.status_code == 400 and "mode" in wrong.json()
    with open(path, "rb") as fh:
        refused = client.post(
            "/api/samples/", {"file": fh, "group": "Lab A", "mode": "tem"}, format="multipart"
        )
    assert refused.status_code == 400 and "mode" in refused.json()


@pytest.mark.parametrize("value", [5.0, 0.001, 1e308])
def test_the_api_refuses_a_pixel_size_no_image_of_columns_has(alice, tmp_path, value) -> None:
    client = _api(alice)
    with open(micrographs.png(tmp_path / "a.png"), "rb") as fh:
        sample = client.post(
            "/api/samples/", {"file": fh, "group": "Lab A"}, format="multipart"
        ).json()
    url = f"/api/samples/{sample['id']}/calibration/"
    response = client.post(url, {"pixel_size_A": value}, format="json")
    assert response.status_code == 400
    assert "outside 0.02–1 Å/px" in " ".join(response.json()["pixel_size_A"])
    assert Sample.objects.get().pixel_size_A is None


def test_the_upload_form_refuses_it_too(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    with open(micrographs.png(tmp_path / "a.png"), "rb") as fh:
        response = client.post(
            reverse("samples:upload"), {"file": fh, "group": lab_a.pk, "pixel_size_A": 2.5}
        )
    assert response.status_code == 400 and "outside 0.02–1 Å/px" in response.content.decode()
    assert Sample.objects.count() == 0


def test_a_file_calibration_out_of_range_waits_for_a_person(alice, lab_a, tmp_path) -> None:
    path = micrographs.calibrated_tiff(tmp_path / "wide.tif", pixel_size_A=5.0)
    sample = _ingest(path, alice, lab_a)
    assert sample.needs == ["pixel_size"] and not sample.runs.exists()
    assert list(Sample.objects.needing_input()) == [sample]
    services.set_pixel_size(sample, 0.1)
    assert sample.is_ready and sample.runs.count() == 1
    assert list(Sample.objects.ready()) == [sample]
