import numpy as np
import pytest

from reconstruction.errors import (
    ElementsInconsistent,
    ImplausiblePixelSize,
    NoLatticeFound,
    ReconstructionError,
)
from reconstruction.stem2cif import reconstruct

from .structures import simulated


def test_it_needs_a_pixel_size():
    sim = simulated("MoS2")
    with pytest.raises(ImplausiblePixelSize, match="pixel size"):
        reconstruct(sim.image, pixel_size_A=None, elements=["Mo", "S"])


@pytest.mark.parametrize("pixel_size", [0.0, -0.1, float("nan")])
def test_it_rejects_a_pixel_size_that_is_not_positive(pixel_size):
    with pytest.raises(ImplausiblePixelSize):
        reconstruct(simulated("MoS2").image, pixel_size_A=pixel_size, elements=["Mo", "S"])


@pytest.mark.parametrize("pixel_size", [0.005, 2.0])
def test_it_rejects_a_pixel_size_that_implies_an_impossible_lattice(pixel_size):
    with pytest.raises(ImplausiblePixelSize, match="check the pixel size"):
        reconstruct(simulated("MoS2").image, pixel_size_A=pixel_size, elements=["Mo", "S"])


def test_it_says_when_there_is_no_lattice():
    noise = np.random.default_rng(2).normal(size=(256, 256)).astype(np.float32)
    with pytest.raises(ReconstructionError):
        reconstruct(noise, pixel_size_A=0.1, elements=["Mo", "S"])


def test_it_says_when_the_image_is_blank():
    with pytest.raises(NoLatticeFound, match="blank"):
        reconstruct(np.ones((128, 128)), pixel_size_A=0.1, elements=["C"])


def test_it_rejects_more_elements_than_the_image_shows():
    with pytest.raises(ElementsInconsistent, match="3 elements"):
        reconstruct(simulated("C").image, pixel_size_A=0.1, elements=["B", "C", "N"])


def test_it_rejects_elements_that_cannot_make_the_contrast():
    sim = simulated("CuBrO2", rotation_deg=64.0)
    with pytest.raises(ElementsInconsistent, match="element"):
        reconstruct(sim.image, pixel_size_A=0.1, elements=["Cu"])


@pytest.mark.parametrize("elements", [[], "Xx,S"])
def test_it_rejects_missing_or_unknown_elements(elements):
    with pytest.raises(ElementsInconsistent):
        reconstruct(simulated("MoS2").image, pixel_size_A=0.1, elements=elements)
