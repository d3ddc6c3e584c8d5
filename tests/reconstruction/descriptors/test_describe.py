"""Descriptors are in Å, invariant to rotation and sampling, and tell structures apart."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.descriptors import (
    DESCRIPTOR_VERSION,
    RDF_BINS,
    RICH_DIM,
    Descriptor,
    describe_image,
    describe_structure,
)
from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return 1.0 - float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))


def test_it_measures_in_angstrom_not_pixels():
    mos2 = STRUCTURES["MoS2-2H"]()
    coarse = describe_image(noisy_image(mos2, px=0.1, size=400), pixel_size_A=0.1)
    fine = describe_image(noisy_image(mos2, px=0.07, size=560), pixel_size_A=0.07)
    for d in (coarse, fine):
        assert d.lattice["a"] == pytest.approx(3.184, abs=0.01)
        assert d.lattice["gamma"] == pytest.approx(120.0, abs=0.3)
    assert _distance(coarse.rich, fine.rich) < 0.01
    assert _distance(coarse.rdf, fine.rdf) < 0.05


def test_it_is_invariant_to_rotation_and_matches_the_template():
    mos2 = STRUCTURES["MoS2-2H"]()
    template = describe_structure(mos2)
    for rotation in (0.0, 37.0):
        image = describe_image(noisy_image(mos2, rotation=rotation), pixel_size_A=0.1)
        assert _distance(image.rich, template.rich) < 0.01


def test_it_tells_polymorphs_and_lattices_apart():
    two_h = describe_structure(STRUCTURES["MoS2-2H"]())
    one_t = describe_structure(STRUCTURES["MoS2-1T"]())
    mose2 = describe_structure(STRUCTURES["MoSe2-2H"]())  # same motif, lattice 4 % longer
    assert _distance(two_h.rich, one_t.rich) > 0.1
    assert _distance(two_h.rich, mose2.rich) > 0.1


def test_it_round_trips_through_a_dict():
    d = describe_structure(STRUCTURES["CuCl2"]())
    back = Descriptor.from_dict(d.as_dict())
    assert back.lattice == d.lattice
    np.testing.assert_allclose(back.rich, d.rich, atol=1e-6)
    np.testing.assert_allclose(back.rdf, d.rdf, atol=1e-6)
    assert d.rdf.shape == (RDF_BINS,) and d.rich.shape == (RICH_DIM,)
    assert np.linalg.norm(d.rich) == pytest.approx(1.0, abs=1e-5)


def test_it_rejects_vectors_of_another_length_or_version():
    d = describe_structure(STRUCTURES["C-graphene"]()).as_dict()
    with pytest.raises(ValueError, match="rich must have"):
        Descriptor.from_dict({**d, "rich": d["rich"][:-1]})
    with pytest.raises(ValueError, match="recompute"):
        Descriptor.from_dict({**d, "version": "old"})
    assert d["version"] == DESCRIPTOR_VERSION


def test_it_describes_an_image_without_a_lattice():
    noise = np.random.default_rng(3).normal(size=(256, 256))
    d = describe_image(noise, pixel_size_A=0.1)
    assert d.lattice is None
    assert np.isfinite(d.rich).all() and np.isfinite(d.rdf).all()


@pytest.mark.parametrize("px", [0.0, -1.0, float("nan")])
def test_it_rejects_a_bad_pixel_size(px):
    with pytest.raises(ValueError, match="pixel_size_A"):
        describe_image(np.ones((64, 64)), pixel_size_A=px)


def test_it_rejects_a_bad_image():
    with pytest.raises(ValueError, match="2D image"):
        describe_image(np.ones(100), pixel_size_A=0.1)
