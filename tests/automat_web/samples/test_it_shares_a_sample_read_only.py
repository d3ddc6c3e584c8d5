"""Sharing a sample with another lab: its members see the sample, its runs, files and
structure (pages, downloads, API, API tokens), and get 403 on everything that changes it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.accounts.models import LabEvent
from automat_web.runs.models import Run
from automat_web.samples import sharing
from automat_web.structures.models import Review

from .conftest import (
    api_change_requests,
    change_requests,
    download_urls,
    read_urls,
    token_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(client, alice, lab_b, processed):
    client.force_login(alice)
    response = client.post(
        reverse("samples:sharing", args=[processed.sample.pk]),
        {"action": "share", "group": lab_b.pk},
    )
    assert response.status_code == 302
    client.logout()
    return processed


def test_it_shows_the_sample_and_everything_of_it(client, charlie, shared) -> None:
    client.force_login(charlie)
    for url in read_urls(shared):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200, url
    assert b"secret" in client.get(reverse("samples:list")).content
    assert b"MoS2" in client.get(reverse("structures:list")).content
    api = token_client(charlie)
    assert [s["id"] for s in api.get("/api/v1/samples/").json()["results"]] == [shared.sample_id]
    assert [r["id"] for r in api.get("/api/v1/runs/").json()["results"]] == [shared.pk]
    for url in download_urls(shared):
        assert api.get(url).status_code == 200, url


def test_it_shows_no_change_controls(client, charlie, shared) -> None:
    client.force_login(charlie)
    page = client.get(shared.sample.get_absolute_url()).content.decode()
    assert 'class="read-only"' in page and "shares it with your lab" in page
    for control in ('id="pixel-size-form"', 'id="mode-form"', 'class="rerun"', 'id="share-form"'):
        assert control not in page


def test_it_refuses_every_change_with_403(client, charlie, shared) -> None:
    client.force_login(charlie)
    for url, data in change_requests(shared):
        response = client.post(url, data)
        assert response.status_code == 403, url
    assert b"only its members" in client.post(change_requests(shared)[0][0], {}).content
    api = token_client(charlie)
    for url, data in api_change_requests(shared, "Lab C"):
        response = api.post(url, data, format="json")
        assert response.status_code == 403, url
        assert response.json()["detail"], url
    assert api.post("/api/v1/runs/", {"sample": shared.sample_id}).status_code == 403
    assert api.get(f"/api/v1/samples/{shared.sample_id}/sharing/").status_code == 403
    shared.sample.refresh_from_db()
    assert shared.sample.pixel_size_A == pytest.approx(0.1)
    assert shared.sample.imaging_mode_source != "user" and not shared.sample.is_public
    assert Run.objects.count() == 1 and not Review.objects.exists()


def test_it_keeps_changes_with_the_owning_lab(client, bob, shared, lab_b) -> None:
    client.force_login(bob)  # a member of Lab A: changes as before
    url = reverse("samples:calibration", args=[shared.sample_id])
    assert client.post(url, {"pixel_size_A": "0.11"}).status_code == 302
    shared.sample.refresh_from_db()
    assert shared.sample.pixel_size_A == pytest.approx(0.11)
    page = client.get(shared.sample.get_absolute_url()).content.decode()
    assert "Lab B (read-only)" in page and 'id="share-form"' not in page  # bob may not share


def test_it_records_the_share(alice, lab_a, lab_b, shared) -> None:
    [event] = LabEvent.objects.all()
    assert (event.group, event.other_group, event.actor) == (lab_a, lab_b, alice)
    assert event.action == "sample_shared" and event.sample_id == shared.sample_id
    assert event.description == "shared sample “secret” with Lab B"
    assert list(sharing.shared_with(shared.sample)) == [lab_b]
    assert not sharing.share(shared.sample, lab_b, by=alice)  # already: no second row
    assert LabEvent.objects.count() == 1


def test_it_refuses_sharing_with_its_own_lab(alice, lab_a, processed) -> None:
    with pytest.raises(sharing.SharingError, match="belongs to Lab A"):
        sharing.share(processed.sample, lab_a, by=alice)
