"""A lab keeps at least one admin: removing or demoting the only one is refused with a
message (page, API, service); with a second admin it is allowed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts import labs

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_refuses_to_demote_or_remove_the_last_admin(client, lab_admin, lab_a) -> None:
    with pytest.raises(labs.LastAdmin, match="only admin of Lab A"):
        labs.set_role(lab_a, lab_admin, "admin", False, by=lab_admin)
    with pytest.raises(labs.LastAdmin):
        labs.remove_member(lab_a, lab_admin, by=lab_admin)
    client.force_login(lab_admin)
    url = reverse("accounts:set_role", args=[lab_a.pk, lab_admin.pk])
    page = client.post(url, {"role": "admin", "granted": "0"}, follow=True).content.decode()
    assert "they are the only admin of Lab A. Make another member admin first." in page
    url = reverse("accounts:remove_member", args=[lab_a.pk, lab_admin.pk])
    assert "only admin of Lab A" in client.post(url, follow=True).content.decode()
    api = token_client(lab_admin)
    refused = api.delete(f"/api/v1/labs/{lab_a.pk}/members/alice/")
    assert refused.status_code == 400 and "only admin" in refused.json()["username"][0]
    role = {"role": "admin", "granted": False}
    refused = api.post(f"/api/v1/labs/{lab_a.pk}/members/alice/roles/", role, format="json")
    assert refused.status_code == 400 and "only admin" in refused.json()["role"][0]
    assert labs.roles_of(lab_admin, lab_a) == ["member", "admin"]


def test_a_second_admin_lets_the_first_step_down(lab_admin, lab_a, bob) -> None:
    labs.set_role(lab_a, bob, "admin", True, by=lab_admin)
    labs.set_role(lab_a, lab_admin, "admin", False, by=lab_admin)
    assert labs.roles_of(lab_admin, lab_a) == ["member"]
    with pytest.raises(labs.LastAdmin):
        labs.remove_member(lab_a, bob, by=bob)
    labs.remove_member(lab_a, lab_admin, by=bob)
    assert not lab_admin.groups.filter(pk=lab_a.pk).exists()


def test_a_superuser_administers_every_lab(lab_a, bob, dave) -> None:
    dave.is_superuser = True
    dave.save()
    assert labs.is_lab_admin(dave, lab_a)
    assert list(labs.visible_labs(dave)) == [lab_a]
    labs.set_role(lab_a, bob, "admin", True, by=dave)  # the first admin of a lab with none
    assert labs.is_lab_admin(bob, lab_a)
