"""Projection onto the layer plane, Gauss reduction and primitive cells."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from reconstruction.metrics import gauss_reduce, primitive_layer, to_layer
from reconstruction.metrics.layer import min_image
from tests.reconstruction.metrics.helpers import MOS2_2H, OBLIQUE, load, noisy, rebased


def test_it_gauss_reduces_any_basis_of_a_hexagonal_lattice() -> None:
    a = 3.0
    hexagonal = np.array([[a, 0.0], [-a / 2, a * np.sqrt(3) / 2]])
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = np.eye(2, dtype=int)
        for k in rng.integers(-3, 4, size=4):  # alternate shears: a skewed unimodular basis
            m = np.array([[1, k], [0, 1]]) @ m[::-1]
        reduced, transform = gauss_reduce(m @ hexagonal)
        assert abs(round(np.linalg.det(transform))) == 1
        np.testing.assert_allclose(transform @ (m @ hexagonal), reduced, atol=1e-9)
        np.testing.assert_allclose(np.linalg.norm(reduced, axis=1), [a, a], rtol=1e-9)
        assert reduced[0] @ reduced[1] == pytest.approx(-a * a / 2)  # γ = 120°


def test_it_finds_the_shortest_image_in_a_reduced_cell() -> None:
    lattice, _ = gauss_reduce(np.array([[4.0, 0.0], [1.3, 2.1]]))
    rng = np.random.default_rng(1)
    dfrac = rng.uniform(-3, 3, (200, 2))
    fast = np.linalg.norm(min_image(dfrac, lattice), axis=1)
    shifts = np.array([[i, j] for i in range(-6, 7) for j in range(-6, 7)])
    brute = np.min(np.linalg.norm((dfrac[:, None, :] + shifts) @ lattice, axis=2), axis=1)
    np.testing.assert_allclose(fast, brute, atol=1e-12)


def test_it_reduces_a_noisy_skewed_supercell_to_the_primitive_cell() -> None:
    reference = load(OBLIQUE)
    supercell = noisy(rebased(reference.repeat((3, 2, 1)), ((1, 2), (0, 1))), 0.02, seed=5)
    primitive = primitive_layer(to_layer(supercell), tolerance_A=0.1)
    assert primitive.n_atoms == len(reference)
    assert primitive.area_A2 == pytest.approx(to_layer(reference).area_A2, rel=1e-9)


def test_it_keeps_two_stacked_atoms_of_the_projection() -> None:
    layer = primitive_layer(to_layer(load(MOS2_2H).repeat((2, 2, 1))), use_z=False)
    assert sorted(layer.species) == ["Mo", "S", "S"]
    s = [i for i, symbol in enumerate(layer.species) if symbol == "S"]
    assert np.linalg.norm(min_image(layer.frac[s[0]] - layer.frac[s[1]], layer.lattice_A)) < 1e-9


def test_it_projects_the_layer_whatever_axis_holds_the_vacuum() -> None:
    reference = load(MOS2_2H)
    along_x = Atoms(
        reference.get_chemical_symbols(),
        positions=reference.positions[:, [2, 0, 1]],
        cell=reference.cell.array[[2, 0, 1]][:, [2, 0, 1]],
        pbc=True,
    )
    layer, expected = to_layer(along_x), to_layer(reference)
    assert layer.lengths_A == pytest.approx(expected.lengths_A)
    assert np.ptp(layer.z_A) == pytest.approx(np.ptp(expected.z_A))


def test_it_makes_a_layer_that_straddles_the_cell_edge_contiguous() -> None:
    reference = load(MOS2_2H)
    wrapped = reference.copy()
    wrapped.translate([0.0, 0.0, -reference.positions[:, 2].mean()])  # centre at z = 0
    wrapped.wrap()
    assert np.ptp(to_layer(wrapped).z_A) == pytest.approx(np.ptp(reference.positions[:, 2]))


def test_it_rejects_what_is_not_a_structure() -> None:
    with pytest.raises(TypeError, match="structure"):
        to_layer([1, 2, 3])
