"""The annotation export: columns in Å in the image frame (x_A = x_px * pixel_size_A) with
their elements, lattice and provenance, links to the image; a token fetches it like the
other file links, another lab gets 404 (page URL and API)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from automat_web.runs.models import Run
from automat_web.structures import services

pytestmark = pytest.mark.django_db

#: What a run would store with its column positions: two column sites (Mo; S, two atoms
#: along the beam) at the fractions of the structure's sites.
STEM2CIF = {
    "sites": [
        {"frac": [0.0, 0.0], "element": "Mo", "atoms": 1, "confidence": 0.9, "intensity": 1.0},
        {"frac": [1 / 3, 2 / 3], "element": "S", "atoms": 2, "confidence": 0.8, "intensity": 0.6},
    ],
    "columns_xy_px": [[10.0, 12.5], [20.25, 30.0], [40.0, 7.5]],
    "column_site": [0, 1, 0],
    "lattice_image": {"a_A": 3.184, "b_A": 3.184, "gamma_deg": 120.0, "rotation_deg": 3.0,
                      "basis_px": [[20.0, 0.0], [-10.0, 17.3]], "residual_A": 0.01},
}  # fmt: skip


def _with_columns(structure) -> None:
    run = structure.origin_run
    Run.objects.filter(pk=run.pk).update(
        result={**run.result, "stem2cif": STEM2CIF, "pixel_size_A": 0.16, "mode": "haadf"}
    )
    structure.refresh_from_db()


def test_it_exports_the_columns_in_angstrom(client, structure, alice) -> None:
    _with_columns(structure)
    client.force_login(alice)
    response = client.get(f"/structures/{structure.pk}/annotations.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    doc = response.json()
    assert (doc["structure_id"], doc["version"], doc["format"]) == (
        structure.pk,
        1,
        "automat-annotations/1",
    )
    image = doc["image"]
    sample = structure.origin_run.sample
    assert image["url"].endswith(f"/samples/{sample.pk}/working.npy")
    assert image["preview_url"].endswith(f"/samples/{sample.pk}/thumbnail.png")
    assert (image["pixel_size_A"], image["mode"]) == (0.16, "haadf")
    assert len(image["shape"]) == 2 and min(image["shape"]) > 0
    assert doc["columns_stored"] is True and len(doc["columns"]) == 3
    for column, (x, y) in zip(doc["columns"], STEM2CIF["columns_xy_px"], strict=True):
        assert column["x_A"] == pytest.approx(x * 0.16) and column["y_A"] == pytest.approx(y * 0.16)
    assert [(c["element"], c["count"]) for c in doc["columns"]] == [("Mo", 1), ("S", 2), ("Mo", 1)]
    assert doc["lattice"]["a"] == structure.a and doc["lattice"]["image"]["rotation_deg"] == 3.0
    assert doc["provenance"]["run"]["id"] == structure.origin_run_id
    # The image link works with the same session.
    assert client.get(image["url"]).status_code == 200


def test_a_corrected_version_carries_its_own_elements(client, structure, dora) -> None:
    _with_columns(structure)
    version = services.correct(
        structure, curator=dora, edits=[{"op": "set_element", "site": 0, "element": "W"}]
    )
    client.force_login(dora)
    doc = client.get(f"/structures/{version.pk}/annotations.json").json()
    assert doc["version"] == 2
    assert [c["element"] for c in doc["columns"]] == ["W", "S", "W"]
    assert {c["element_source"] for c in doc["columns"]} == {"structure"}
    assert doc["provenance"]["curation"]["edits"][0]["element"] == "W"


def test_a_run_without_stored_columns_says_so(client, structure, alice) -> None:
    client.force_login(alice)
    doc = client.get(f"/structures/{structure.pk}/annotations.json").json()
    assert doc["columns"] == [] and doc["columns_stored"] is False
    assert "stored no column positions" in doc["columns_note"]
    page = client.get(structure.get_absolute_url()).content.decode()
    assert 'id="no-columns"' in page


def test_the_page_draws_the_columns_on_the_micrograph(client, structure, alice) -> None:
    _with_columns(structure)
    client.force_login(alice)
    page = client.get(structure.get_absolute_url()).content.decode()
    sample = structure.origin_run.sample
    assert f'src="/samples/{sample.pk}/thumbnail.png"' in page
    assert page.count('<circle class="column"') == 3
    assert 'cx="20.25" cy="30.00"' in page
    assert f'href="/structures/{structure.pk}/annotations.json"' in page


def test_a_token_fetches_it_and_the_api_links_it(token_client, structure, alice) -> None:
    _with_columns(structure)
    client = token_client(alice)
    body = client.get(f"/api/v1/structures/{structure.pk}/").json()
    url = body["annotations_url"]
    assert url == f"http://testserver/structures/{structure.pk}/annotations.json"
    doc = client.get(url).json()
    assert doc["columns"][1]["x_A"] == pytest.approx(20.25 * 0.16)
    api = client.get(f"/api/v1/structures/{structure.pk}/annotations/")
    assert api.status_code == 200 and api.json() == doc
    image = client.get(doc["image"]["url"])
    assert image.status_code == 200
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(url).status_code == 401


def test_another_lab_gets_404(client, token_client, structure, charlie) -> None:
    _with_columns(structure)
    stranger = token_client(charlie)
    assert stranger.get(f"/structures/{structure.pk}/annotations.json").status_code == 404
    assert stranger.get(f"/api/v1/structures/{structure.pk}/annotations/").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/structures/{structure.pk}/annotations.json").status_code == 404
