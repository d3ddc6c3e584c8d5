"""``automat denoise IMAGE OUT.tif``: same shape and calibration, clear errors."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from reconstruction.bench.build import write_calibrated_tiff
from reconstruction.denoise.cli import add_parsers
from reconstruction.io import read_micrograph
from tests.reconstruction.denoise.conftest import simulated


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_the_automat_command_knows_denoise():
    from automat_web.cli import build_parser

    args = build_parser().parse_args(["denoise", "in.tif", "out.tif", "--pixel-size", "0.1"])
    assert args.func.__name__ == "run_denoise"
    assert build_parser().parse_args(["denoise-train"]).func.__name__ == "run_train"


@pytest.mark.parametrize("method", ["gaussian", "moe"])
def test_it_writes_a_float32_tiff_with_the_same_calibration(method, tmp_path, capsys):
    image = simulated("2dlam-VSe2-1", size=96).image[:, :80]
    write_calibrated_tiff(tmp_path / "in.tif", image, 0.1)
    assert run(["denoise", str(tmp_path / "in.tif"), str(tmp_path / "out.tif"),
                "--method", method]) == 0  # fmt: skip
    out = read_micrograph(tmp_path / "out.tif")
    assert out.data.shape == (96, 80) and out.data.dtype == np.float32
    assert out.calibration.pixel_size_A == pytest.approx(0.1, rel=1e-4)
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == method and report["pixel_size_A"] == pytest.approx(0.1)
    assert report["noise_after"]["sigma"] < report["noise_before"]["sigma"]


def test_pixel_size_option_overrides_the_file(tmp_path):
    image = simulated("2dlam-VSe2-1", size=96).image
    write_calibrated_tiff(tmp_path / "in.tif", image, 0.5)
    argv = ["denoise", str(tmp_path / "in.tif"), str(tmp_path / "out.tif"), "--method", "gaussian"]
    assert run([*argv, "--pixel-size", "0.1"]) == 0
    assert read_micrograph(tmp_path / "out.tif").calibration.pixel_size_A == pytest.approx(0.1)


def test_bad_input_exits_1_with_a_reason(tmp_path, capsys):
    bad = np.full((64, 64), np.nan, dtype=np.float32)
    write_calibrated_tiff(tmp_path / "nan.tif", bad, 0.1)
    assert run(["denoise", str(tmp_path / "nan.tif"), str(tmp_path / "o.tif")]) == 1
    assert "NaN" in capsys.readouterr().err
    (tmp_path / "junk.tif").write_bytes(b"not an image")
    assert run(["denoise", str(tmp_path / "junk.tif"), str(tmp_path / "o.tif")]) == 1
    assert "automat denoise" in capsys.readouterr().err
    assert not (tmp_path / "o.tif").exists()
