"""Unsharing a sample hides it, its runs, files and structure from the other lab again: 404
on every URL, and gone from their lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts.models import LabEvent
from automat_web.samples import sharing

from .conftest import api_change_requests, change_requests, read_urls, token_client

pytestmark = pytest.mark.django_db


def test_it_hides_everything_again(client, alice, charlie, lab_b, processed) -> None:
    sharing.share(processed.sample, lab_b, by=alice)
    client.force_login(alice)
    url = reverse("samples:sharing", args=[processed.sample_id])
    assert client.post(url, {"action": "unshare", "group": lab_b.pk}).status_code == 302
    assert not sharing.shared_with(processed.sample).exists()
    client.force_login(charlie)
    for url in read_urls(processed):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url
    for url, data in change_requests(processed):
        assert client.post(url, data).status_code == 404, url
    assert b"secret" not in client.get(reverse("samples:list")).content
    api = token_client(charlie)
    assert api.get("/api/v1/samples/").json()["count"] == 0
    assert api.get("/api/v1/runs/").json()["count"] == 0
    assert api.get("/api/v1/structures/").json()["count"] == 0
    for url, data in api_change_requests(processed, "Lab B"):
        assert api.post(url, data, format="json").status_code == 404, url


def test_it_unshares_through_the_api_and_records_it(alice, lab_b, processed) -> None:
    api = token_client(alice)
    base = f"/api/v1/samples/{processed.sample_id}"
    shared = api.post(f"{base}/share/", {"group": "Lab B"}, format="json")
    assert shared.status_code == 200
    assert shared.json() == {"public": False, "shared_with": [{"id": lab_b.pk, "name": "Lab B"}]}
    assert api.get(f"{base}/sharing/").json()["shared_with"][0]["name"] == "Lab B"
    gone = api.post(f"{base}/unshare/", {"group": str(lab_b.pk)}, format="json")
    assert gone.status_code == 200 and gone.json()["shared_with"] == []
    again = api.post(f"{base}/unshare/", {"group": "Lab B"}, format="json")
    assert again.status_code == 200  # nothing to end: no change, no audit row
    actions = list(LabEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["sample_shared", "sample_unshared"]
    refused = api.post(f"{base}/share/", {"group": "No such lab"}, format="json")
    assert refused.status_code == 400 and "no lab group" in refused.json()["group"][0]
