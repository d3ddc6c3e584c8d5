"""A member who is not an admin sees the member list without forms and gets 403 on every
change, page and API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts import labs
from automat_web.accounts.models import LabEvent

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_a_member_sees_the_list_without_forms(client, lab_admin, bob, lab_a) -> None:
    client.force_login(bob)
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    assert 'data-user="alice"' in page and 'data-user="bob"' in page
    assert "member, admin" in page
    assert 'id="add-member"' not in page and "grant-curator" not in page
    assert "Only the lab's admins can change this list." in page


def test_a_member_cannot_change_roles(client, lab_admin, bob, lab_a, dave) -> None:
    client.force_login(bob)
    posts = [
        (reverse("accounts:add_member", args=[lab_a.pk]), {"username": "dave"}),
        (reverse("accounts:remove_member", args=[lab_a.pk, lab_admin.pk]), {}),
        (reverse("accounts:set_role", args=[lab_a.pk, bob.pk]), {"role": "admin", "granted": "1"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"only the admins of Lab A" in response.content
    api = token_client(bob)
    base = f"/api/v1/labs/{lab_a.pk}"
    assert api.post(f"{base}/members/", {"username": "dave"}, format="json").status_code == 403
    assert api.delete(f"{base}/members/alice/").status_code == 403
    role = {"role": "admin", "granted": True}
    assert api.post(f"{base}/members/bob/roles/", role, format="json").status_code == 403
    with pytest.raises(labs.NotALabAdmin):
        labs.set_role(lab_a, bob, "admin", True, by=bob)
    assert labs.roles_of(bob, lab_a) == ["member"] and not LabEvent.objects.exists()
