"""Per-sample metrics: invariance to the freedom a reconstruction has, and real errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from ase import Atoms

from reconstruction.metrics import (
    MatchConfig,
    SampleScore,
    composition_correct,
    rmsd_xy,
    score_sample,
    structure_match,
)
from tests.reconstruction.metrics.helpers import (
    GRAPHENE,
    HBN,
    MOS2_1T,
    MOS2_2H,
    OBLIQUE,
    RECTANGULAR,
    TERNARY,
    load,
    mirrored,
    noisy,
    rebased,
    rotated,
    shifted,
    strained,
)

STRUCTURES = [MOS2_2H, MOS2_1T, GRAPHENE, HBN, TERNARY, RECTANGULAR, OBLIQUE]

TRANSFORMS: dict[str, Callable[[Atoms], Atoms]] = {
    "rotated": lambda a: rotated(a, 37.3),
    "shifted": lambda a: shifted(a, (0.71, -1.93)),
    "rebased": lambda a: rebased(a, ((2, 1), (1, 1))),
    "mirrored": mirrored,
    "supercell_2x2": lambda a: a.repeat((2, 2, 1)),
    "noisy": lambda a: noisy(a, 0.02, seed=7),
    "all_at_once": lambda a: noisy(
        shifted(rotated(mirrored(rebased(a.repeat((2, 3, 1)), ((1, 1), (0, 1)))), 211.0), (3, 1)),
        0.02,
        seed=11,
    ),
}


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("structure_id", STRUCTURES)
def test_it_scores_a_transformed_copy_as_correct(structure_id: str, transform: str) -> None:
    reference = load(structure_id)
    score = score_sample(TRANSFORMS[transform](reference), reference)
    assert score.structure_success, score.notes
    assert score.composition_correct
    assert score.rmsd_xy_A < 1e-6
    assert score.mse_2d_A2 < (2e-3 if "noisy" in transform or "all" in transform else 1e-10)
    assert score.notes == ()


def test_it_accepts_pymatgen_structures_and_a_vacuum_axis_along_x() -> None:
    from pymatgen.io.ase import AseAtomsAdaptor

    reference = load(TERNARY)
    permuted = Atoms(
        reference.get_chemical_symbols(),
        positions=reference.positions[:, [2, 0, 1]],
        cell=reference.cell.array[[2, 0, 1]][:, [2, 0, 1]],
        pbc=True,
    )
    predicted = AseAtomsAdaptor.get_structure(permuted)
    score = score_sample(predicted, AseAtomsAdaptor.get_structure(reference))
    assert score.structure_success and score.composition_correct
    assert score.rmsd_xy_A < 1e-6 and score.mse_2d_A2 < 1e-10


def test_it_tells_1t_from_2h_mos2() -> None:
    h, t = load(MOS2_2H), load(MOS2_1T)
    score = score_sample(t, h)
    assert score.composition_correct
    assert not score.structure_success
    assert math.exp(-score.mse_2d_A2) < 0.8
    assert score.rmsd_xy_A == pytest.approx(abs(h.cell.lengths()[0] - t.cell.lengths()[0]))


def test_it_marks_a_swapped_element_as_wrong_composition() -> None:
    reference = load(MOS2_2H)
    ws2 = reference.copy()
    ws2.symbols[[i for i, s in enumerate(ws2.symbols) if s == "Mo"]] = "W"
    score = score_sample(ws2, reference)
    assert not score.composition_correct
    assert not score.structure_success
    assert any("element counts differ" in note for note in score.notes)
    mosse = reference.copy()
    mosse.symbols[next(i for i, s in enumerate(mosse.symbols) if s == "S")] = "Se"
    assert not composition_correct(mosse, reference)


@pytest.mark.parametrize("structure_id", [MOS2_2H, RECTANGULAR, OBLIQUE])
def test_it_measures_the_lattice_error_of_a_strained_prediction(structure_id: str) -> None:
    reference = load(structure_id)
    a, b = sorted(reference.cell.lengths()[:2])
    uniform = score_sample(strained(reference, 0.03, 0.03), reference)
    assert uniform.rmsd_xy_A == pytest.approx(0.03 * math.sqrt((a**2 + b**2) / 2), rel=1e-6)
    # measured in the reference cell, a uniform strain leaves the motif exact
    assert uniform.structure_success and uniform.mse_2d_A2 < 1e-10


def test_it_reports_an_axial_strain_along_a() -> None:
    reference = load(RECTANGULAR)  # a along x is the short axis
    a = reference.cell.lengths()[0]
    assert rmsd_xy(strained(reference, 0.03, 0.0), reference) == pytest.approx(0.03 * a / 2**0.5)


def test_it_puts_the_strain_into_the_position_error_only_in_the_own_frame() -> None:
    reference = load(RECTANGULAR)
    predicted = strained(reference, 0.03, 0.03)
    own = structure_match(predicted, reference, config=MatchConfig(frame="own"))
    in_reference = structure_match(predicted, reference)
    assert in_reference.mse_2d_A2 < 1e-10 < own.mse_2d_A2 < 0.05


def test_it_measures_a_known_displacement_in_square_angstrom() -> None:
    reference = load(HBN)  # 2 atoms: one moved by d costs d²(n - 1)/n² after the best shift
    predicted = reference.copy()
    predicted.positions[0, :2] += [0.24, 0.32]
    match = structure_match(predicted, reference)
    assert match.mse_2d_A2 == pytest.approx(0.4**2 / 4, rel=1e-3)


def test_it_fails_a_wrong_atom_count_with_a_reason() -> None:
    reference = load(MOS2_2H)
    missing_s = reference[[s != "S" or i != 2 for i, s in enumerate(reference.symbols)]]
    score = score_sample(missing_s, reference)
    assert not score.structure_success and not score.composition_correct
    assert score.mse_2d_A2 is None
    assert any("atom count differs" in note for note in score.notes)


def test_it_counts_a_missing_prediction_as_a_failure() -> None:
    score = score_sample(
        None, load(GRAPHENE), sample_id="g", e_form_pred_eV_per_atom=0.1, e_form_ref_eV_per_atom=0.0
    )
    assert not score.has_prediction
    assert not score.composition_correct and not score.structure_success
    assert score.rmsd_xy_A is None
    assert score.energy_error_meV == pytest.approx(100.0)


def test_it_records_the_signed_energy_error_in_mev() -> None:
    reference = load(MOS2_2H)
    score = score_sample(
        reference, reference, e_form_pred_eV_per_atom=-0.80, e_form_ref_eV_per_atom=-0.842
    )
    assert score.energy_error_meV == pytest.approx(42.0)
    assert score_sample(reference, reference).energy_error_meV is None


def test_it_round_trips_scores_and_config_through_json() -> None:
    import json

    score = score_sample(load(MOS2_1T), load(MOS2_2H), sample_id="c2dm-MoS2-H")
    assert SampleScore.from_dict(json.loads(json.dumps(score.as_dict()))) == score
    config = MatchConfig(symprec_A=0.05, frame="own")
    assert MatchConfig.from_dict(json.loads(json.dumps(config.as_dict()))) == config


@pytest.mark.parametrize(
    ("key", "value"),
    [("symprec_A", 0.0), ("ss_threshold", 1.5), ("frame", "image"), ("max_coeff", 0)],
)
def test_it_rejects_bad_config_values_by_name(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        MatchConfig(**{key: value})
