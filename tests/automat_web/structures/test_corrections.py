"""A correction is a new version linked to its parent, with its CIF regenerated and its
formula recomputed; the machine result is never overwritten."""

from __future__ import annotations

import io

import pytest
from ase.io import read

from automat_web.structures import services
from automat_web.structures.models import Review, Structure

pytestmark = pytest.mark.django_db


def test_changing_an_element_makes_a_new_version(structure, dora) -> None:
    original_cif = structure.cif
    version = services.correct(
        structure,
        curator=dora,
        edits=[{"op": "set_element", "site": 0, "element": "w"}],
        comment="W, not Mo: the columns are too bright",
    )
    assert (version.formula, version.elements) == ("WS2", ["S", "W"])
    assert version.parent == structure and version.version == 2 and version.run is None
    assert version.origin_run == structure.run and version.created_by == dora
    assert version.edits == [{"op": "set_element", "site": 0, "element": "W"}]
    assert version.curation_state == "unreviewed" and version.energy_status == "queued"
    assert version.formation_energy_per_atom is None  # the parent's energy is not copied
    atoms = read(io.StringIO(version.cif), format="cif")
    assert sorted(atoms.get_chemical_symbols()) == ["S", "S", "W"]
    assert version.a == pytest.approx(structure.a, abs=1e-3)
    assert version.gamma == pytest.approx(120.0, abs=0.01)
    structure.refresh_from_db()
    assert structure.cif == original_cif and structure.formula == "MoS2"
    assert structure.curation_state == "corrected"
    review = Review.objects.get()
    assert (review.structure, review.to_state, review.new_version) == (
        structure,
        "corrected",
        version,
    )
    assert review.comment.startswith("W, not Mo")


def test_removing_a_site_and_correcting_again(structure, dora) -> None:
    second = services.correct(structure, curator=dora, edits=[{"op": "remove", "site": 2}])
    assert second.formula == "MoS" and len(second.atoms()) == 2
    third = services.correct(
        second, curator=dora, edits=[{"op": "set_element", "site": 1, "element": "Se"}]
    )
    assert (third.version, third.parent, third.formula) == (3, second, "MoSe")
    assert Structure.objects.filter(origin_run=structure.run).count() == 3
    assert structure.run.structure == structure  # the run still points at its machine result


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([], "nothing to correct"),
        ([{"op": "set_element", "site": 0, "element": "Xx"}], "not an element"),
        ([{"op": "remove", "site": 3}], "does not exist"),
        ([{"op": "rotate", "site": 0}], "unknown correction"),
        ([{"op": "remove", "site": i} for i in range(3)], "at least one site"),
    ],
)
def test_it_refuses_edits_that_do_not_apply(structure, dora, edits, message) -> None:
    with pytest.raises(services.CurationError, match=message):
        services.correct(structure, curator=dora, edits=edits)
    structure.refresh_from_db()
    assert structure.curation_state == "unreviewed" and Structure.objects.count() == 1


def test_the_site_table_saves_a_correction(client, structure, dora) -> None:
    client.force_login(dora)
    page = client.get(structure.get_absolute_url()).content.decode()
    assert page.count('<tr data-site="') == 3
    response = client.post(
        f"/structures/{structure.pk}/correct/",
        {"element-0": "W", "element-1": "S", "element-2": "S", "comment": "tungsten"},
    )
    version = Structure.objects.get(parent=structure)
    assert response.status_code == 302 and response["Location"] == version.get_absolute_url()
    assert version.edits == [{"op": "set_element", "site": 0, "element": "W"}]
    page = client.get(version.get_absolute_url()).content.decode()
    assert "WS2" in page and 'data-version="1"' in page and 'data-version="2"' in page
    assert 'data-energy-status="queued"' in page
    # Nothing changed: a message, no version.
    response = client.post(f"/structures/{version.pk}/correct/", {"element-0": "W"}, follow=True)
    assert "nothing to correct" in response.content.decode()
    assert Structure.objects.count() == 2
