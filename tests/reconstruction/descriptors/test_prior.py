"""The reconstruction uses a fitting template and falls back without one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reconstruction.descriptors import ArrayRetriever
from reconstruction.stem2cif import Stem2CifConfig, reconstruct
from reconstruction.stem2cif.prior import TemplatePrior, retrieve_prior
from tests.reconstruction.bench.samples import benchmark_sample
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
    # Read as from a point source: with a fitted blur the template would be described
    # again, measured near, and used (test_it_redescribes_templates_under_the_fitted_blur).
    point = Stem2CifConfig(source_sigma_A=0.0)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=far, config=point)
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


def test_a_template_whose_cell_is_a_supercell_of_the_one_seen_is_reindexed(image):
    # The image shows MoS2's primitive cell; the template is the same layer in a 2 x 1
    # cell, as a pseudo-lattice of a noisy image would leave it: measured again on the
    # template's cell, the sites fit and the template is used.
    template = STRUCTURES["MoS2-2H"]() * (2, 1, 1)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S",
                         prior=TemplatePrior(template, id="MoS2-2x1", distance=0.001))  # fmt: skip
    assert result.prior["accepted"], result.prior
    assert any("re-indexed to template MoS2-2x1" in w for w in result.warnings)
    assert result.formula == "MoS2" and result.spacegroup == "P-6m2"


def test_template_basis_finds_sub_and_superlattices():
    from reconstruction.stem2cif.prior import template_basis

    hexagonal = STRUCTURES["MoS2-2H"]()
    measured = np.array([[31.84, -15.92], [0.0, 27.57]])  # 3.184 Å hexagonal at 0.1 Å/px
    for reps, area in (((2, 2, 1), 4.0), ((3, 1, 1), 3.0)):
        basis = template_basis(TemplatePrior(hexagonal * reps), measured, 0.1)
        assert abs(np.linalg.det(basis) / np.linalg.det(measured)) == pytest.approx(area)
    # The measured cell is the template's 2 x 2 supercell (a superlattice was seen).
    basis = template_basis(TemplatePrior(hexagonal), 2 * measured, 0.1)
    assert abs(np.linalg.det(basis) / np.linalg.det(measured)) == pytest.approx(1.0)
    # Every superlattice relation, not only those whose matrix is an inverse Hermite form:
    # an oblique template cell seen as its (1, 4; 0, 4)-like supercell of index 4.
    oblique = STRUCTURES["MoS2-2H"]()
    oblique.set_cell([[3.5175, 0, 0], [-1.7582, 9.1452, 0], [0, 0, 20]], scale_atoms=True)
    cell_px = np.array(oblique.cell)[:2, :2].T / 0.1
    for m in ([[1, 1], [0, 4]], [[1, 0], [3, 4]], [[1, 2], [0, 4]]):
        seen = cell_px @ np.array(m)
        basis = template_basis(TemplatePrior(oblique), seen, 0.1)
        assert basis is not None, m
        assert abs(np.linalg.det(basis)) == pytest.approx(abs(np.linalg.det(cell_px)), rel=1e-6)
    stretched = hexagonal.copy()
    stretched.set_cell(stretched.cell * [1.1, 1.1, 1.0], scale_atoms=True)
    assert template_basis(TemplatePrior(stretched), measured, 0.1) is None


def test_when_the_image_alone_fails_a_far_template_that_fits_is_used(tmp_path):
    # Benchmark sample 0350 of the fast 450 set (seed 0): NaGaH4 at 1.5e4 e/Å², whose
    # hydrogen columns make contrasts no site assignment explains; its descriptor is
    # 0.073 from the right template, above the threshold, but the template fits.
    from reconstruction.errors import ElementsInconsistent
    from reconstruction.metrics.scores import score_sample

    data, truth = benchmark_sample(
        tmp_path, sample_id="0350-2dm-3632", structure_id="2dm-3632", tier=3,
        dose_e_per_A2=15333.5, rotation_deg=38.822, shape_px=768, seed=254653849,
    )  # fmt: skip
    with pytest.raises(ElementsInconsistent):
        reconstruct(data, pixel_size_A=0.1, elements="Ga,H,Na")
    prior = TemplatePrior(truth, id="2dm-3632", distance=0.073)
    result = reconstruct(data, pixel_size_A=0.1, elements="Ga,H,Na", prior=prior)
    assert result.prior["accepted"] and result.formula == "NaGaH4"
    assert any("the image alone was not enough" in w for w in result.warnings)
    assert score_sample(result.structure, truth).structure_success


def test_without_a_lattice_of_its_own_the_image_is_read_on_the_template_cell(tmp_path):
    # Benchmark sample 0029 of the fast 450 set (seed 0): boron at 5.4e4 e/Å², turned
    # 85°; the autocorrelation's strongest peaks make no lattice. Its descriptor is far
    # from every template (0.54), yet the nearest is right and fits the image.
    from reconstruction.errors import NoLatticeFound
    from reconstruction.metrics.scores import score_sample

    data, truth = benchmark_sample(
        tmp_path, sample_id="0029-2dm-5967", structure_id="2dm-5967", tier=1,
        dose_e_per_A2=53960.3, rotation_deg=85.186, shape_px=384, seed=553559058,
    )  # fmt: skip
    with pytest.raises(NoLatticeFound):
        reconstruct(data, pixel_size_A=0.1, elements="B")
    prior = TemplatePrior(truth, id="2dm-5967", distance=0.54)
    result = reconstruct(data, pixel_size_A=0.1, elements="B", prior=prior)
    assert result.prior["accepted"]
    assert any("oriented on the image" in w for w in result.warnings)
    assert score_sample(result.structure, truth).structure_success
    # A template whose cell the image does not show is refused, with the original error.
    wrong = truth.copy()
    wrong.set_cell(wrong.cell * [1.3, 1.3, 1.0], scale_atoms=True)
    with pytest.raises(NoLatticeFound):
        reconstruct(data, pixel_size_A=0.1, elements="B", prior=TemplatePrior(wrong))


def test_a_faint_site_matching_no_template_column_is_a_ghost_not_a_refusal():
    from reconstruction.stem2cif.prior import fit_prior, template_columns

    template = STRUCTURES["MoS2-2H"]()
    cell = np.array(template.cell)[:2, :2]
    centres, _ = template_columns(template)
    extra = np.array([[0.5, 0.5]])  # 0.9 Å and more from every MoS2 column
    sites = np.concatenate([centres, extra])
    prior = TemplatePrior(template, id="MoS2-2H", distance=0.001)
    faint = fit_prior(prior, cell, sites, ["Mo", "S"], site_intensity=[1.0, 0.6, 0.08])
    assert faint.accepted, faint.reason
    bright = fit_prior(prior, cell, sites, ["Mo", "S"], site_intensity=[1.0, 0.6, 0.4])
    assert not bright.accepted and "from every template column" in bright.reason
    unknown = fit_prior(prior, cell, sites, ["Mo", "S"])
    assert not unknown.accepted


def test_sites_that_fit_either_way_round_are_read_by_their_contrast():
    """BeAu: Au on both honeycomb sites, a stack of two Be at the cell corner. A HAADF
    image shows the two Au sites (Be is 1 % as bright); geometrically they also fit
    Be2 + one Au, which would leave a visible Au column unmatched."""
    from ase import Atoms

    from reconstruction.stem2cif.prior import fit_prior

    a = 4.43
    cell = [[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, 20]]
    beau = Atoms(
        "Au2Be2",
        scaled_positions=[[1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5], [0, 0, 0.45], [0, 0, 0.55]],
        cell=cell,
        pbc=True,
    )
    prior = TemplatePrior(beau, id="BeAu", distance=0.001)
    sites = np.array([[0.0, 0.0], [1 / 3, 2 / 3]])  # as measured: origin on a column
    fit = fit_prior(
        prior, np.array(cell)[:2, :2], sites, ["Au", "Be"], mode="haadf", site_intensity=[1, 1]
    )
    assert fit.accepted, fit.reason
    assert fit.site_contents == (("Au", 1), ("Au", 1)) and fit.formula == "BeAu"
    # MoS2 (Mo and the S2 stack also fit either way round): the brighter site is Mo.
    mos2 = STRUCTURES["MoS2-2H"]()
    prior = TemplatePrior(mos2, id="MoS2-2H", distance=0.001)
    for bright in (0, 1):
        intensity = [1.0, 0.6] if bright == 0 else [0.6, 1.0]
        fit = fit_prior(prior, np.array(mos2.cell)[:2, :2], sites, ["Mo", "S"],
                        site_intensity=intensity)  # fmt: skip
        assert fit.accepted and fit.site_contents[bright] == ("Mo", 1), fit.site_contents


def test_when_rich_is_far_the_nearest_by_the_pair_histogram_is_offered(image):
    """``rich`` fails when the image's motif is read differently from the template's; the
    pair-distance histogram is then the second opinion, with its own (tighter) threshold."""
    from reconstruction.descriptors import LibraryArrays

    lib = small_library()
    ids = [r["id"] for r in lib.records]
    two_h, one_t = ids.index("MoS2-2H"), ids.index("MoS2-1T")
    vectors = {m: {k: v.copy() for k, v in vs.items()} for m, vs in lib.vectors.items()}
    vectors["idpc"]["rich"][two_h] = vectors["idpc"]["rich"][one_t]  # rich: 2H looks like 1T
    retriever = ArrayRetriever(LibraryArrays(lib.records, vectors))
    prior, matches, _ = retrieve_prior(image, pixel_size_A=0.1, elements="Mo,S",
                                       retriever=retriever)  # fmt: skip
    assert min(m.distance for m in matches if m.vector == "rich") > 0.05  # by rich, none near
    assert matches[0].id == "MoS2-2H" and matches[0].vector == "rdf"  # offered first
    assert prior.id == "MoS2-2H" and prior.vector == "rdf" and prior.usable
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=prior)
    assert result.prior["accepted"] and result.prior["vector"] == "rdf"
    off, _, _ = retrieve_prior(image, pixel_size_A=0.1, elements="Mo,S", retriever=retriever,
                               rdf_max_distance=0)  # fmt: skip
    assert off.vector == "rich" and not off.usable


def test_a_repeat_shorter_than_any_cell_is_read_on_a_matching_template_cell():
    """Buckled B chains: columns 0.80 Å apart in projection, the cell twice that (the two
    atoms at different heights). Alone the repeat looks like a wrong pixel size; with the
    template that matches it is the template's cell."""
    from ase import Atoms

    from reconstruction.errors import ImplausiblePixelSize

    cell = [[1.603, 0, 0], [0, 3.705, 0], [0, 0, 20]]
    b2 = Atoms("B2", scaled_positions=[[0.25, 0, 0.463], [0.75, 0, 0.537]], cell=cell, pbc=True)
    image = noisy_image(b2, rotation=0.0, dose=6e4, size=300, seed=1)
    with pytest.raises(ImplausiblePixelSize, match="shorter than any"):
        reconstruct(image, pixel_size_A=0.1, elements="B")
    prior = TemplatePrior(b2, id="B2-chains", distance=0.003)
    result = reconstruct(image, pixel_size_A=0.1, elements="B", prior=prior)
    assert result.prior["accepted"], result.prior
    assert any("is no plausible cell" in w for w in result.warnings)
    assert len(result.structure) == 2
    assert sorted(result.structure.cell.cellpar()[:2]) == pytest.approx([1.603, 3.705], abs=0.02)
    far = TemplatePrior(b2, id="B2-chains", distance=0.4)  # not a match: the error stands
    with pytest.raises(ImplausiblePixelSize):
        reconstruct(image, pixel_size_A=0.1, elements="B", prior=far)


def _library_prior(template_id: str, distance: float) -> TemplatePrior:
    from reconstruction.data import monolayer

    return TemplatePrior(monolayer(template_id), id=template_id, distance=distance)


def test_of_templates_that_fit_the_one_whose_contrasts_follow_the_image_is_used(tmp_path):
    # Benchmark sample 0353 of the fast 450 HAADF set (seed 0): MnCo2O6 at 1.1e4 e/Å².
    # MnCo3O8 describes nearer (0.0005 vs 0.0022) and fits the cation lattice too, but
    # the image shows one Mn (Z 25) dimmer than two Co (Z 27) in every three cations.
    from reconstruction.metrics.scores import score_sample

    data, truth = benchmark_sample(
        tmp_path, sample_id="0353-2dlam-MnCo2O6-1", structure_id="2dlam-MnCo2O6-1", tier=3,
        dose_e_per_A2=11297.4, rotation_deg=113.87, shape_px=512, seed=1644020018,
        mode="haadf",
    )  # fmt: skip
    priors = [_library_prior("2dlam-MnCo3O8-1", 0.0005),
              _library_prior("2dlam-MnCo2O6-1", 0.0022)]  # fmt: skip
    nearest = reconstruct(data, pixel_size_A=0.1, elements="Co,Mn,O", mode="haadf",
                          prior=priors[0])  # fmt: skip
    assert nearest.prior["accepted"] and nearest.formula == "MnCo3O8"
    result = reconstruct(data, pixel_size_A=0.1, elements="Co,Mn,O", mode="haadf",
                         prior=priors)  # fmt: skip
    assert result.prior["id"] == "2dlam-MnCo2O6-1" and result.formula == "Mn(CoO3)2"
    assert result.prior["contrast_misfit"] < nearest.prior["contrast_misfit"] / 2
    assert any("used over the nearer 2dlam-MnCo3O8-1" in w for w in result.warnings)
    assert score_sample(result.structure, truth).structure_success


def test_a_farther_template_replaces_a_near_one_only_when_its_contrasts_fit_clearly_better(
    tmp_path, image
):
    # Benchmark sample 0356 (HAADF, seed 0): TiMn2O6. The right template describes at
    # 0.233 (its high-dose render shows the Ti ordering, the image's descriptor hardly
    # does); the near one, TiMn3O8 (0.001), leaves 27 times more contrast unexplained.
    data, _ = benchmark_sample(
        tmp_path, sample_id="0356-2dlam-TiMn2O6-1", structure_id="2dlam-TiMn2O6-1", tier=3,
        dose_e_per_A2=13750.2, rotation_deg=25.754, shape_px=832, seed=1427375284,
        mode="haadf",
    )  # fmt: skip
    far = replace(_library_prior("2dlam-TiMn2O6-1", 0.233), max_distance=0.05)
    result = reconstruct(data, pixel_size_A=0.1, elements="Mn,O,Ti", mode="haadf",
                         prior=[_library_prior("2dlam-TiMn3O8-1", 0.001), far])  # fmt: skip
    assert result.prior["id"] == "2dlam-TiMn2O6-1" and result.formula == "TiMn2O6"
    assert any("descriptor distance 0.233" in w for w in result.warnings)
    # Where the near template explains the image (MoS2), a far one that also fits does
    # not replace it: one sulfur per column fits the sites, not their contrast.
    image = noisy_image(STRUCTURES["MoS2-2H"](), rotation=12.0, dose=1.5e4, seed=4,
                        mode="haadf")  # fmt: skip
    mos2 = TemplatePrior(STRUCTURES["MoS2-2H"](), id="MoS2-2H", distance=0.001)
    single = STRUCTURES["MoS2-2H"]()
    del single[[a.index for a in single if a.symbol == "S"][1:]]
    other = TemplatePrior(single, id="MoS", distance=0.3)
    kept = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", mode="haadf",
                       prior=[mos2, other])  # fmt: skip
    assert kept.prior["id"] == "MoS2-2H" and kept.formula == "MoS2"
    near_other = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", mode="haadf",
                             prior=[mos2, replace(other, distance=0.001)])  # fmt: skip
    assert near_other.prior["id"] == "MoS2-2H"
    assert near_other.prior["contrast_misfit"] < 1e-2


def test_in_idpc_the_nearest_template_that_fits_is_used_whatever_its_contrast(image):
    # The iDPC contrasts of cations a few apart in Z follow the response less closely
    # than they differ (CONTRAST_DECIDES): the nearest template is the one tried.
    mos2 = TemplatePrior(STRUCTURES["MoS2-2H"](), id="MoS2-2H", distance=0.001)
    single = STRUCTURES["MoS2-2H"]()
    del single[[a.index for a in single if a.symbol == "S"][1:]]
    first = TemplatePrior(single, id="MoS", distance=0.001)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S", prior=[first, mos2])
    assert result.prior["id"] == "MoS"
    assert not any("used over" in w for w in result.warnings)
