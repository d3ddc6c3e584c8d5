"""The Labs page: an admin adds a user by name, grants and revokes curator and admin, and
removes a member (ending their roles); every change lands in the audit table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts import labs
from automat_web.accounts.models import LabAdmin
from automat_web.structures.curators import is_curator
from automat_web.structures.models import LabCurator

pytestmark = pytest.mark.django_db


def _role(client, lab, user, role: str, granted: bool):
    url = reverse("accounts:set_role", args=[lab.pk, user.pk])
    return client.post(url, {"role": role, "granted": "1" if granted else "0"})


def test_it_lists_the_labs_from_the_nav(client, lab_admin, lab_a, lab_b) -> None:
    client.force_login(lab_admin)
    home = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:labs") in home
    page = client.get(reverse("accounts:labs")).content.decode()
    assert "Lab A" in page and "member, admin" in page and "Lab B" not in page


def test_it_adds_a_member_by_name(client, lab_admin, lab_a, dave) -> None:
    client.force_login(lab_admin)
    url = reverse("accounts:add_member", args=[lab_a.pk])
    assert client.post(url, {"username": "dave"}).status_code == 302
    assert dave.groups.filter(pk=lab_a.pk).exists()
    response = client.post(url, {"username": "nobody"}, follow=True)
    assert "there is no user named &#x27;nobody&#x27;" in response.content.decode()
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    assert 'data-user="dave"' in page and "added member dave" in page


def test_it_grants_and_revokes_roles(client, lab_admin, lab_a, bob) -> None:
    client.force_login(lab_admin)
    assert _role(client, lab_a, bob, "curator", True).status_code == 302
    assert is_curator(bob, lab_a)
    assert _role(client, lab_a, bob, "admin", True).status_code == 302
    assert labs.is_lab_admin(bob, lab_a)
    assert labs.roles_of(bob, lab_a) == ["member", "curator", "admin"]
    assert _role(client, lab_a, bob, "curator", False).status_code == 302
    assert not is_curator(bob, lab_a)
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    for line in ("granted curator to bob", "granted admin to bob", "revoked curator from bob"):
        assert line in page
    assert page.count('class="event"') == 3 and "alice" in page


def test_removing_a_member_ends_their_roles(client, lab_admin, lab_a, bob) -> None:
    labs.set_role(lab_a, bob, "curator", True, by=lab_admin)
    labs.set_role(lab_a, bob, "admin", True, by=lab_admin)
    client.force_login(lab_admin)
    url = reverse("accounts:remove_member", args=[lab_a.pk, bob.pk])
    assert client.post(url).status_code == 302
    assert not bob.groups.filter(pk=lab_a.pk).exists()
    assert not LabCurator.objects.filter(user=bob).exists()
    assert not LabAdmin.objects.filter(user=bob).exists()
    labs.add_member(lab_a, bob, by=lab_admin)  # back as a plain member, no old roles
    assert labs.roles_of(bob, lab_a) == ["member"] and not is_curator(bob, lab_a)


def test_a_role_counts_only_while_a_member(lab_admin, lab_a, bob) -> None:
    labs.set_role(lab_a, bob, "admin", True, by=lab_admin)
    bob.groups.remove(lab_a)  # taken out some other way (the Django admin)
    assert not labs.is_lab_admin(bob, lab_a)
    with pytest.raises(labs.NotAMember):
        labs.set_role(lab_a, bob, "curator", True, by=lab_admin)
