"""The pure edit functions (no database): move, add and set_lattice on a fixed MoS2 layer,
asserted by distances, formula and cell."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.geometry import cellpar_to_cell

from automat_web.structures.editing import (
    MIN_DISTANCE_A,
    CorrectionError,
    apply_edits,
    checked_edits,
    describe,
    sites,
)

A, C = 3.184, 20.0


@pytest.fixture
def mos2() -> Atoms:
    """One 2H-MoS2 layer: Mo at the origin, two S above each other, 20 Å of cell along c."""
    return Atoms(
        ["Mo", "S", "S"],
        scaled_positions=[[0, 0, 0.5], [1 / 3, 2 / 3, 0.4217], [1 / 3, 2 / 3, 0.5783]],
        cell=cellpar_to_cell([A, A, C, 90, 90, 120]),
        pbc=True,
    )


def _nearest(atoms: Atoms, i: int) -> float:
    d = atoms.get_all_distances(mic=True)[i]
    return float(np.min(np.delete(d, i)))


def test_move_puts_a_site_at_fractions_and_a_height(mos2) -> None:
    moved = apply_edits(mos2, [{"op": "move", "site": 1, "x": 0.6667, "y": 0.3333, "z_A": 8.2}])
    row = sites(moved)[1]
    assert (row["element"], row["x"], row["y"], row["z_A"]) == ("S", 0.6667, 0.3333, 8.2)
    assert np.allclose(moved.cell, mos2.cell)  # c and so the vacuum are kept
    assert describe(moved)["formula"] == "MoS2" and len(moved) == 3
    assert np.allclose(moved.positions[[0, 2]], mos2.positions[[0, 2]])


def test_add_appends_a_site(mos2) -> None:
    edits = [{"op": "add", "element": "se", "x": 0.6667, "y": 0.3333, "z_A": 10.0}]
    grown = apply_edits(mos2, edits)
    assert grown.get_chemical_symbols() == ["Mo", "S", "S", "Se"]
    assert describe(grown)["formula"] == "MoSeS2"
    assert _nearest(grown, 3) > 1.5
    assert checked_edits(edits, 3)[0]["element"] == "Se"


def test_set_lattice_scales_sites_with_the_cell(mos2) -> None:
    wider = apply_edits(mos2, [{"op": "set_lattice", "a": 3.3, "b": 3.3, "gamma": 120}])
    a, b, c, _, _, gamma = wider.cell.cellpar()
    assert (a, b, c, gamma) == pytest.approx((3.3, 3.3, C, 120))
    assert np.allclose(wider.get_scaled_positions(), mos2.get_scaled_positions(), atol=1e-9)
    assert np.allclose(wider.positions[:, 2], mos2.positions[:, 2])  # heights kept
    # In-plane Mo-S distance grows with a.
    old, new = mos2.get_distance(0, 1, mic=True), wider.get_distance(0, 1, mic=True)
    old_plane = np.hypot(old, 0) ** 2 - (mos2.positions[1, 2] - mos2.positions[0, 2]) ** 2
    new_plane = new**2 - (wider.positions[1, 2] - wider.positions[0, 2]) ** 2
    assert np.sqrt(new_plane / old_plane) == pytest.approx(3.3 / A, rel=1e-6)
    assert describe(wider)["a"] == pytest.approx(3.3)


def test_edits_combine_in_a_fixed_order(mos2) -> None:
    result = apply_edits(
        mos2,
        [
            {"op": "set_lattice", "a": 3.3, "b": 3.3, "gamma": 120},
            {"op": "add", "element": "W", "x": 0.6667, "y": 0.3333, "z_A": 10.0},
            {"op": "remove", "site": 2},
            {"op": "move", "site": 1, "x": 0.3333, "y": 0.6667, "z_A": 10.0},
            {"op": "set_element", "site": 0, "element": "W"},
        ],
    )
    assert result.get_chemical_symbols() == ["W", "S", "W"]
    assert result.cell.cellpar()[0] == pytest.approx(3.3)


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([{"op": "add", "element": "S", "x": 0.0, "y": 0.0, "z_A": 10.2}], "the added S"),
        ([{"op": "move", "site": 2, "x": 1 / 3, "y": 2 / 3, "z_A": 8.6}], "site 2 moved"),
        (
            [
                {"op": "move", "site": 1, "x": 0.2, "y": 0.0, "z_A": 10.0},  # 0.64 Å from Mo
                {"op": "set_lattice", "a": 2.0, "b": 2.0, "gamma": 120},  # 0.4 Å
            ],
            "site 0 .Mo. would be 0.40 Å from site 1 moved to",
        ),
        ([{"op": "move", "site": 1, "x": 1.3, "y": 0.5, "z_A": 9}], "x of site 1"),
        ([{"op": "move", "site": 1, "x": 0.3, "y": "a", "z_A": 9}], "y of site 1 must be a num"),
        ([{"op": "move", "site": 1, "x": 0.3, "y": 0.5, "z_A": 25}], "z_A of site 1 must lie"),
        ([{"op": "move", "site": 1, "x": 0.3, "y": 0.5}], "z_A of site 1"),
        ([{"op": "move", "site": 5, "x": 0.3, "y": 0.5, "z_A": 9}], "site 5 does not exist"),
        ([{"op": "add", "element": "Zz", "x": 0.3, "y": 0.5, "z_A": 9}], "not an element"),
        ([{"op": "add", "element": "S", "x": float("nan"), "y": 0, "z_A": 9}], "finite"),
        ([{"op": "set_lattice", "a": 0.2, "b": 3, "gamma": 120}], "lattice a must be"),
        ([{"op": "set_lattice", "a": 3, "b": -3, "gamma": 120}], "lattice b must be"),
        ([{"op": "set_lattice", "a": 3, "b": 3, "gamma": 179}], "lattice gamma must be"),
        ([{"op": "set_lattice", "a": 3, "b": 3}], "lattice gamma must be a number"),
        ([{"op": "set_lattice", "a": 3, "b": 3, "gamma": 120}] * 2, "set twice"),
        (
            [
                {"op": "move", "site": 1, "x": 0.1, "y": 0.1, "z_A": 9},
                {"op": "remove", "site": 1},
            ],
            "site 1 is edited twice",
        ),
    ],
)
def test_it_refuses_edits_with_a_message(mos2, edits, message) -> None:
    with pytest.raises(CorrectionError, match=message):
        apply_edits(mos2, edits)


def test_removing_everything_but_an_added_site_is_allowed(mos2) -> None:
    edits = [{"op": "remove", "site": i} for i in range(3)]
    with pytest.raises(CorrectionError, match="at least one site"):
        apply_edits(mos2, edits)
    edits.append({"op": "add", "element": "C", "x": 0.0, "y": 0.0, "z_A": 10.0})
    assert apply_edits(mos2, edits).get_chemical_symbols() == ["C"]
    assert MIN_DISTANCE_A == 0.5
