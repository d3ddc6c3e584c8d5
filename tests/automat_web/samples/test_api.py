"""The REST API: token auth, the caller's groups only, the same ingestion as the pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.samples.models import Micrograph, Sample
from tests.fixtures import micrographs


def _client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _upload(client: APIClient, path: Path, **fields):
    with open(path, "rb") as fh:
        return client.post("/api/samples/", {"file": fh, **fields}, format="multipart")


@pytest.mark.django_db
def test_it_requires_authentication() -> None:
    assert APIClient().get("/api/samples/").status_code == 401


def test_it_uploads_and_lists_by_group(alice, bob, charlie, tmp_path) -> None:
    response = _upload(
        _client(alice), micrographs.dm3(tmp_path / "x.dm3"), group="Lab A", elements="W,Se"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == "dm3" and body["elements"] == ["W", "Se"]
    assert body["pixel_size_A"] == pytest.approx(0.12, rel=1e-5)
    assert body["calibration_source"].startswith("file:dm")
    assert body["links"]["working"].endswith(f"/samples/{body['id']}/working.npy")
    listed = _client(bob).get("/api/samples/").json()
    assert [s["id"] for s in listed["results"]] == [body["id"]]
    assert _client(charlie).get("/api/samples/").json()["results"] == []
    assert _client(charlie).get(f"/api/samples/{body['id']}/").status_code == 404


def test_it_links_a_repeated_upload(alice, tmp_path) -> None:
    client = _client(alice)
    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    first = _upload(client, path, group="Lab A")
    again = _upload(client, path, group="Lab A")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Sample.objects.count() == 1


def test_it_calibrates_through_the_api(alice, tmp_path) -> None:
    client = _client(alice)
    sample = _upload(client, micrographs.png(tmp_path / "a.png"), group="Lab A").json()
    assert sample["needs"] == ["pixel_size"]
    url = f"/api/samples/{sample['id']}/calibration/"
    assert client.post(url, {"pixel_size_A": -2}, format="json").status_code == 400
    updated = client.post(url, {"pixel_size_A": 0.1}, format="json").json()
    assert updated["calibration_source"] == "user" and updated["needs"] == []


@pytest.mark.parametrize(
    ("fields", "key", "text"),
    [
        ({"group": "Lab B"}, "group", "not a member"),
        ({"group": "Lab A", "elements": "Mo,Qq"}, "elements", "unknown element"),
    ],
)
def test_it_explains_what_is_wrong(alice, lab_b, tmp_path, fields, key, text) -> None:
    response = _upload(_client(alice), micrographs.calibrated_tiff(tmp_path / "a.tif"), **fields)
    assert response.status_code == 400
    assert text in " ".join(response.json()[key])
    assert Micrograph.objects.count() == 0


def test_it_rejects_a_corrupt_file(alice, tmp_path) -> None:
    path = tmp_path / "broken.tif"
    path.write_bytes(micrographs.calibrated_tiff(tmp_path / "ok.tif").read_bytes()[:3000])
    response = _upload(_client(alice), path, group="Lab A")
    assert response.status_code == 400
    assert "broken.tif" in response.json()["file"][0]
    assert Sample.objects.count() == 0


def test_it_stops_an_oversized_upload(alice, tmp_path, settings) -> None:
    import numpy as np

    settings.MAX_UPLOAD_MB = 1
    big = tmp_path / "big.npy"
    np.save(big, np.zeros((800, 800), np.float32))
    response = _upload(_client(alice), big, group="Lab A")
    assert response.status_code == 400
    assert "over the upload limit of 1 MB" in response.json()["file"][0]
    assert Sample.objects.count() == 0
