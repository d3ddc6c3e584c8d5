"""Benchmark selection and tiers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms

from reconstruction.metrics import (
    LOOSE,
    STRICT,
    BenchmarkFilter,
    Qualification,
    TierAssignment,
    assign_tier,
    projected_overlap,
    qualify,
    sample_dose,
)
from tests.reconstruction.metrics.helpers import (
    GRAPHENE,
    HBN,
    MOS2_2H,
    RECTANGULAR,
    SIBR4,
    TERNARY,
    load,
)


@pytest.mark.parametrize("structure_id", [MOS2_2H, GRAPHENE, HBN, TERNARY, RECTANGULAR, SIBR4])
def test_it_reproduces_the_data_set_filter_flags(structure_id: str) -> None:
    atoms = load(structure_id)
    for criteria, flag in ((STRICT, "pass_t3"), (LOOSE, "pass_t4")):
        without_overlap = BenchmarkFilter(**{**criteria.as_dict(), "max_overlap": 1.0})
        assert qualify(atoms, criteria=without_overlap).qualifies == bool(atoms.info[flag])


def test_it_says_why_a_structure_does_not_qualify() -> None:
    mos2 = qualify(load(MOS2_2H))
    assert not mos2.qualifies and len(mos2.reasons) == 1 and "thickness" in mos2.reasons[0]
    assert qualify(load(MOS2_2H), criteria=LOOSE).qualifies
    hbn = qualify(load(HBN))
    assert any("Z span 2" in reason for reason in hbn.reasons)


def test_it_does_not_count_stacked_atoms_of_one_element_as_overlap() -> None:
    assert projected_overlap(load(MOS2_2H)) == 0.0  # S above and below Mo: one S column


def test_it_counts_atoms_of_different_elements_in_one_column() -> None:
    cell = [[3.0, 0, 0], [-1.5, 3.0 * np.sqrt(3) / 2, 0], [0, 0, 20.0]]
    columns = Atoms(
        "BNCC",
        positions=[[0, 0, 10], [0.1, 0.1, 11.5], [1.5, 0.87, 10], [0, 1.73, 10]],
        cell=cell,
        pbc=True,
    )
    assert projected_overlap(columns) == pytest.approx(0.5)  # B and N share a column
    assert projected_overlap(columns, radius_A=0.1) == 0.0
    assert not qualify(columns).qualifies


@pytest.mark.parametrize(
    ("structure_id", "tier", "doses"),
    [(GRAPHENE, 1, (5e4, 6e4)), (MOS2_2H, 2, (3e4, 4e4)), (TERNARY, 3, (1e4, 2e4))],
)
def test_it_assigns_tier_and_dose_range(structure_id: str, tier: int, doses) -> None:
    assignment = assign_tier(load(structure_id))
    assert assignment == TierAssignment(tier, doses)
    rng = np.random.default_rng(0)
    draws = [sample_dose(assignment, rng) for _ in range(100)]
    assert doses[0] <= min(draws) and max(draws) <= doses[1]


def test_it_has_no_tier_for_four_elements() -> None:
    quaternary = Atoms("BCNO", positions=np.eye(4, 3) * 1.5 + [0, 0, 10], cell=[5, 5, 20])
    with pytest.raises(ValueError, match="4 elements"):
        assign_tier(quaternary)


def test_it_round_trips_its_results_through_json() -> None:
    for value in (qualify(load(TERNARY)), assign_tier(load(TERNARY)), LOOSE):
        cls = type(value)
        assert cls.from_dict(json.loads(json.dumps(value.as_dict()))) == value
    assert isinstance(qualify(load(HBN)), Qualification)
