"""Elemental references live in the database and are computed once per model."""

from __future__ import annotations

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from automat_web.properties.models import ElementalReference
from automat_web.properties.services import formation_energy, references


class CountingEMT(EMT):
    """EMT (ASE's cheap stand-in potential) that counts its energy evaluations."""

    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


@pytest.fixture(autouse=True)
def _reset_counter():
    CountingEMT.calls = 0


@pytest.mark.django_db
def test_it_computes_elemental_references_once() -> None:
    first = references("emt-test", "elemental", elements=["Cu"], calc=CountingEMT())
    assert CountingEMT.calls > 0
    row = ElementalReference.objects.get(model="emt-test", scheme="elemental")
    assert row.data["mu_eV_per_atom"]["Cu"] == pytest.approx(first.mu("Cu"))
    CountingEMT.calls = 0
    again = references("emt-test", "elemental", elements=["Cu"], calc=CountingEMT())
    assert CountingEMT.calls == 0
    assert again.as_dict() == first.as_dict()


@pytest.mark.django_db
def test_it_adds_only_the_missing_elements() -> None:
    references("emt-test", "elemental", elements=["Cu"], calc=CountingEMT())
    cu = ElementalReference.objects.get(model="emt-test").data["mu_eV_per_atom"]["Cu"]
    references("emt-test", "elemental", elements=["Cu", "Ag"], calc=CountingEMT())
    stored = ElementalReference.objects.get(model="emt-test").data["mu_eV_per_atom"]
    assert set(stored) == {"Cu", "Ag"} and stored["Cu"] == cu
    assert ElementalReference.objects.count() == 1


@pytest.mark.django_db
def test_it_starts_from_the_shipped_references() -> None:
    refs = references("sevennet-0", "fitted", elements=["Mo", "S"], calc=CountingEMT())
    assert CountingEMT.calls == 0  # nothing computed: the package ships them
    assert {"Mo", "S"} <= set(refs.mu_eV_per_atom)
    assert ElementalReference.objects.filter(model="sevennet-0", scheme="fitted").exists()


@pytest.mark.django_db
def test_it_scores_a_structure_against_stored_references() -> None:
    calc = CountingEMT()
    refs = references("emt-test", "elemental", elements=["Cu", "Au"], calc=calc)
    alloy = bulk("Cu", "fcc", a=3.7, cubic=True)
    alloy[0].symbol = "Au"
    alloy.cell[2, 2] += 15.0  # a slab-like cell with vacuum along c
    result = formation_energy(alloy, model="emt-test", scheme="elemental", relax=False, calc=calc)
    expected = result.energy_eV_per_atom - (3 * refs.mu("Cu") + refs.mu("Au")) / 4
    assert result.e_form_eV_per_atom == pytest.approx(expected)
    assert result.relax.steps == 0
