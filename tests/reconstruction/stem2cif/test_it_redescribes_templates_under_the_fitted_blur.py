"""Templates are compared with a blurred image as that microscope would show them."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from ase import Atoms

from reconstruction.descriptors import ArrayRetriever
from reconstruction.descriptors.retrieval import structure_from_dict
from reconstruction.simulate import ImagingConfig, simulate_fast
from reconstruction.stem2cif import Stem2CifConfig, reconstruct
from reconstruction.stem2cif.blurred_templates import redescribed, widened
from reconstruction.stem2cif.prior import (
    MAX_DISTANCE,
    TemplatePrior,
    candidate_priors,
    retrieve_prior,
)

PX = 0.12
TEMPLATE = "2dlam-Li2WS4-1"


@pytest.fixture(scope="module")
def library() -> ArrayRetriever:
    return ArrayRetriever.from_dump()


@pytest.fixture(scope="module")
def blurred(library) -> np.ndarray:
    """Li2WS4 through a 0.7 Å (FWHM) source: its in-focus template describes far."""
    record = next(r for r in library.library.records if r["id"] == TEMPLATE)
    config = ImagingConfig(
        mode="idpc", dose_e_per_A2=5e4, pixel_size_A=PX, shape_px=(384, 384), seed=3,
        rotation_deg=17.0, source_size_A=0.7,
    )  # fmt: skip
    return simulate_fast(structure_from_dict(record["structure"]), config).image


def test_the_own_template_beyond_its_threshold_in_focus_is_used_once_described_blurred(
    library, blurred
):
    _, matches, _ = retrieve_prior(blurred, pixel_size_A=PX, elements="Li,W,S", retriever=library)
    assert matches[0].id == TEMPLATE and matches[0].distance > MAX_DISTANCE  # the miss

    result = reconstruct(blurred, pixel_size_A=PX, elements="Li,W,S",
                         prior=candidate_priors(matches))  # fmt: skip

    assert result.source_sigma_A > 0.2
    assert result.prior["accepted"] and result.prior["id"] == TEMPLATE
    assert result.prior["distance"] <= MAX_DISTANCE
    assert result.formula == "Li2WS4"
    assert any("described again under the fitted source blur" in w for w in result.warnings)


def test_read_as_from_a_point_source_the_far_template_stays_refused(library, blurred):
    _, matches, _ = retrieve_prior(blurred, pixel_size_A=PX, elements="Li,W,S", retriever=library)
    point = Stem2CifConfig(source_sigma_A=0.0)

    result = reconstruct(blurred, pixel_size_A=PX, elements="Li,W,S", config=point,
                         prior=candidate_priors(matches))  # fmt: skip

    assert not result.prior["accepted"] and "distance" in result.prior["reason"]
    assert not any("described again" in w for w in result.warnings)


def test_a_prior_already_near_is_left_alone(library, blurred):
    _, matches, _ = retrieve_prior(blurred, pixel_size_A=PX, elements="Li,W,S", retriever=library)
    near = [replace(p, distance=0.01) for p in candidate_priors(matches)]
    said: list[str] = []

    kept = redescribed(near, blurred, pixel_size_A=PX, mode="idpc", source_sigma_A=0.3,
                       warnings=said)  # fmt: skip

    assert kept == near and said == []


def test_a_distance_only_ever_shrinks_and_the_list_stays_nearest_first(library, blurred):
    _, matches, _ = retrieve_prior(blurred, pixel_size_A=PX, elements="Li,W,S", retriever=library)
    priors = candidate_priors(matches)

    again = redescribed(priors, blurred, pixel_size_A=PX, mode="idpc", source_sigma_A=0.3)

    before = {p.id: p.distance for p in priors}
    assert sorted(before) == sorted(p.id for p in again)
    assert all(p.distance <= before[p.id] for p in again)
    distances = [p.distance for p in again]
    assert distances == sorted(distances)


def test_the_site_tolerance_grows_with_the_source_in_quadrature():
    priors = [TemplatePrior(Atoms("C", cell=[2.5, 2.5, 10.0], pbc=True), site_tolerance_A=0.35)]

    assert widened(priors, 0.0)[0].site_tolerance_A == pytest.approx(0.35)
    assert widened(priors, 0.32)[0].site_tolerance_A == pytest.approx(0.4742, abs=1e-4)


def test_sites_shifted_by_the_blur_still_match_the_template_on_its_own_cell(library):
    """Sample 0140 of the seed-31 HAADF set (tier 3, 0.79 Å source): the image shows half
    the cell, re-indexed to the template's; a faint F site then lies 0.39 Å from its column,
    beyond the point-source tolerance, and ZnFeF4 was read instead."""
    record = next(r for r in library.library.records if r["id"] == "2dlam-ZnFeF5-1")
    config = ImagingConfig(
        mode="haadf", dose_e_per_A2=11041.8, pixel_size_A=0.1, shape_px=(768, 768),
        seed=420682164, rotation_deg=346.771, defocus_A=13.2, source_size_A=0.787,
    )  # fmt: skip
    image = simulate_fast(structure_from_dict(record["structure"]), config).image
    _, matches, _ = retrieve_prior(
        image, pixel_size_A=0.1, elements="Zn,Fe,F", retriever=library, mode="haadf"
    )

    result = reconstruct(image, pixel_size_A=0.1, elements="Zn,Fe,F", mode="haadf",
                         prior=candidate_priors(matches))  # fmt: skip

    assert result.prior["accepted"] and result.prior["id"] == "2dlam-ZnFeF5-1"
    assert result.formula == "ZnFeF5"
    assert 0.35 < result.prior["max_site_error_A"] <= math.hypot(0.35, result.source_sigma_A)
