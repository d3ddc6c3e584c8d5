"""Curation through the API: the same services and rules as the pages (a curator of the
structure's lab acts; another member gets 403, another lab 404), the review trail on the
structure, corrections as new versions, promotion into the template library."""

from __future__ import annotations

import pytest

from automat_web.structures.models import Review, Structure
from templates_lib.models import Template
from tests.automat_web.structures import conftest as curation

pytestmark = pytest.mark.django_db

# The curation tests' fixtures: dora curates Lab A; structure is alice's machine result.
dora = curation.dora
make_structure = curation.make_structure
structure = curation.structure

ACTIONS = [
    ("review", {"state": "accepted"}),
    ("correct", {"elements": {"0": "W"}}),
    ("promote", {}),
]


def _url(structure: Structure, action: str = "") -> str:
    return f"/api/v1/structures/{structure.pk}/{action + '/' if action else ''}"


def test_it_reviews_and_shows_the_trail(token_client, structure, dora) -> None:
    client = token_client(dora)
    response = client.post(_url(structure, "review"), {"state": "rejected", "comment": "blurry"})
    assert response.status_code == 201, response.json()
    assert response.json()["to_state"] == "rejected" and response.json()["reviewer"] == "dora"
    response = client.post(_url(structure, "review"), {"state": "accepted"}, format="json")
    assert response.status_code == 201
    detail = client.get(_url(structure)).json()
    assert detail["curation_state"] == "accepted"
    assert [(r["from_state"], r["to_state"], r["comment"]) for r in detail["reviews"]] == [
        ("unreviewed", "rejected", "blurry"),
        ("rejected", "accepted", ""),
    ]
    # The same move again, and a state a review cannot set, are 400s naming the field.
    again = client.post(_url(structure, "review"), {"state": "accepted"})
    assert again.status_code == 400 and "accepted already" in again.json()["state"][0]
    assert client.post(_url(structure, "review"), {"state": "corrected"}).status_code == 400
    assert Review.objects.count() == 2


def test_a_correction_is_a_new_version(token_client, structure, dora) -> None:
    client = token_client(dora)
    body = {"elements": {"0": "W"}, "remove": [], "comment": "W, not Mo"}
    response = client.post(_url(structure, "correct"), body, format="json")
    assert response.status_code == 201, response.json()
    version = response.json()
    assert (version["formula"], version["version"], version["parent"]) == ("WS2", 2, structure.pk)
    assert version["energy_status"] == "queued"
    structure.refresh_from_db()
    assert structure.curation_state == "corrected" and structure.formula == "MoS2"
    [row] = client.get(_url(structure)).json()["reviews"]
    assert (row["to_state"], row["new_version"], row["comment"]) == (
        "corrected",
        version["id"],
        "W, not Mo",
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "elements", "nothing to correct"),
        ({"elements": {"x": "W"}}, "elements", "not a site index"),
        ({"remove": [-1]}, "remove", ""),
        ({"elements": {"9": "W"}}, "non_field_errors", "site 9 does not exist"),
        ({"elements": {"0": "Qq"}}, "non_field_errors", "not an element"),
        ({"remove": [0, 1, 2]}, "non_field_errors", "at least one site"),
    ],
)
def test_a_bad_correction_is_a_400(token_client, structure, dora, body, field, message) -> None:
    response = token_client(dora).post(_url(structure, "correct"), body, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert Structure.objects.count() == 1


def test_it_promotes_an_accepted_structure(token_client, structure, dora) -> None:
    client = token_client(dora)
    refused = client.post(_url(structure, "promote"))
    assert refused.status_code == 400 and "only an accepted" in str(refused.json())
    client.post(_url(structure, "review"), {"state": "accepted"})
    response = client.post(_url(structure, "promote"))
    assert response.status_code == 200, response.json()
    template = Template.objects.get()
    assert response.json() == {
        "library_id": template.source_id,
        "formula": "MoS2",
        "spacegroup": template.spacegroup,
    }
    assert client.get(_url(structure)).json()["library_id"] == template.source_id
    found = client.get("/api/v1/templates/search/", {"formula": "MoS2"}).json()["results"]
    assert [t["id"] for t in found] == [template.source_id]


def test_a_member_who_is_not_a_curator_gets_403(token_client, structure, bob) -> None:
    client = token_client(bob)
    assert client.get(_url(structure)).status_code == 200
    for action, body in ACTIONS:
        assert client.post(_url(structure, action), body, format="json").status_code == 403
    assert not Review.objects.exists() and Structure.objects.count() == 1


def test_another_lab_gets_404(token_client, structure, charlie) -> None:
    client = token_client(charlie)
    assert client.get(_url(structure)).status_code == 404
    for action, body in ACTIONS:
        assert client.post(_url(structure, action), body, format="json").status_code == 404
        assert client.post(f"/api/structures/{structure.pk}/{action}/").status_code == 404


def test_the_unversioned_alias_acts_too(token_client, structure, dora) -> None:
    response = token_client(dora).post(
        f"/api/structures/{structure.pk}/review/", {"state": "accepted"}
    )
    assert response.status_code == 201
