"""The imaging mode a signal's name states, and nothing guessed when it states none."""

from __future__ import annotations

import pytest

from reconstruction.io.modes import check_mode, mode_from_signal


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("HAADF", "haadf"), ("ADF", "haadf"), ("MAADF", "haadf"), ("HAADF_1", "haadf"),
        ("iDPC", "idpc"), ("DPC", "idpc"), ("iCoM", "idpc"), ("ABF", "abf"),
        ("BF", None), ("DF4-A", None), ("DF-S", None), ("image", None), ("Channel 0", None),
        ("Composite", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_it_reads_the_mode_a_signal_name_states(name, mode) -> None:
    assert mode_from_signal(name) == mode


def test_it_names_the_modes_it_takes() -> None:
    assert check_mode(" HAADF ") == "haadf"
    with pytest.raises(ValueError, match="HAADF, iDPC, ABF"):
        check_mode("bf")
