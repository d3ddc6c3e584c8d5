"""An uncalibrated micrograph gets pixel sizes suggested from the lattices of known monolayers
of its elements; a person confirms one, and where it came from is kept."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.samples import services
from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, simulate_fast


@pytest.fixture
def mos2_template(db):
    from templates_lib.services import add_structure

    return add_structure(monolayer("c2dm-MoS2-H"), source_id="c2dm-MoS2-H")


def _uncalibrated_mos2(path, pixel_size_A: float = 0.1):
    """A PNG (never calibrated) of HAADF MoS2 recorded at ``pixel_size_A``."""
    config = ImagingConfig(
        mode="haadf", dose_e_per_A2=3e4, pixel_size_A=pixel_size_A, shape_px=(320, 320),
        rotation_deg=11.0, seed=2,
    )  # fmt: skip
    image = simulate_fast(monolayer("c2dm-MoS2-H"), config).image
    scaled = (255 * (image - image.min()) / np.ptp(image)).astype(np.uint8)
    Image.fromarray(scaled).save(path, format="PNG")
    return path


def test_it_suggests_and_a_person_confirms(client, alice, lab_a, tmp_path, mos2_template):
    path = _uncalibrated_mos2(tmp_path / "mos2.png", 0.08)
    sample = services.ingest_upload(
        path=path, filename=path.name, owner=alice, group=lab_a, elements="Mo,S", mode="haadf"
    ).sample
    assert sample.needs == ["pixel_size"] and not sample.runs.exists()
    found = services.pixel_size_suggestions(sample)
    assert found[0]["template_id"] == "c2dm-MoS2-H"
    assert found[0]["pixel_size_A"] == pytest.approx(0.08, rel=0.01)
    client.force_login(alice)
    page = client.get(sample.get_absolute_url()).content.decode()
    assert 'id="pixel-size-suggestions"' in page and "c2dm-MoS2-H" in page
    assert not sample.runs.exists()  # nothing is applied before a person says so
    response = client.post(
        reverse("samples:calibration", args=[sample.pk]),
        {"pixel_size_A": found[0]["pixel_size_A"], "suggested_by": "c2dm-MoS2-H"},
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.pixel_size_A == pytest.approx(0.08, rel=0.01)
    assert sample.calibration_source == "user"
    assert sample.calibration_note == "suggested by the lattice of template c2dm-MoS2-H"
    assert sample.runs.count() == 1  # processing starts once confirmed
    assert "pixel-size-suggestions" not in client.get(sample.get_absolute_url()).content.decode()


def test_the_api_lists_the_suggestions(alice, lab_a, tmp_path, mos2_template):
    path = _uncalibrated_mos2(tmp_path / "mos2.png")
    sample = services.ingest_upload(
        path=path, filename=path.name, owner=alice, group=lab_a, elements="S,Mo"
    ).sample
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    body = api.get(f"/api/samples/{sample.pk}/pixel-size-suggestions/").json()
    assert body["suggestions"][0]["pixel_size_A"] == pytest.approx(0.1, rel=0.01)


def test_no_suggestion_without_a_template_of_those_elements(alice, lab_a, tmp_path, db):
    path = _uncalibrated_mos2(tmp_path / "mos2.png")
    sample = services.ingest_upload(
        path=path, filename=path.name, owner=alice, group=lab_a, elements="W,Se"
    ).sample
    assert services.pixel_size_suggestions(sample) == []
