"""Defocus and source size drawn per sample: ranges honoured and recorded, default unchanged."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from reconstruction.bench.build import build, build_sample
from reconstruction.bench.cli import add_parser
from reconstruction.bench.dataset import SampleSpec, read_dataset, select
from reconstruction.data import load_monolayers, monolayer
from reconstruction.io import read_micrograph

DEFOCUS = (-20.0, 20.0)
SOURCE = (0.4, 0.8)


@pytest.fixture(scope="module")
def structures() -> list:
    """Every 20th monolayer: qualifying all 6,064 takes seconds per selection."""
    return load_monolayers()[::20]


@pytest.fixture
def few(structures, monkeypatch) -> list:
    """``build`` selects from ``structures``."""
    monkeypatch.setattr("reconstruction.bench.build.load_monolayers", lambda path=None: structures)
    return structures


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="automat")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["bench", "build", "out", *argv])


def test_it_draws_each_samples_optics_within_the_ranges(structures: list) -> None:
    plain = select(structures, n=9, seed=3)
    drawn = select(structures, n=9, seed=3, defocus_A=DEFOCUS, source_size_A=SOURCE)
    assert all(DEFOCUS[0] <= s.defocus_A <= DEFOCUS[1] for s in drawn)
    assert all(SOURCE[0] <= s.source_size_A <= SOURCE[1] for s in drawn)
    assert len({s.defocus_A for s in drawn}) == 9 and len({s.source_size_A for s in drawn}) == 9
    assert drawn == select(structures, n=9, seed=3, defocus_A=DEFOCUS, source_size_A=SOURCE)
    # Structures, doses, rotations and noise seeds come from the seed alone.
    assert [dataclasses.replace(s, defocus_A=0.0, source_size_A=0.0) for s in drawn] == plain
    assert all(s.defocus_A == 0.0 and s.source_size_A == 0.0 for s in plain)
    # One range does not move the other's draws; LO == HI is a fixed value.
    alone = select(structures, n=9, seed=3, source_size_A=SOURCE)
    assert [s.source_size_A for s in alone] == [s.source_size_A for s in drawn]
    fixed = select(structures, n=3, seed=3, defocus_A=(-5.0, -5.0))
    assert [s.defocus_A for s in fixed] == [-5.0] * 3


def test_it_records_the_drawn_optics_in_meta_and_the_ranges_in_the_manifest(
    tmp_path: Path, few: list
) -> None:
    build(tmp_path / "set", n=2, seed=7, workers=1, progress=False, defocus_A=DEFOCUS,
          source_size_A=SOURCE)  # fmt: skip
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    assert (manifest["defocus_A"], manifest["source_size_A"]) == ([-20.0, 20.0], [0.4, 0.8])
    specs = select(few, n=2, seed=7, defocus_A=DEFOCUS, source_size_A=SOURCE)
    for sample, spec in zip(read_dataset(tmp_path / "set"), specs, strict=True):
        assert SampleSpec.from_dict(sample.meta) == spec
        assert spec.source_size_A > 0 and spec.defocus_A != 0
    build(tmp_path / "plain", n=2, seed=7, workers=1, progress=False)
    manifest = json.loads((tmp_path / "plain" / "manifest.json").read_text())
    assert (manifest["defocus_A"], manifest["source_size_A"]) == (None, None)


def test_the_source_blur_softens_the_image(tmp_path: Path) -> None:
    spec = SampleSpec(
        sample_id="0000-c2dm-MoS2-H", structure_id="c2dm-MoS2-H", tier=2,
        dose_e_per_A2=None, rotation_deg=0.0, pixel_size_A=0.1, shape_px=256,
        mode="haadf", simulator="fast", seed=1,
    )  # fmt: skip
    images = {}
    for name, optics in {"sharp": {}, "blurred": {"source_size_A": 0.8, "defocus_A": 20.0}}.items():
        build_sample(dataclasses.replace(spec, **optics), tmp_path / name)
        images[name] = read_micrograph(tmp_path / name / spec.sample_id / "image.tif").data
    sharp, blurred = (np.asarray(images[k], float) for k in ("sharp", "blurred"))
    assert blurred.std() < 0.8 * sharp.std()  # a heavier blur flattens the columns' peaks


def test_the_default_simulates_what_it_did_before_the_options(
    tmp_path: Path, structures: list
) -> None:
    from reconstruction.simulate import ImagingConfig, simulate_fast

    (spec,) = select(structures, n=1, seed=11)
    meta = build_sample(spec, tmp_path)
    assert (meta["defocus_A"], meta["source_size_A"]) == (0.0, 0.0)
    before = ImagingConfig(
        mode=spec.mode, dose_e_per_A2=spec.dose_e_per_A2, pixel_size_A=spec.pixel_size_A,
        shape_px=(spec.shape_px, spec.shape_px), rotation_deg=spec.rotation_deg, seed=spec.seed,
    )  # fmt: skip
    expected = simulate_fast(monolayer(spec.structure_id), before).image
    image = read_micrograph(tmp_path / spec.sample_id / "image.tif").data
    assert np.array_equal(np.asarray(image, np.float32), expected)
    # A meta.json written before the options existed reads as defocus 0, no blur.
    old = {k: v for k, v in spec.as_dict().items() if k not in ("defocus_A", "source_size_A")}
    assert SampleSpec.from_dict(old) == spec


def test_the_cli_takes_negative_ranges_and_defaults_to_none() -> None:
    args = _parse("--defocus-A", "-20,20", "--source-size-A", "0.4,0.8")
    assert (args.defocus_A, args.source_size_A) == ((-20.0, 20.0), (0.4, 0.8))
    assert _parse("--defocus-A=-30,-10").defocus_A == (-30.0, -10.0)
    args = _parse()
    assert (args.defocus_A, args.source_size_A) == (None, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--defocus-A", "20,-20"), "LO <= HI"),
        (("--source-size-A", "-0.1,0.5"), ">= 0"),
        (("--source-size-A", "0.5"), "two numbers LO,HI"),
        (("--defocus-A", "1,2,3"), "two numbers LO,HI"),
        (("--defocus-A", "a,b"), "must be LO,HI"),
        (("--defocus-A", "nan,1"), "finite"),
    ],
)
def test_a_bad_range_is_a_clear_usage_error(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        _parse(*argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[0]}" in err and message in err


def test_the_api_refuses_a_bad_range_too(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="source_size_A must be >= 0"):
        build(tmp_path / "x", n=1, seed=0, source_size_A=(-1.0, 1.0), progress=False)
