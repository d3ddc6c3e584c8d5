"""Pixel-size help: the known lattices that fit an uncalibrated image's repeat, best first."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, simulate_fast
from reconstruction.stem2cif.suggest import image_cell_px, suggest_pixel_sizes


def _image(structure_id: str, pixel_size_A: float, mode: str = "haadf", size: int = 384):
    config = ImagingConfig(
        mode=mode, dose_e_per_A2=3e4, pixel_size_A=pixel_size_A, shape_px=(size, size),
        rotation_deg=17.0, seed=5,
    )  # fmt: skip
    return simulate_fast(monolayer(structure_id), config).image


def _template(structure_id: str, e_form: float | None = None) -> dict:
    atoms = monolayer(structure_id)
    a, b, _, _, _, gamma = atoms.cell.cellpar()
    return {"id": structure_id, "formula": atoms.get_chemical_formula("reduce"),
            "a": a, "b": b, "gamma": gamma, "e_form": e_form}  # fmt: skip


@pytest.mark.parametrize(
    ("structure_id", "pixel_size_A", "mode"),
    [("c2dm-MoS2-H", 0.1, "haadf"), ("c2dm-WSe2-H", 0.07, "haadf"), ("c2dm-MoS2-H", 0.2, "idpc")],
)
def test_it_finds_the_pixel_size_from_a_known_lattice(structure_id, pixel_size_A, mode):
    image = _image(structure_id, pixel_size_A, mode)
    templates = [_template(structure_id), _template("2dm-3274")]  # a square C lattice too
    found = suggest_pixel_sizes(image, templates, mode=mode)
    assert [s.template_id for s in found] == [structure_id]  # the square one does not fit
    assert found[0].pixel_size_A == pytest.approx(pixel_size_A, rel=0.01)
    assert found[0].image_gamma_deg == pytest.approx(120, abs=1)


def test_equally_fitting_lattices_come_more_stable_first():
    image = _image("c2dm-MoS2-H", 0.1)
    low = {**_template("c2dm-MoS2-H", -0.8), "id": "stable", "a": 3.0, "b": 3.0}
    high = {**_template("c2dm-MoS2-H", 0.4), "id": "unstable", "a": 3.6, "b": 3.6}
    found = suggest_pixel_sizes(image, [high, low])
    assert [s.template_id for s in found] == ["stable", "unstable"]
    assert found[0].pixel_size_A < found[1].pixel_size_A


def test_noise_gets_no_suggestion():
    noise = np.random.default_rng(0).normal(size=(256, 256))
    assert image_cell_px(noise) is None
    assert suggest_pixel_sizes(noise, [_template("c2dm-MoS2-H")]) == []


def test_no_suggestion_outside_the_range_microscopes_use():
    image = _image("c2dm-MoS2-H", 0.1)
    giant = {**_template("c2dm-MoS2-H"), "a": 3184.0, "b": 3184.0}  # would need 100 Å/px
    assert suggest_pixel_sizes(image, [giant]) == []
