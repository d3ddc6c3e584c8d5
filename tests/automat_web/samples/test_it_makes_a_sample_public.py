"""A public sample is visible read-only to every logged-in user (any lab, or none); made
private again, it is a 404 to them once more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts.models import LabEvent

from .conftest import change_requests, download_urls, read_urls, token_client

pytestmark = pytest.mark.django_db


def test_it_shows_a_public_sample_to_everyone(client, alice, erin, processed) -> None:
    client.force_login(alice)
    url = reverse("samples:sharing", args=[processed.sample_id])
    assert client.post(url, {"action": "public"}).status_code == 302
    processed.sample.refresh_from_db()
    assert processed.sample.is_public
    client.force_login(erin)
    for url in read_urls(processed):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200, url
    page = client.get(processed.sample.get_absolute_url()).content.decode()
    assert "it is public" in page and 'id="pixel-size-form"' not in page
    for url, data in change_requests(processed):
        assert client.post(url, data).status_code == 403, url
    api = token_client(erin)
    for url in download_urls(processed):
        assert api.get(url).status_code == 200, url


def test_it_hides_it_again_once_private(client, alice, erin, processed) -> None:
    api = token_client(alice)
    base = f"/api/v1/samples/{processed.sample_id}"
    assert api.post(f"{base}/visibility/", {"public": True}, format="json").json()["public"]
    answer = api.post(f"{base}/visibility/", {"public": False}, format="json")
    assert answer.status_code == 200 and answer.json()["public"] is False
    client.force_login(erin)
    for url in read_urls(processed):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url
    assert token_client(erin).get("/api/v1/samples/").json()["count"] == 0
    events = LabEvent.objects.order_by("id")
    assert [e.description for e in events] == [
        "made sample “secret” public",
        "made sample “secret” private",
    ]


def test_anonymous_users_still_log_in_first(client, alice, processed) -> None:
    processed.sample.is_public = True
    processed.sample.save()
    response = client.get(processed.sample.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
