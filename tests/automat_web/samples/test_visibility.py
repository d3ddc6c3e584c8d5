"""A user sees the samples of their lab groups only: list, pages, files, actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.samples.models import Sample
from tests.fixtures import micrographs


@pytest.fixture
def alices_sample(client, alice, lab_a, tmp_path) -> Sample:
    client.force_login(alice)
    with open(micrographs.calibrated_tiff(tmp_path / "a.tif"), "rb") as fh:
        client.post(reverse("samples:upload"), {"file": fh, "group": lab_a.pk, "name": "secret"})
    client.logout()
    return Sample.objects.get()


def test_it_shows_a_sample_to_its_group(client, bob, alices_sample) -> None:
    client.force_login(bob)
    assert b"secret" in client.get(reverse("samples:list")).content
    assert client.get(alices_sample.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("name", ["detail", "thumbnail", "original", "working"])
def test_it_hides_a_sample_from_other_groups(client, charlie, alices_sample, name) -> None:
    client.force_login(charlie)
    assert b"secret" not in client.get(reverse("samples:list")).content
    assert client.get(reverse(f"samples:{name}", args=[alices_sample.pk])).status_code == 404


def test_it_refuses_actions_on_other_groups_samples(client, charlie, alices_sample) -> None:
    client.force_login(charlie)
    url = reverse("samples:calibration", args=[alices_sample.pk])
    assert client.post(url, {"pixel_size_A": "0.2"}).status_code == 404
    alices_sample.refresh_from_db()
    assert alices_sample.pixel_size_A == pytest.approx(0.1)


def test_it_refuses_uploads_into_a_foreign_group(client, charlie, lab_a, tmp_path) -> None:
    client.force_login(charlie)
    with open(micrographs.calibrated_tiff(tmp_path / "b.tif"), "rb") as fh:
        response = client.post(reverse("samples:upload"), {"file": fh, "group": lab_a.pk})
    assert response.status_code == 400
    assert Sample.objects.count() == 0


def test_it_filters_the_list(client, alice, alices_sample, lab_a, tmp_path) -> None:
    client.force_login(alice)
    with open(micrographs.png(tmp_path / "p.png"), "rb") as fh:
        client.post(reverse("samples:upload"), {"file": fh, "group": lab_a.pk, "name": "other"})
    ready = client.get(reverse("samples:list"), {"status": "ready"}, HTTP_HX_REQUEST="true")
    assert b"secret" in ready.content and b"other" not in ready.content
    waiting = client.get(reverse("samples:list"), {"status": "needs_input"})
    assert b"other" in waiting.content and b"secret" not in waiting.content
    assert b"other" in client.get(reverse("samples:list"), {"q": "OTH"}).content
