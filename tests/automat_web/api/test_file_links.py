"""Every URL the API returns can be fetched with the token alone; another lab gets 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.automat_web.runs.helpers import finished_run
from tests.fixtures import micrographs

pytestmark = pytest.mark.django_db

#: Links to HTML pages, for people in a browser (a session), not for scripts.
PAGES = {"page", "panel", "sample"}


def _links(body: object, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, url) of every absolute URL in an API answer, however deeply nested."""
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _links(v, k)
    elif isinstance(body, list):
        for item in body:
            yield from _links(item, key)
    elif isinstance(body, str) and body.startswith("http://testserver/"):
        yield key, body


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_serves_every_linked_file_to_a_token(
    token_client, alice, charlie, tmp_path: Path
) -> None:
    client = token_client(alice)
    with open(micrographs.calibrated_tiff(tmp_path / "mos2.tif"), "rb") as fh:
        upload = client.post(
            "/api/v1/samples/", {"file": fh, "group": "Lab A", "elements": "Mo,S"}, "multipart"
        )
    assert upload.status_code == 201, upload.json()
    from automat_web.samples.models import Sample

    run = finished_run(Sample.objects.get(pk=upload.json()["id"]), tmp_path)
    answers = [
        client.get(f"/api/v1/samples/{run.sample_id}/").json(),
        client.get("/api/v1/samples/").json(),
        client.get(f"/api/v1/runs/{run.pk}/").json(),
        client.get("/api/v1/runs/").json(),
        client.get(f"/api/v1/structures/{run.structure.pk}/").json(),
        client.get("/api/v1/structures/").json(),
    ]
    links = {(key, url) for answer in answers for key, url in _links(answer)}
    files = {url for key, url in links if key not in PAGES}
    kinds = {url.rsplit("/", 2)[-1] if "artifacts" not in url else "artifact" for url in files}
    assert {"original", "working.npy", "thumbnail.png", "structure.cif", "artifact"} <= kinds

    stranger, anonymous = token_client(charlie), APIClient()
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    for url in sorted(files):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _body(response), url
        assert stranger.get(url).status_code == 404, url  # another lab: not even a 403
        assert bad.get(url).status_code == 401, url
        assert anonymous.get(url).status_code == 302, url  # a browser goes to the login page


def test_it_keeps_the_session_for_browsers(client, alice, tmp_path: Path) -> None:
    from tests.automat_web.runs.conftest import upload

    sample = upload(micrographs.calibrated_tiff(tmp_path / "a.tif"), alice, alice.groups.get())
    client.force_login(alice)
    assert client.get(f"/samples/{sample.pk}/original").status_code == 200
