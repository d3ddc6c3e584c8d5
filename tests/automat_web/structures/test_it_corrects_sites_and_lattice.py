"""Moving, adding sites and setting the lattice through the service, the page's form and
the API: each a new version with its energy queued, the machine result unchanged; a refused
edit saves nothing and the page shows why, with the curator's input kept."""

from __future__ import annotations

import numpy as np
import pytest

from automat_web.structures import services
from automat_web.structures.models import Structure

pytestmark = pytest.mark.django_db

MOVE = {"op": "move", "site": 1, "x": 0.6667, "y": 0.3333, "z_A": 8.434}
ADD = {"op": "add", "element": "Se", "x": 0.6667, "y": 0.3333, "z_A": 10.0}
LATTICE = {"op": "set_lattice", "a": 3.3, "b": 3.3, "gamma": 120.0}


def _unchanged(structure: Structure, cif: str) -> None:
    structure.refresh_from_db()
    assert structure.cif == cif and structure.formula == "MoS2" and structure.run_id


@pytest.mark.parametrize("edit", [MOVE, ADD, LATTICE], ids=["move", "add", "lattice"])
def test_each_op_makes_a_new_version(structure, dora, edit) -> None:
    cif = structure.cif
    version = services.correct(structure, curator=dora, edits=[edit])
    assert (version.parent, version.version, version.run) == (structure, 2, None)
    assert version.edits == [edit] and version.energy_status == "queued"
    assert version.formation_energy_per_atom is None
    atoms = version.atoms()
    if edit is MOVE:
        assert np.allclose(atoms.get_scaled_positions()[1, :2], [0.6667, 0.3333], atol=1e-4)
        assert atoms.positions[1, 2] == pytest.approx(8.434, abs=1e-3)
        assert version.formula == "MoS2"
    elif edit is ADD:
        assert (version.formula, len(atoms)) == ("MoSeS2", 4)
        assert np.min(atoms.get_all_distances(mic=True)[3][:3]) > 0.5
    else:
        assert (version.a, version.b, version.gamma) == pytest.approx((3.3, 3.3, 120.0))
        assert atoms.cell.cellpar()[2] == pytest.approx(structure.atoms().cell.cellpar()[2])
    _unchanged(structure, cif)
    assert structure.curation_state == "corrected"


def test_a_refused_edit_saves_nothing(structure, dora) -> None:
    too_close = {"op": "add", "element": "S", "x": 0.0, "y": 0.0, "z_A": 10.1}
    with pytest.raises(services.CurationError, match=r"the added S .* from site 0 .Mo."):
        services.correct(structure, curator=dora, edits=[too_close])
    assert Structure.objects.count() == 1
    structure.refresh_from_db()
    assert structure.curation_state == "unreviewed"


def _form(structure: Structure, **changes: str) -> dict[str, str]:
    """The correction form as the page fills it, with ``changes``."""
    atoms = structure.atoms()
    post = {}
    for i, (symbol, frac, z) in enumerate(
        zip(
            atoms.get_chemical_symbols(),
            atoms.get_scaled_positions(),
            atoms.positions[:, 2],
            strict=True,
        )
    ):
        post[f"element-{i}"] = symbol
        post[f"x-{i}"], post[f"y-{i}"] = f"{frac[0]:.4f}", f"{frac[1]:.4f}"
        post[f"z-{i}"] = f"{z:.3f}"
    for key in ("a", "b", "gamma"):
        post[f"lattice-{key}"] = str(getattr(structure, key))
    post.update({"add-element": "", "add-x": "", "add-y": "", "add-z": ""})
    return {**post, **changes}


def test_the_page_shows_every_field(client, structure, dora) -> None:
    client.force_login(dora)
    page = client.get(structure.get_absolute_url()).content.decode()
    for name in ("x-0", "y-2", "z-1", "add-element", "add-z", "lattice-a", "lattice-gamma"):
        assert f'name="{name}"' in page, name
    assert 'value="120.0"' in page  # gamma


@pytest.mark.parametrize(
    ("changes", "op"),
    [
        ({"x-1": "0.6667", "y-1": "0.3333"}, "move"),
        ({"add-element": "Se", "add-x": "0.6667", "add-y": "0.3333", "add-z": "10"}, "add"),
        ({"lattice-a": "3.3", "lattice-b": "3.3"}, "set_lattice"),
    ],
)
def test_the_form_posts_each_op(client, structure, dora, changes, op) -> None:
    client.force_login(dora)
    response = client.post(f"/structures/{structure.pk}/correct/", _form(structure, **changes))
    version = Structure.objects.get(parent=structure)
    assert response.status_code == 302 and response["Location"] == version.get_absolute_url()
    assert [e["op"] for e in version.edits] == [op]
    assert version.energy_status == "queued"
    page = client.get(version.get_absolute_url()).content.decode()
    assert {"move": "moved to", "add": "added Se", "set_lattice": "lattice a=3.3000"}[op] in page


def test_the_unchanged_form_corrects_nothing(client, structure, dora) -> None:
    client.force_login(dora)
    response = client.post(f"/structures/{structure.pk}/correct/", _form(structure))
    assert response.status_code == 400
    assert "nothing to correct" in response.content.decode()
    assert Structure.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message", "kept"),
    [
        ({"x-1": "abc"}, "x of site 1 must be a number", 'value="abc"'),
        ({"z-2": "99"}, "z_A of site 2 must lie in the cell", 'value="99"'),
        ({"lattice-gamma": "179"}, "lattice gamma must be 30 to 150", 'value="179"'),
        (
            {"add-element": "S", "add-x": "0", "add-y": "0", "add-z": "10.1"},
            "the added S at (x=0, y=0, z=10.1 Å) would be",
            'name="add-z" value="10.1"',
        ),
        (
            {"add-element": "Qq", "add-x": "0.5", "add-y": "0.5", "add-z": "9"},
            "not an element",
            "Qq",
        ),
    ],
)
def test_the_page_shows_a_refusal_and_keeps_the_input(
    client, structure, dora, changes, message, kept
) -> None:
    client.force_login(dora)
    form = _form(structure, **changes, comment="my reasons")
    response = client.post(f"/structures/{structure.pk}/correct/", form)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page.replace("&#x27;", "'"), page[:200]
    assert kept in page and "my reasons" in page
    assert Structure.objects.count() == 1
    structure.refresh_from_db()
    assert structure.curation_state == "unreviewed"


def _api(token_client, user, structure: Structure, body: dict):
    return token_client(user).post(
        f"/api/v1/structures/{structure.pk}/correct/", body, format="json"
    )


def test_the_api_takes_every_op(token_client, structure, dora) -> None:
    edits = [MOVE, ADD, LATTICE, {"op": "set_element", "site": 0, "element": "W"}]
    response = _api(token_client, dora, structure, {"edits": edits, "comment": "all at once"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["version"], body["formula"], body["parent"]) == (2, "WSeS2", structure.pk)
    assert body["lattice"]["a"] == pytest.approx(3.3)
    assert body["energy_status"] == "queued"
    version = Structure.objects.get(pk=body["id"])
    assert [e["op"] for e in version.edits] == ["move", "add", "set_lattice", "set_element"]


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        ({"op": "twist", "site": 0}, "edits", "not a valid choice"),
        ({"op": "move", "site": 1, "x": 2, "y": 0.5, "z_A": 9}, "edits", "less than or equal"),
        ({"op": "move", "site": 1, "x": 0.5, "y": 0.5}, "non_field_errors", "z_A of site 1"),
        ({"op": "add", "element": "S", "x": 0, "y": 0, "z_A": 10.1}, "non_field_errors", "0.5 Å"),
        ({"op": "set_lattice", "a": 0, "b": 3, "gamma": 120}, "non_field_errors", "lattice a"),
    ],
)
def test_the_api_refuses_bad_edits(token_client, structure, dora, edit, field, message) -> None:
    response = _api(token_client, dora, structure, {"edits": [edit]})
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert Structure.objects.count() == 1


def test_another_lab_cannot_correct(token_client, structure, charlie) -> None:
    assert _api(token_client, charlie, structure, {"edits": [MOVE]}).status_code == 404
    assert Structure.objects.count() == 1
