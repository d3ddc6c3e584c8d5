"""An uncalibrated micrograph on the command line: the refusal says which pixel sizes the
lattices of known monolayers of the entered elements give (as the sample page does)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, simulate_fast
from reconstruction.stem2cif.cli import main


@pytest.fixture(scope="module")
def uncalibrated_mos2(tmp_path_factory):
    """A PNG (never calibrated) of HAADF MoS2 recorded at 0.08 Å/px."""
    config = ImagingConfig(
        mode="haadf", dose_e_per_A2=3e4, pixel_size_A=0.08, shape_px=(320, 320),
        rotation_deg=11.0, seed=2,
    )  # fmt: skip
    image = simulate_fast(monolayer("c2dm-MoS2-H"), config).image
    path = tmp_path_factory.mktemp("png") / "mos2.png"
    Image.fromarray((255 * (image - image.min()) / np.ptp(image)).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("agent", [False, True])
def test_the_refusal_names_the_pixel_size_the_lattice_suggests(
    uncalibrated_mos2, tmp_path, capsys, agent
):
    argv = [str(uncalibrated_mos2), "--elements", "Mo,S", "--mode", "haadf", "--no-energy",
            "--out", str(tmp_path)] + (["--agent"] if agent else [])  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "carries no pixel size" in err and "pass --pixel-size" in err
    first = re.search(r"known monolayers of Mo,S at (\d\.\d{4}) \(([^,]+), MoS2\)", err)
    assert first, err
    assert float(first.group(1)) == pytest.approx(0.08, rel=0.02)
    result = json.loads((tmp_path / "result.json").read_text())
    assert "known monolayers of Mo,S" in result["error"]


def test_without_elements_it_only_asks_for_the_pixel_size(uncalibrated_mos2, tmp_path, capsys):
    assert main([str(uncalibrated_mos2), "--out", str(tmp_path), "--no-energy"]) == 1
    err = capsys.readouterr().err
    assert "pass --pixel-size" in err and "known monolayers" not in err
