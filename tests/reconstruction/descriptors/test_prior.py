"""The reconstruction uses a fitting template and falls back without one."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.descriptors import ArrayRetriever
from reconstruction.stem2cif import reconstruct
from reconstruction.stem2cif.prior import TemplatePrior, retrieve_prior
from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image, small_library


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return noisy_image(STRUCTURES["MoS2-2H"](), rotation=12.0, dose=1.5e4, seed=4)


def _thickness(atoms) -> float:
    return float(np.ptp(atoms.positions[:, 2]))


def test_it_takes_sites_elements_and_heights_from_a_fitting_template(image):
    template = STRUCTURES["MoS2-2H"]()
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S",
                         prior=TemplatePrior(template, id="MoS2-2H", distance=0.001))  # fmt: skip
    assert result.prior["accepted"] and result.prior["id"] == "MoS2-2H"
    assert result.formula == "MoS2" and result.spacegroup == "P-6m2"
    assert _thickness(result.structure) == pytest.approx(_thickness(template), abs=0.01)
    assert result.structure.cell.cellpar()[0] == pytest.approx(3.184, abs=0.01)
    assert result.as_dict()["prior"] == result.prior


def test_it_falls_back_when_the_template_does_not_fit(image):
    plain = reconstruct(image, pixel_size_A=0.1, elements="Mo,S")
    wrong = TemplatePrior(STRUCTURES["MoS2-1T"](), id="MoS2-1T", distance=0.001)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=wrong)
    assert not result.prior["accepted"]
    assert "not found" in result.prior["reason"]
    assert any("MoS2-1T not used" in w for w in result.warnings)
    assert result.cif == plain.cif


def test_it_falls_back_above_the_distance_threshold(image):
    far = TemplatePrior(STRUCTURES["MoS2-2H"](), id="MoS2-2H", distance=0.5, max_distance=0.05)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=far)
    assert not result.prior["accepted"] and "distance" in result.prior["reason"]


def test_it_refuses_a_template_with_another_cell(image):
    stretched = STRUCTURES["MoS2-2H"]()
    stretched.set_cell(stretched.cell * [1.08, 1.08, 1.0], scale_atoms=True)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S",
                         prior=TemplatePrior(stretched, id="big", distance=0.0))  # fmt: skip
    assert not result.prior["accepted"] and "cell" in result.prior["reason"]


def test_a_structure_not_in_the_library_still_gets_its_lattice_and_composition(image):
    held_out = ArrayRetriever(small_library()).without(["MoS2-2H"])
    prior, matches, _ = retrieve_prior(image, pixel_size_A=0.1, elements="Mo,S",
                                       retriever=held_out)  # fmt: skip
    assert matches[0].id == "MoS2-1T"
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=prior)
    assert not result.prior["accepted"]
    assert result.formula == "MoS2"
    assert result.lattice.a_A == pytest.approx(3.184, abs=0.01)
    assert result.lattice.gamma_deg == pytest.approx(120.0, abs=0.5)
