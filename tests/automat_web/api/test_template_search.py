"""Template search: by formula or element set (GET), by a micrograph (POST, multipart):
its descriptor ranked by the pgvector retriever; bad input is a 400 naming the field."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image
from tests.templates_lib import conftest as library

pytestmark = pytest.mark.django_db

# Four templates (MoS2-2H, MoS2-1T, C-graphene, CH-graphane) built into the library.
source = library.source
built = library.built

URL = "/api/v1/templates/search/"


@pytest.fixture(scope="module")
def mos2_npy() -> bytes:
    """A simulated iDPC image of 2H-MoS2 at 0.1 Å/px, as .npy (which carries no pixel size)."""
    out = io.BytesIO()
    np.save(out, noisy_image(STRUCTURES["MoS2-2H"](), rotation=40.0).astype(np.float32))
    return out.getvalue()


def _file(data: bytes, name: str = "mos2.npy") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_it_finds_templates_by_formula_in_any_order(token_client, alice, built) -> None:
    client = token_client(alice)
    for formula in ("MoS2", "S2Mo", "Mo2S4"):
        response = client.get(URL, {"formula": formula})
        assert response.status_code == 200, response.json()
        results = response.json()["results"]
        assert [t["id"] for t in results] == ["MoS2-1T", "MoS2-2H"]
    two_h = results[1]
    assert two_h["formation_energy_per_atom"] == pytest.approx(-0.842)
    assert two_h["lattice"]["a"] == pytest.approx(3.19, abs=0.05)
    assert two_h["distance"] is None and two_h["elements"] == ["Mo", "S"]
    assert client.get(URL, {"formula": "WS2"}).json()["results"] == []


def test_it_finds_templates_by_elements(token_client, alice, built) -> None:
    client = token_client(alice)
    results = client.get(URL, {"elements": "Mo,S", "k": 1}).json()["results"]
    assert [t["id"] for t in results] == ["MoS2-1T"]
    results = client.get("/api/templates/search/", {"elements": "C"}).json()["results"]
    assert [t["id"] for t in results] == ["C-graphene"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "formula"),
        ({"formula": "MoS2", "elements": "Mo,S"}, "formula"),
        ({"formula": "mos2"}, "formula"),
        ({"formula": "Xy2"}, "formula"),
        ({"elements": "Mo,Qq"}, "elements"),
        ({"elements": "Mo,S", "k": 0}, "k"),
        ({"elements": "Mo,S", "k": 51}, "k"),
        ({"elements": "Mo,S", "k": "ten"}, "k"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_field(token_client, alice, params, field) -> None:
    response = token_client(alice).get(URL, params)
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_it_ranks_templates_by_the_image(token_client, alice, built, mos2_npy) -> None:
    client = token_client(alice)
    for elements in ("Mo,S", ""):
        body = {"file": _file(mos2_npy), "pixel_size_A": 0.1, "elements": elements, "k": 3}
        response = client.post(URL, body, format="multipart")
        assert response.status_code == 200, response.json()
        results = response.json()["results"]
        assert results[0]["id"] == "MoS2-2H" and results[0]["distance"] < 0.02
        assert len(results) == (2 if elements else 3)
        assert all(r["distance"] >= results[0]["distance"] for r in results)
        assert response.json()["lattice"]["a"] == pytest.approx(3.19, abs=0.1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pixel_size_A": 0.1}, "file"),
        ({"file": b"not a micrograph", "pixel_size_A": 0.1}, "file"),
        ({"file": "npy"}, "pixel_size_A"),  # .npy has no pixel size
        ({"file": "npy", "pixel_size_A": 5}, "pixel_size_A"),
        ({"file": "npy", "pixel_size_A": 0.1, "mode": "tem"}, "mode"),
        ({"file": "npy", "pixel_size_A": 0.1, "elements": "Qq"}, "elements"),
        ({"file": "npy", "pixel_size_A": 0.1, "k": 100}, "k"),
    ],
)
def test_a_bad_image_query_is_a_400_naming_the_field(
    token_client, alice, built, mos2_npy, body, field
) -> None:
    if "file" in body:
        body["file"] = _file(mos2_npy if body["file"] == "npy" else body["file"])
    response = token_client(alice).post(URL, body, format="multipart")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_it_needs_a_login(client) -> None:
    assert client.get(URL, {"formula": "MoS2"}).status_code in (401, 403)
