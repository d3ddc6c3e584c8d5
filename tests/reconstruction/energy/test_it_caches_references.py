"""Elemental references: computed once per model, cached as JSON, fitted without leakage."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.calculators.emt import EMT

from reconstruction.energy import ElementalReferences, MissingReference
from reconstruction.energy.dataset import load_labelled, split_of
from reconstruction.energy.fitting import fit_chemical_potentials
from reconstruction.energy.references import (
    cache_path,
    elemental_references,
    fitted_references,
)

from .helpers import CountingEMT, strained_cu_bilayer


def test_it_computes_references_once_per_model(tmp_path):
    CountingEMT.calls = 0
    made = []

    def factory():
        made.append(1)
        return CountingEMT()

    first = elemental_references(factory, ["Cu", "Al"], cache_dir=tmp_path, model="emt")
    assert CountingEMT.calls > 0 and len(made) == 1
    assert cache_path(tmp_path, "emt", "elemental").is_file()
    calls = CountingEMT.calls
    second = elemental_references(factory, ["Al", "Cu"], cache_dir=tmp_path, model="emt")
    assert second == first
    assert CountingEMT.calls == calls and len(made) == 1  # nothing loaded, nothing computed
    third = elemental_references(factory, ["Cu", "Ni"], cache_dir=tmp_path, model="emt")
    assert set(third.mu_eV_per_atom) == {"Al", "Cu", "Ni"}
    assert third.mu("Cu") == first.mu("Cu")  # only Ni was added
    assert third.details["Ni"]["structure"].startswith("fcc")


def test_it_round_trips_references_and_names_missing_elements(tmp_path):
    refs = ElementalReferences("emt", "elemental", {"Cu": -0.01}, {"Cu": {"n_atoms": 1}})
    assert ElementalReferences.from_dict(json.loads(json.dumps(refs.as_dict()))) == refs
    with pytest.raises(MissingReference, match="Mo"):
        refs.mu("Mo")


def test_it_recovers_known_chemical_potentials_by_fitting():
    rng = np.random.default_rng(0)
    true_mu = {"Mo": -10.0, "S": -4.0, "Se": -3.5}
    comps, energies, e_form = [], [], []
    for _ in range(40):
        comp = {"Mo": int(rng.integers(1, 3)), rng.choice(["S", "Se"]): int(rng.integers(1, 4))}
        ef = float(rng.normal(-0.5, 0.3))
        n = sum(comp.values())
        comps.append(comp)
        e_form.append(ef)
        energies.append(ef + sum(c * true_mu[s] for s, c in comp.items()) / n)
    prior = {"Mo": -10.8, "S": -4.1, "Se": -3.5}
    mu = fit_chemical_potentials(comps, energies, e_form, prior, ridge=1e-6)
    for symbol, value in true_mu.items():
        assert mu[symbol] == pytest.approx(value, abs=1e-3)


def test_it_splits_the_labelled_data_disjointly_and_stably():
    train, evaluation = load_labelled("train"), load_labelled("eval")
    ids_train = {a.info["id"] for a in train}
    ids_eval = {a.info["id"] for a in evaluation}
    assert not ids_train & ids_eval
    assert len(ids_train) + len(ids_eval) == 1359
    assert 0.4 < len(ids_eval) / 1359 < 0.6
    assert all(split_of(i) == "eval" for i in ids_eval)


def test_it_fits_references_once_on_the_structures_given(tmp_path):
    structures = []
    for k in range(3):
        atoms = strained_cu_bilayer(0.01 * k)
        atoms.info.update(id=f"cu-{k}", e_form_pbe=0.0)
        structures.append(atoms)
    CountingEMT.calls = 0
    refs = fitted_references(CountingEMT, cache_dir=tmp_path, model="emt", structures=structures)
    assert refs.scheme == "fitted" and refs.details["n_train"] == 3
    assert refs.details["fitted_elements"] == ["Cu"]
    # The DFT labels are 0, so mu(Cu) is the mean EMT energy per atom (ridge aside).
    energies = [EMT().get_potential_energy(a) / len(a) for a in structures]
    assert refs.mu("Cu") == pytest.approx(np.mean(energies), abs=0.02)
    calls = CountingEMT.calls
    again = fitted_references(CountingEMT, cache_dir=tmp_path, model="emt", structures=structures)
    assert again == refs and CountingEMT.calls == calls
