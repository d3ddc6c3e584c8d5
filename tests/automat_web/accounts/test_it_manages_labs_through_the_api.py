"""/api/v1/labs/: the caller's labs with their roles, a lab's members with theirs, adding
and removing members, granting and revoking roles, and the audit trail."""

from __future__ import annotations

import pytest

from automat_web.structures.curators import is_curator

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_lists_labs_and_members(lab_admin, bob, lab_a, lab_b) -> None:
    api = token_client(bob)
    assert api.get("/api/v1/labs/").json() == [
        {"id": lab_a.pk, "name": "Lab A", "my_roles": ["member"], "can_manage": False}
    ]
    lab = api.get(f"/api/v1/labs/{lab_a.pk}/").json()
    assert lab["members"] == [
        {"username": "alice", "roles": ["member", "admin"]},
        {"username": "bob", "roles": ["member"]},
    ]
    assert api.get(f"/api/v1/labs/{lab_a.pk}/members/").json() == lab["members"]


def test_an_admin_changes_members_and_roles(lab_admin, bob, lab_a, dave) -> None:
    api = token_client(lab_admin)
    base = f"/api/v1/labs/{lab_a.pk}"
    added = api.post(f"{base}/members/", {"username": "dave"}, format="json")
    assert added.status_code == 201 and added.json() == {"username": "dave", "roles": ["member"]}
    assert api.post(f"{base}/members/", {"username": "dave"}, format="json").status_code == 200
    unknown = api.post(f"{base}/members/", {"username": "nobody"}, format="json")
    assert unknown.status_code == 400 and "no user named" in unknown.json()["username"][0]
    role = api.post(f"{base}/members/dave/roles/", {"role": "curator", "granted": True})
    assert role.status_code == 200 and role.json()["roles"] == ["member", "curator"]
    assert is_curator(dave, lab_a)
    assert api.delete(f"{base}/members/dave/").status_code == 204
    assert not is_curator(dave, lab_a) and not dave.groups.exists()
    assert api.delete(f"{base}/members/dave/").status_code == 404
    events = api.get(f"{base}/events/").json()
    assert [e["description"] for e in events] == [
        "removed member dave",
        "granted curator to dave",
        "added member dave",
    ]
    assert {e["actor"] for e in events} == {"alice"} and all(e["created"] for e in events)
