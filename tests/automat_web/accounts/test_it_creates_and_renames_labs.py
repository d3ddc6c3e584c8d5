"""A superuser creates a lab, optionally with its first admin; the lab's admins (or a
superuser) rename it. Names are unique whatever their case, and both land in the lab's
audit trail. Page and API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from automat_web.accounts import labs
from automat_web.accounts.models import LabAdmin, LabEvent

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    """A site administrator, in no lab."""
    return get_user_model().objects.create_superuser("root", "root@example.org", "root-pw-2026")


def _actions(group: Group) -> list[str]:
    return list(
        LabEvent.objects.filter(group=group).order_by("id").values_list("action", flat=True)
    )


def test_a_superuser_creates_a_lab_with_its_first_admin(client, root, dave, bob) -> None:
    client.force_login(root)
    page = client.get(reverse("accounts:labs")).content.decode()
    assert 'id="create-lab"' in page and '<option value="dave">' in page
    response = client.post(reverse("accounts:create_lab"), {"name": "  Lab C ", "admin": "dave"})
    lab_c = Group.objects.get(name="Lab C")
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:lab", args=[lab_c.pk]
    )
    assert labs.roles_of(dave, lab_c) == ["member", "admin"]
    assert _actions(lab_c) == ["lab_created", "member_added", "role_granted"]
    assert LabEvent.objects.filter(group=lab_c, actor=root).count() == 3
    # dave now manages Lab C on the Labs page.
    client.force_login(dave)
    lab_page = client.get(reverse("accounts:lab", args=[lab_c.pk])).content.decode()
    assert 'id="add-member"' in lab_page and "created lab “Lab C”" in lab_page
    added = client.post(reverse("accounts:add_member", args=[lab_c.pk]), {"username": "bob"})
    assert added.status_code == 302 and labs.roles_of(bob, lab_c) == ["member"]


def test_a_lab_without_a_first_admin(client, root) -> None:
    client.force_login(root)
    client.post(reverse("accounts:create_lab"), {"name": "Lab D", "admin": ""})
    lab_d = Group.objects.get(name="Lab D")
    assert not labs.member_list(lab_d) and _actions(lab_d) == ["lab_created"]


@pytest.mark.parametrize("name", ["Lab A", "lab a", " LAB A "])
def test_a_taken_name_is_refused_and_nothing_is_created(client, root, lab_a, dave, name) -> None:
    client.force_login(root)
    before = Group.objects.count(), LabEvent.objects.count()
    response = client.post(
        reverse("accounts:create_lab"), {"name": name, "admin": "dave"}, follow=True
    )
    assert "there is already a lab named &#x27;Lab A&#x27;" in response.content.decode()
    assert (Group.objects.count(), LabEvent.objects.count()) == before
    assert not dave.groups.exists()
    api = token_client(root).post("/api/v1/labs/", {"name": name}, format="json")
    assert api.status_code == 400 and "already a lab named" in api.json()["name"][0]
    assert (Group.objects.count(), LabEvent.objects.count()) == before


def test_the_database_refuses_an_exact_clash(root, lab_a, monkeypatch) -> None:
    # As if another request had created "Lab A" between the check and the insert.
    monkeypatch.setattr(labs, "_refuse_taken", lambda *args, **kwargs: None)
    with pytest.raises(labs.NameTaken):
        labs.create_lab("Lab A", by=root)
    assert Group.objects.filter(name="Lab A").count() == 1


@pytest.mark.parametrize(
    ("name", "why"),
    [("", "a lab needs a name"), ("   ", "a lab needs a name"), ("x" * 151, "at most 150")],
)
def test_a_blank_or_long_name_is_refused(client, root, name, why) -> None:
    client.force_login(root)
    before = Group.objects.count()
    response = client.post(reverse("accounts:create_lab"), {"name": name}, follow=True)
    assert why in response.content.decode()
    assert Group.objects.count() == before
    with pytest.raises(labs.BadLabName):
        labs.create_lab(name, by=root)
    assert token_client(root).post("/api/v1/labs/", {"name": name}).status_code == 400
    assert Group.objects.count() == before


def test_an_unknown_first_admin_is_refused(client, root) -> None:
    api = token_client(root).post("/api/v1/labs/", {"name": "Lab E", "admin": "nobody"})
    assert api.status_code == 400 and "no user named" in api.json()["admin"][0]
    client.force_login(root)
    client.post(reverse("accounts:create_lab"), {"name": "Lab E", "admin": "nobody"})
    assert not Group.objects.filter(name="Lab E").exists()


def test_only_a_superuser_creates_labs(client, lab_admin, bob) -> None:
    for user in (lab_admin, bob):
        client.force_login(user)
        assert 'id="create-lab"' not in client.get(reverse("accounts:labs")).content.decode()
        assert client.post(reverse("accounts:create_lab"), {"name": "Lab X"}).status_code == 403
        assert token_client(user).post("/api/v1/labs/", {"name": "Lab X"}).status_code == 403
    assert not Group.objects.filter(name="Lab X").exists()


def test_the_api_creates_a_lab(root, dave) -> None:
    response = token_client(root).post(
        "/api/v1/labs/", {"name": "Lab F", "admin": "dave"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Lab F" and body["can_manage"] and body["my_roles"] == []
    assert body["members"] == [{"username": "dave", "roles": ["member", "admin"]}]
    dave_api = token_client(dave)
    assert [lab["name"] for lab in dave_api.get("/api/v1/labs/").json()] == ["Lab F"]
    events = dave_api.get(f"/api/v1/labs/{body['id']}/events/").json()
    assert [e["description"] for e in events] == [
        "granted admin to dave",
        "added member dave",
        "created lab “Lab F”",
    ]


def test_a_lab_admin_renames_their_lab(client, lab_admin, lab_a, lab_b) -> None:
    client.force_login(lab_admin)
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    assert 'id="rename-lab"' in page
    url = reverse("accounts:rename_lab", args=[lab_a.pk])
    assert client.post(url, {"name": "Lab Alpha"}).status_code == 302
    lab_a.refresh_from_db()
    assert lab_a.name == "Lab Alpha"
    refused = client.post(url, {"name": "lab b"}, follow=True).content.decode()
    assert "there is already a lab named &#x27;Lab B&#x27;" in refused
    assert client.post(url, {"name": "  "}, follow=True).status_code == 200
    api = token_client(lab_admin)
    renamed = api.patch(f"/api/v1/labs/{lab_a.pk}/", {"name": "LAB ALPHA"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "LAB ALPHA"
    clash = api.patch(f"/api/v1/labs/{lab_a.pk}/", {"name": "LAB B"}, format="json")
    assert clash.status_code == 400 and "already a lab named" in clash.json()["name"][0]
    lab_a.refresh_from_db()
    assert lab_a.name == "LAB ALPHA"
    renames = LabEvent.objects.filter(group=lab_a, action="lab_renamed").order_by("id")
    assert [(e.detail, e.target, e.actor_name) for e in renames] == [
        ("Lab A", "Lab Alpha", "alice"),
        ("Lab Alpha", "LAB ALPHA", "alice"),
    ]
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    assert "renamed lab “Lab A” to “Lab Alpha”" in page


def test_a_superuser_renames_any_lab(root, lab_b) -> None:
    api = token_client(root)
    assert api.patch(f"/api/v1/labs/{lab_b.pk}/", {"name": "Lab Beta"}).status_code == 200
    assert not labs.rename_lab(lab_b, "Lab Beta", by=root)  # unchanged: no row
    assert _actions(lab_b) == ["lab_renamed"]


def test_a_member_or_another_labs_admin_cannot_rename(
    client, lab_admin, bob, charlie, lab_a, lab_b
) -> None:
    LabAdmin.objects.create(group=lab_b, user=charlie)
    url = reverse("accounts:rename_lab", args=[lab_a.pk])
    client.force_login(bob)
    page = client.get(reverse("accounts:lab", args=[lab_a.pk])).content.decode()
    assert 'id="rename-lab"' not in page
    assert client.post(url, {"name": "Bob's lab"}).status_code == 403
    assert token_client(bob).patch(f"/api/v1/labs/{lab_a.pk}/", {"name": "B"}).status_code == 403
    client.force_login(charlie)
    assert client.post(url, {"name": "Charlie's lab"}).status_code == 404
    charlie_api = token_client(charlie)
    assert charlie_api.patch(f"/api/v1/labs/{lab_a.pk}/", {"name": "C"}).status_code == 404
    lab_a.refresh_from_db()
    assert lab_a.name == "Lab A" and not _actions(lab_a)
