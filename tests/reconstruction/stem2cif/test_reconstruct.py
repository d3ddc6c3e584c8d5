import io
import warnings

import numpy as np
import pytest
from pymatgen.io.cif import CifParser

from reconstruction.stem2cif import Stem2CifConfig, Stem2CifResult, reconstruct

from .structures import PIXEL_SIZE_A, STRUCTURES, reduced_lengths, simulated


def _check(name: str, result: Stem2CifResult, formula: str, tol_A: float = 0.02) -> None:
    truth = reduced_lengths(STRUCTURES[name]())
    assert np.abs(reduced_lengths(result.structure) - truth).max() < tol_A
    assert result.formula == formula
    assert result.fraction_explained > 0.9
    assert result.structure.cell[2, 2] >= 20.0
    assert np.allclose(result.structure.cell[2, :2], 0.0)


@pytest.mark.parametrize("rotation", [0.0, 37.0, 200.0])
def test_it_reconstructs_rotated_mos2_with_stacked_sulfur(rotation):
    sim = simulated("MoS2", rotation_deg=rotation)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"])
    _check("MoS2", result, "MoS2", tol_A=0.005)
    assert sorted(result.assignment.contents) == [("Mo", 1), ("S", 2)]
    assert result.spacegroup == "P-6m2"
    assert len(result.structure) == 3


def test_it_reconstructs_graphene():
    sim = simulated("C", rotation_deg=11.0)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements="C")
    _check("C", result, "C")
    assert result.spacegroup == "P6/mmm"


@pytest.mark.parametrize(("name", "formula"), [("CuCl2", "CuCl2"), ("GaS", "GaS")])
def test_it_reconstructs_rectangular_and_oblique_lattices(name, formula):
    sim = simulated(name, rotation_deg=29.0)
    elements = sorted(set(STRUCTURES[name]().get_chemical_symbols()))
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=elements)
    _check(name, result, formula)
    assert len(result.structure) == len(STRUCTURES[name]())


def test_it_reconstructs_a_ternary_layer():
    sim = simulated("CuBrO2", rotation_deg=64.0)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Cu", "Br", "O"])
    _check("CuBrO2", result, "CuBrO2")


def test_it_finds_the_true_cell_behind_a_pseudo_lattice():
    # 1T columns (Ni, S, S) sit on a finer triangular lattice; only contrast tells.
    sim = simulated("NiS2", rotation_deg=77.0)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Ni", "S"])
    _check("NiS2", result, "NiS2")
    assert result.spacegroup == "P-3m1"


def test_it_reconstructs_a_low_dose_image():
    sim = simulated("MoS2", rotation_deg=5.0, dose=5e3, seed=3)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"])
    _check("MoS2", result, "MoS2")


@pytest.mark.parametrize("mode", ["haadf", "abf"])
def test_it_reconstructs_haadf_and_abf_images(mode):
    sim = simulated("MoS2", mode=mode, rotation_deg=48.0, dose=None)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"], mode=mode)
    _check("MoS2", result, "MoS2")
    assert sorted(result.assignment.contents) == [("Mo", 1), ("S", 2)]


def test_it_writes_a_cif_that_reads_back():
    sim = simulated("MoS2", rotation_deg=37.0)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        structure = CifParser(io.StringIO(result.cif)).parse_structures(primitive=False)[0]
    assert structure.composition.reduced_formula == "MoS2"
    assert structure.lattice.c >= 20.0


def test_it_round_trips_a_result_through_a_dict():
    sim = simulated("C", rotation_deg=11.0)
    result = reconstruct(sim.image, pixel_size_A=PIXEL_SIZE_A, elements="C")
    back = Stem2CifResult.from_dict(result.as_dict())
    assert back.as_dict() == result.as_dict()
    assert set(result.timings_s) == {
        "filter",
        "lattice",
        "motif",
        "blur",
        "refine",
        "elements",
        "structure",
    }


def test_it_round_trips_the_config_and_rejects_unknown_options():
    config = Stem2CifConfig(symprec_A=0.05)
    assert Stem2CifConfig.from_dict(config.as_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        Stem2CifConfig.from_dict({"nonsense": 1})


def test_it_takes_heights_from_a_template():
    sim = simulated("MoS2", rotation_deg=0.0)
    template = STRUCTURES["MoS2"]()
    result = reconstruct(
        sim.image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"], template=template
    )
    z = result.structure.positions[:, 2]
    assert np.ptp(z) == pytest.approx(np.ptp(template.positions[:, 2]), abs=0.02)
