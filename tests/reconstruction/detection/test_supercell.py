import numpy as np

from reconstruction.detection.lattice import find_lattice
from reconstruction.detection.peaks import bandpass
from reconstruction.detection.supercell import SUPERCELLS, find_supercell
from tests.reconstruction.stem2cif.structures import PIXEL_SIZE_A, simulated


def test_it_lists_every_sublattice_of_index_2_to_4_once():
    dets = sorted(round(abs(np.linalg.det(m))) for m in SUPERCELLS)
    assert dets == [2] * 3 + [3] * 4 + [4] * 7


def test_it_finds_the_sqrt3_supercell_of_a_1t_layer():
    sim = simulated("NiS2", rotation_deg=77.0)
    filtered = bandpass(sim.image, pixel_size_A=PIXEL_SIZE_A)
    basis = find_lattice(filtered, pixel_size_A=PIXEL_SIZE_A)
    m = find_supercell(filtered, basis, pixel_size_A=PIXEL_SIZE_A)
    assert m is not None and round(abs(np.linalg.det(m))) == 3


def test_it_keeps_a_true_lattice():
    sim = simulated("MoS2", rotation_deg=17.0)
    filtered = bandpass(sim.image, pixel_size_A=PIXEL_SIZE_A)
    basis = find_lattice(filtered, pixel_size_A=PIXEL_SIZE_A)
    assert find_supercell(filtered, basis, pixel_size_A=PIXEL_SIZE_A) is None
