"""Another lab gets 404 on every lab URL, page and API, and does not see the lab listed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts import labs

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_answers_404_to_another_lab(client, lab_admin, bob, charlie, lab_a) -> None:
    client.force_login(charlie)
    assert "Lab A" not in client.get(reverse("accounts:labs")).content.decode()
    assert client.get(reverse("accounts:lab", args=[lab_a.pk])).status_code == 404
    posts = [
        (reverse("accounts:add_member", args=[lab_a.pk]), {"username": "charlie"}),
        (reverse("accounts:remove_member", args=[lab_a.pk, bob.pk]), {}),
        (reverse("accounts:set_role", args=[lab_a.pk, bob.pk]), {"role": "admin", "granted": "1"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    api = token_client(charlie)
    base = f"/api/v1/labs/{lab_a.pk}"
    assert [lab["name"] for lab in api.get("/api/v1/labs/").json()] == ["Lab B"]
    for url in (f"{base}/", f"{base}/members/", f"{base}/events/"):
        assert api.get(url).status_code == 404, url
    assert api.post(f"{base}/members/", {"username": "charlie"}).status_code == 404
    assert api.delete(f"{base}/members/bob/").status_code == 404
    role = {"role": "admin", "granted": True}
    assert api.post(f"{base}/members/bob/roles/", role, format="json").status_code == 404
    assert api.get("/api/v1/labs/99999999999999/").status_code == 404
    assert client.get("/accounts/labs/99999999999999/").status_code == 404
    assert labs.roles_of(bob, lab_a) == ["member"] and not charlie.groups.filter(pk=lab_a.pk)


def test_anonymous_users_are_sent_to_log_in(client, lab_a) -> None:
    response = client.get(reverse("accounts:lab", args=[lab_a.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/labs/").status_code in (401, 403)
