import numpy as np
import pytest

from reconstruction.errors import ElementsInconsistent
from reconstruction.stem2cif.elements import SiteAssignment, assign_elements

IDPC = {"Mo": 1.0, "S": 0.505}


def test_it_finds_stacked_s2_columns_as_bright_as_mo():
    assignment = assign_elements(np.array([1.0, 1.04]), ["Mo", "S"], response=IDPC)
    assert sorted(assignment.contents) == [("Mo", 1), ("S", 2)]
    assert assignment.formula == "MoS2"


def test_it_prefers_single_columns_when_the_contrast_says_so():
    assignment = assign_elements(np.array([1.0, 0.5, 0.51]), ["Mo", "S"], response=IDPC)
    assert assignment.contents == (("Mo", 1), ("S", 1), ("S", 1))


def test_it_uses_the_z_power_law_without_a_response_table():
    assignment = assign_elements(np.array([1.0, 0.0085]), ["B", "Bi"], mode="haadf")
    assert assignment.contents == (("Bi", 1), ("B", 1))
    assert min(assignment.confidence) > 0.8


def test_it_rejects_more_elements_than_sites():
    with pytest.raises(ElementsInconsistent, match="3 elements"):
        assign_elements(np.array([1.0, 1.0]), ["B", "C", "N"])


def test_it_round_trips_an_assignment_through_a_dict():
    assignment = assign_elements(np.array([1.0, 1.04]), ["Mo", "S"], response=IDPC)
    assert SiteAssignment.from_dict(assignment.as_dict()) == assignment


def test_it_prefers_the_stoichiometries_it_is_given():
    """Between two readings the contrast barely tells apart (an S column 0.7 of Mo: one S
    or two?), the one the library in use knows wins; a library without MoS2 (a held-out
    test) no longer hands that answer over."""
    intensity = np.array([1.0, 0.7])
    read = {
        known: assign_elements(intensity, ["Mo", "S"], response=IDPC, known=known).formula
        for known in (frozenset({"MoS2"}), frozenset({"MoS"}))
    }
    assert read == {frozenset({"MoS2"}): "MoS2", frozenset({"MoS"}): "MoS"}
