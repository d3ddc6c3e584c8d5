"""The CIF served for a run's structure carries its provenance (sample, pixel size, imaging
mode, energy and potential, software version, run) and still parses as the structure."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from ase.io import read
from ase.io.cif import parse_cif
from django.urls import reverse
from pymatgen.io.cif import CifParser

from automat_web.runs import provenance
from tests.automat_web.runs.conftest import upload
from tests.automat_web.runs.helpers import CIF

from .helpers import processed_run

pytestmark = pytest.mark.django_db


def test_the_served_cif_carries_the_provenance(client, alice, lab_a, mos2_tiff, monkeypatch):
    sample = upload(mos2_tiff, alice, lab_a, name="MoS2 flake #3 (O'Neil's \"best\")")
    run = processed_run(sample.runs.get(), monkeypatch)
    client.force_login(alice)
    text = client.get(reverse("structures:cif", args=[run.structure.pk])).content.decode()

    items = CifParser.from_str(text).as_dict()["MoS2"]
    assert int(items["_automat_run_id"]) == run.pk
    assert int(items["_automat_sample_id"]) == sample.pk
    assert unquote(items["_automat_sample_name"]) == sample.name
    assert float(items["_automat_pixel_size_A"]) == pytest.approx(0.1)
    assert items["_automat_imaging_mode"] == "idpc"
    assert float(items["_automat_formation_energy_eV_per_atom"]) == pytest.approx(-0.81)
    assert items["_automat_energy_potential"] == "sevennet-0"
    assert items["_automat_software_version"] == provenance.code_version()["version"]
    block = next(iter(parse_cif(io.StringIO(text))))
    assert unquote(block.get("_automat_sample_name")) == sample.name
    assert block.get("_automat_run_id") == run.pk
    # ... and the structure reads as before.
    structure = CifParser.from_str(text).parse_structures(primitive=False)[0]
    assert structure.composition.reduced_formula == "MoS2"
    atoms = read(io.StringIO(text), format="cif")
    assert sorted(atoms.get_chemical_symbols()) == ["Mo", "S", "S"]
    assert atoms.cell.cellpar()[0] == pytest.approx(3.184)


def test_stamping_is_idempotent_and_keeps_the_cif_without_a_data_block() -> None:
    items = {"run_id": 1, "sample_id": 2, "sample_name": "x", "pixel_size_A": 0.1}
    once = provenance.stamp_cif(CIF, items)
    assert provenance.stamp_cif(once, items) == once
    assert once.count("_automat_run_id") == 1 and once.startswith("data_MoS2\n# Provenance")
    assert provenance.stamp_cif("no block here", items) == "no block here"
