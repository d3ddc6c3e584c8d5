import numpy as np
import pytest

from reconstruction.detection.lattice import (
    Lattice2D,
    find_lattice,
    fit_lattice_and_motif,
    gauss_reduce,
)
from reconstruction.detection.peaks import bandpass
from reconstruction.errors import NoLatticeFound
from tests.reconstruction.stem2cif.structures import (
    PIXEL_SIZE_A,
    STRUCTURES,
    reduced_lengths,
    simulated,
)


def test_it_gauss_reduces_to_the_shortest_basis():
    hexagonal = np.array([[1.0, 0.5], [0.0, np.sqrt(3) / 2]])
    skewed = hexagonal @ np.array([[1, 3], [0, 1]])
    reduced = gauss_reduce(skewed)
    assert np.allclose(np.linalg.norm(reduced, axis=0), 1.0)
    assert np.degrees(np.arccos(reduced[:, 0] @ reduced[:, 1])) == pytest.approx(120.0)
    assert abs(np.linalg.det(reduced)) == pytest.approx(abs(np.linalg.det(skewed)))


@pytest.mark.parametrize(
    ("name", "rotation"), [("MoS2", 17.0), ("CuCl2", 71.0), ("GaS", 133.0), ("C", 250.0)]
)
def test_it_finds_the_primitive_lattice_at_any_rotation(name, rotation):
    sim = simulated(name, rotation_deg=rotation)
    basis = find_lattice(bandpass(sim.image, pixel_size_A=PIXEL_SIZE_A), pixel_size_A=PIXEL_SIZE_A)
    found = np.sort(np.linalg.norm(basis, axis=0)) * PIXEL_SIZE_A
    assert np.abs(found - reduced_lengths(STRUCTURES[name]())).max() < 0.02


def test_it_says_when_there_is_no_lattice():
    noise = np.random.default_rng(0).normal(size=(256, 256))
    with pytest.raises(NoLatticeFound):
        find_lattice(bandpass(noise, pixel_size_A=0.1), pixel_size_A=0.1)


def test_it_fits_lattice_and_motif_exactly_on_perfect_columns():
    basis = np.array([[20.0, -10.0], [0.0, 17.32]])
    sites = np.array([[0.0, 0.0], [10.0, 5.77]])
    cells = np.array([[i, j] for i in range(-3, 4) for j in range(-3, 4)])
    xy = np.concatenate([cells @ basis.T + s for s in sites])
    labels = np.repeat([0, 1], len(cells))
    fitted, site_xy, residual = fit_lattice_and_motif(xy, np.tile(cells, (2, 1)), labels, 2)
    assert np.allclose(fitted, basis)
    assert np.allclose(site_xy, sites)
    assert np.abs(residual).max() < 1e-9


def test_it_round_trips_a_lattice_through_a_dict():
    lattice = Lattice2D.from_basis(np.array([[31.8, -15.9], [0.0, 27.6]]), 0.1, 0.01)
    assert Lattice2D.from_dict(lattice.as_dict()) == lattice
