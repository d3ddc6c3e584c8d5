"""Self-service tokens: created on the profile page (shown once) or the API, and revoked."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_it_creates_a_token_shown_once(client, alice) -> None:
    client.force_login(alice)
    page = client.get("/accounts/profile/").content.decode()
    assert "You have no API token" in page and 'href="/accounts/profile/"' in page  # nav
    created = client.post("/accounts/profile/", {"action": "create"}, follow=True)
    key = Token.objects.get(user=alice).key
    assert created.redirect_chain == [("/accounts/profile/", 302)]
    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert key not in client.get("/accounts/profile/").content.decode()  # shown once
    assert Token.objects.get(user=alice).key == key
    assert _api(key).get("/api/v1/samples/").status_code == 200


def test_it_replaces_and_revokes(client, alice) -> None:
    client.force_login(alice)
    client.post("/accounts/profile/", {"action": "create"})
    old = Token.objects.get(user=alice).key
    client.post("/accounts/profile/", {"action": "create"})
    new = Token.objects.get(user=alice).key
    assert old != new and _api(old).get("/api/v1/samples/").status_code == 401
    assert client.post("/accounts/profile/", {"action": "revoke"}).status_code == 302
    assert _api(new).get("/api/v1/samples/").status_code == 401
    assert not Token.objects.filter(user=alice).exists()


def test_it_requires_a_login_and_csrf(alice) -> None:
    from django.test import Client

    assert Client().get("/accounts/profile/").status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/accounts/profile/", {"action": "create"}).status_code == 403
    assert not Token.objects.filter(user=alice).exists()


def test_it_manages_the_token_through_the_api(token_client, alice, bob) -> None:
    client = token_client(alice)
    assert client.get("/api/v1/token/").json()["exists"] is True
    created = client.post("/api/v1/token/")
    assert created.status_code == 201
    key = created.json()["key"]
    assert _api(key).get("/api/v1/token/").status_code == 200
    assert client.get("/api/v1/token/").status_code == 401  # the old key stopped working
    assert _api(key).delete("/api/v1/token/").status_code == 204
    assert _api(key).get("/api/v1/token/").status_code == 401
    assert Token.objects.filter(user=bob).count() == 0  # only one's own token
