"""Sharing a sample is for its owner (while in its lab) and its lab's admins: another
member gets 403, and nothing changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts.models import LabAdmin, LabEvent
from automat_web.samples import sharing

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_a_member_who_is_neither_gets_403(client, bob, lab_b, processed) -> None:
    client.force_login(bob)
    page = client.get(processed.sample.get_absolute_url()).content.decode()
    assert 'id="share-form"' not in page and "Its owner (alice)" in page
    url = reverse("samples:sharing", args=[processed.sample_id])
    assert client.post(url, {"action": "share", "group": lab_b.pk}).status_code == 403
    api = token_client(bob)
    base = f"/api/v1/samples/{processed.sample_id}"
    assert api.post(f"{base}/share/", {"group": "Lab B"}, format="json").status_code == 403
    assert api.post(f"{base}/visibility/", {"public": True}, format="json").status_code == 403
    assert api.get(f"{base}/sharing/").status_code == 200  # a member may see who sees it
    assert not sharing.shared_with(processed.sample).exists() and not LabEvent.objects.exists()


def test_a_lab_admin_may_share(client, bob, lab_a, lab_b, processed) -> None:
    LabAdmin.objects.create(group=lab_a, user=bob)
    client.force_login(bob)
    assert 'id="share-form"' in client.get(processed.sample.get_absolute_url()).content.decode()
    url = reverse("samples:sharing", args=[processed.sample_id])
    assert client.post(url, {"action": "share", "group": lab_b.pk}).status_code == 302
    assert list(sharing.shared_with(processed.sample)) == [lab_b]
    assert LabEvent.objects.get().actor == bob


def test_an_owner_who_left_the_lab_may_not(alice, lab_a, lab_b, processed) -> None:
    alice.groups.remove(lab_a)
    with pytest.raises(sharing.NotAllowedToShare):
        sharing.share(processed.sample, lab_b, by=alice)
