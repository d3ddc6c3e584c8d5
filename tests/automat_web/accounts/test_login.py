"""Logging in and out; pages need a login."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_serves_the_login_page(client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_login(client) -> None:
    response = client.get(reverse("samples:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_logs_in_and_out(client, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "alice-pw-2026"})
    assert response.status_code == 302
    assert client.get(reverse("samples:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("samples:list")).status_code == 302


def test_it_rejects_a_wrong_password(client, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
