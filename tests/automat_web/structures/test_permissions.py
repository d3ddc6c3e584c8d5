"""Only curators of the structure's lab act on it: a member of the lab gets 403, another
lab 404 on every structure URL; the role is per lab and lapses with the membership."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from automat_web.structures import services
from automat_web.structures.curators import is_curator
from automat_web.structures.models import Review, Structure

pytestmark = pytest.mark.django_db

ACTIONS = [
    ("review", {"state": "accepted"}),
    ("correct", {"element-0": "W"}),
    ("energy", {}),
    ("promote", {}),
]


def test_a_member_who_is_not_a_curator_gets_403(client, structure, bob) -> None:
    client.force_login(bob)
    page = client.get(structure.get_absolute_url())
    assert page.status_code == 200
    assert b'id="not-curator"' in page.content and b'id="correct-form"' not in page.content
    for action, data in ACTIONS:
        assert client.post(f"/structures/{structure.pk}/{action}/", data).status_code == 403
    with pytest.raises(services.NotACurator):
        services.review(structure, reviewer=bob, state="accepted")
    assert not Review.objects.exists() and Structure.objects.count() == 1


def test_another_lab_gets_404_everywhere(client, structure, dora, charlie) -> None:
    version = services.correct(structure, curator=dora, edits=[{"op": "remove", "site": 1}])
    client.force_login(charlie)
    for target in (structure, version):
        for suffix in ("", "structure.cif", "energy/"):
            assert client.get(f"/structures/{target.pk}/{suffix}").status_code == 404
        for action, data in ACTIONS:
            assert client.post(f"/structures/{target.pk}/{action}/", data).status_code == 404
    listed = client.get("/structures/").content.decode()
    assert f'data-structure="{structure.pk}"' not in listed
    assert client.get("/structures/export.zip").status_code == 200  # empty, but allowed


def test_anonymous_users_are_sent_to_log_in(client, structure) -> None:
    for url in ("/structures/", "/structures/export.zip", f"/structures/{structure.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_role_is_per_lab_and_ends_with_the_membership(dora, lab_a, lab_b) -> None:
    assert is_curator(dora, lab_a) and not is_curator(dora, lab_b)
    dora.groups.add(lab_b)
    assert not is_curator(dora, lab_b)  # a member of Lab B, but not its curator
    dora.groups.remove(lab_a)
    assert not is_curator(dora, lab_a)


def test_the_command_grants_and_revokes(bob, charlie, lab_a, capsys) -> None:
    call_command("curators", "grant", "Lab A", "bob")
    assert is_curator(bob, lab_a)
    with pytest.raises(CommandError, match="not a member of Lab A"):
        call_command("curators", "grant", "Lab A", "charlie")
    call_command("curators", "list", "Lab A")
    assert "Lab A\tbob" in capsys.readouterr().out
    call_command("curators", "revoke", "Lab A", "bob")
    assert not is_curator(bob, lab_a)
