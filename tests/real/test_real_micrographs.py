"""Real micrographs: the right structure, or a run that says it could not be trusted.

A public HAADF scan of Se-implanted MoS2 (tests/real/NOTICE.md) used to come back
``succeeded`` as MoS (P1, a = 2.92 Å). Its scan is distorted (the measured cell is 22.97 x
23.54 px at 117.3°, the lattice fit leaves 0.22 Å) and the element assignment reads one S
per column: what the agent makes of it is not trustworthy, and the run must say so.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from reconstruction.stem2cif.cli import main
from tests.real.micrographs import se_implanted_mos2

MOS2_A = 3.18  # Å, c2dm-MoS2-H


@pytest.fixture(scope="module")
def agent_result(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("real-mos2")
    code = main(
        [str(se_implanted_mos2()), "--elements", "Mo,S", "--mode", "haadf", "--agent",
         "--no-energy", "--out", str(out)]
    )  # fmt: skip
    result = json.loads((out / "result.json").read_text())
    result["exit_status"] = code
    return result


def test_real_mos2_is_right_or_says_it_needs_review(agent_result) -> None:
    status = agent_result["status"]
    if status == "succeeded":
        a = agent_result["lattice"]["a"]
        assert agent_result["formula"] == "MoS2" and abs(a / MOS2_A - 1) <= 0.03, agent_result
        assert agent_result["exit_status"] == 0
    else:
        assert status in ("needs_review", "failed")
        assert agent_result["exit_status"] in (1, 3)
        failed = [c for c in agent_result["review"] if not c["ok"]]
        assert failed or status == "failed"
        assert all(c["detail"] for c in failed)  # every reason in words


def test_the_uncalibrated_scan_gets_a_pixel_size_from_the_mos2_lattice() -> None:
    from reconstruction.data import monolayer
    from reconstruction.io import read_micrograph
    from reconstruction.stem2cif.suggest import suggest_pixel_sizes

    image = read_micrograph(se_implanted_mos2()).data  # its calibration is not used
    mos2 = monolayer("c2dm-MoS2-H")
    a, b, _, _, _, gamma = mos2.cell.cellpar()
    square = {"id": "square", "formula": "MoS2", "a": 3.18, "b": 3.18, "gamma": 90.0}
    found = suggest_pixel_sizes(
        image, [square, {"id": "c2dm-MoS2-H", "formula": "MoS2", "a": a, "b": b, "gamma": gamma}],
        mode="haadf",
    )  # fmt: skip
    assert [s.template_id for s in found] == ["c2dm-MoS2-H"]
    # 6 % above the file's 0.127 Å/px: the lattice of MoS2 measured on this scan.
    assert found[0].pixel_size_A == pytest.approx(0.135, abs=0.002)
    assert np.isclose(found[0].image_gamma_deg, 117.3, atol=0.5)  # the scan's shear
