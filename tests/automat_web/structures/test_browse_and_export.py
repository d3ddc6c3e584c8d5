"""The structures page filters by formula, element, review state and lab (only the user's
labs); the export zip holds each CIF, one extxyz and a manifest with provenance."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from ase.io import read

from automat_web.structures import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def curated(structure, make_structure, dora, bob, lab_a, lab_b, charlie):
    """Lab A: MoS2 (corrected) -> WS2 v2 (accepted), and an unreviewed MoS2; Lab B: one."""
    services.review(structure, reviewer=dora, state="accepted")
    version = services.correct(
        structure,
        curator=dora,
        edits=[{"op": "set_element", "site": 0, "element": "W"}],
        comment="tungsten",
    )
    services.review(version, reviewer=dora, state="accepted", comment="checked")
    other = make_structure(bob, lab_a, seed=8, name="second MoS2")
    theirs = make_structure(charlie, lab_b, seed=9, name="Lab B MoS2")
    return {"original": structure, "version": version, "other": other, "theirs": theirs}


def _extxyz(archive: zipfile.ZipFile) -> list:
    text = archive.read("structures.extxyz").decode()
    return read(io.StringIO(text), index=":", format="extxyz")


def _listed(client, query: str = "") -> set[int]:
    page = client.get(f"/structures/{query}")
    assert page.status_code == 200
    return {s.pk for s in page.context["page"].object_list}


def test_it_filters_what_the_user_may_see(client, curated, alice, lab_a, lab_b) -> None:
    original, version, other = curated["original"], curated["version"], curated["other"]
    client.force_login(alice)
    assert _listed(client) == {original.pk, version.pk, other.pk}
    assert _listed(client, "?formula=ws2") == {version.pk}
    assert _listed(client, "?formula=MoS2") == {original.pk, other.pk}
    assert _listed(client, "?element=w") == {version.pk}
    assert _listed(client, "?state=accepted") == {version.pk}
    assert _listed(client, "?state=unreviewed") == {other.pk}
    assert _listed(client, "?state=corrected") == {original.pk}
    assert _listed(client, f"?lab={lab_a.pk}") == {original.pk, version.pk, other.pk}
    # Not alice's lab: the filter is ignored, and Lab B's structure stays invisible.
    assert curated["theirs"].pk not in _listed(client, f"?lab={lab_b.pk}")
    assert _listed(client, "?element=Qq&state=nonsense") == {original.pk, version.pk, other.pk}
    partial = client.get("/structures/?formula=WS2", headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b"export.zip?formula=WS2" in partial.content


def test_a_member_of_two_labs_filters_by_lab(client, curated, charlie, lab_a, lab_b) -> None:
    charlie.groups.add(lab_a)
    client.force_login(charlie)
    assert _listed(client, f"?lab={lab_b.pk}") == {curated["theirs"].pk}
    assert len(_listed(client)) == 4


def test_the_export_holds_cifs_an_extxyz_and_the_provenance(client, curated, alice) -> None:
    client.force_login(alice)
    response = client.get("/structures/export.zip?state=accepted")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    version = curated["version"]
    assert manifest["count"] == 1 and manifest["filters"]["state"] == "accepted"
    assert manifest["exported_by"] == "alice"
    (entry,) = manifest["structures"]
    assert (entry["id"], entry["version"]) == (version.pk, 2)
    assert entry["parent"] == curated["original"].pk
    assert entry["formula"] == "WS2" and entry["curation"]["state"] == "accepted"
    assert entry["curation"]["corrected_by"] == "dora"
    assert [(r["to"], r["by"], r["comment"]) for r in entry["curation"]["reviews"]] == [
        ("accepted", "dora", "checked")
    ]
    assert entry["sample"]["name"] == "MoS2" and entry["sample"]["lab"] == "Lab A"
    assert entry["sample"]["owner"] == "alice" and entry["sample"]["pixel_size_A"] == 0.1
    assert entry["run"]["id"] == version.origin_run_id and entry["run"]["policy"] == "rules"
    assert set(entry["energy"]) >= {"formation_energy_per_atom", "model", "status"}

    cif = read(io.StringIO(archive.read(entry["cif"]).decode()), format="cif")
    assert sorted(cif.get_chemical_symbols()) == ["S", "S", "W"]
    frames = _extxyz(archive)
    assert len(frames) == 1
    frame = frames[entry["extxyz_frame"]]
    assert frame.info["structure_id"] == version.pk and frame.info["formula"] == "WS2"
    assert frame.info["curation_state"] == "accepted"
    assert frame.get_chemical_symbols() == cif.get_chemical_symbols()
    assert abs(frame.cell.cellpar() - cif.cell.cellpar()).max() < 1e-3


def test_the_export_of_everything_visible(client, curated, alice) -> None:
    client.force_login(alice)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/structures/export.zip").content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["count"] == 3
    ids = {e["id"] for e in manifest["structures"]}
    assert curated["theirs"].pk not in ids
    cifs = [n for n in archive.namelist() if n.startswith("cifs/")]
    assert len(cifs) == 3 == len(set(cifs))
    frames = _extxyz(archive)
    assert [f.info["structure_id"] for f in frames] == [e["id"] for e in manifest["structures"]]
    machine = next(e for e in manifest["structures"] if e["id"] == curated["original"].pk)
    assert machine["machine_result"] and machine["energy"]["model"] == "sevennet-0"
    assert machine["energy"]["formation_energy_per_atom"] == -0.81
