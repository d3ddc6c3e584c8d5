import json

import numpy as np
import pytest
import tifffile

from reconstruction.settings import ScienceSettings
from reconstruction.stem2cif.cli import main

from .structures import simulated

#: Exit status of a run that needs review: every direct run (never checked by simulation).
NEEDS_REVIEW = 3


def _tiff(tmp_path, image) -> str:
    path = tmp_path / "image.tif"
    tifffile.imwrite(path, np.asarray(image, dtype=np.float32))
    return str(path)


def test_it_writes_cif_result_and_overlay(tmp_path):
    image = _tiff(tmp_path, simulated("MoS2", rotation_deg=37.0).image)
    out = tmp_path / "out"
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(out), "--no-energy"]
    assert main(args) == NEEDS_REVIEW
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "needs_review" and result["policy"] == "direct"
    assert [c["name"] for c in result["review"] if not c["ok"]] == ["forward_model"]
    assert result["formula"] == "MoS2"
    assert result["elements"] == ["Mo", "S"]
    assert abs(result["lattice"]["a"] - 3.184) < 0.01
    assert result["lattice"]["gamma"] == 120.0
    assert result["spacegroup"] == "P-6m2"
    assert result["energy"] is None
    assert result["steps"][0]["tool"] == "stem2cif" and result["steps"][0]["ok"]
    assert "stem2cif" in result["timings_s"] and result["stem2cif"]["stages_s"]
    assert result["mode"] == "idpc" and result["pixel_size_A"] == 0.1
    assert (out / "structure.cif").read_text().startswith("# generated using pymatgen")
    assert (out / "structure.cif").read_text() == result["cif"]
    assert (out / "overlay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_it_says_on_one_line_why_the_structure_needs_review(tmp_path, capsys):
    image = _tiff(tmp_path, simulated("MoS2").image)
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(tmp_path / "o")]
    assert main([*args, "--no-energy"]) == NEEDS_REVIEW
    err = capsys.readouterr().err.strip()
    assert err.startswith("automat reconstruct: needs review:") and "\n" not in err
    assert "never compared with the image by simulation" in err and "--policy rules" in err


def test_it_fails_with_one_line_and_a_failed_result(tmp_path, capsys):
    image = _tiff(tmp_path, simulated("MoS2").image)
    out = tmp_path / "out"
    code = main([image, "--elements", "Mo,S", "--out", str(out)])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("automat reconstruct:") and "\n" not in err
    assert "pixel" in err
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "failed"
    assert result["error"]


def test_it_fails_cleanly_on_a_missing_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [str(tmp_path / "nope.tif"), "--elements", "C", "--pixel-size", "0.1", "--out", str(out)]
    )
    assert code != 0
    assert json.loads((out / "result.json").read_text())["status"] == "failed"


def test_it_registers_as_an_automat_subcommand():
    import argparse

    from reconstruction.stem2cif.cli import add_parser, run

    parser = argparse.ArgumentParser(prog="automat")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["reconstruct", "x.tif", "--elements", "Mo,S", "--pixel-size", "0.1"])
    assert args.func is run and args.pixel_size == 0.1
    assert args.mode is None  # resolved from the file's signal name once it is read


def test_the_mode_defaults_to_what_the_file_calls_its_signal(tmp_path):
    from argparse import Namespace

    from reconstruction.stem2cif.cli import _read
    from tests.fixtures import micrographs

    emd = micrographs.velox(tmp_path / "scan.emd")  # default signal: HAADF
    args = Namespace(image=str(emd), pixel_size=None, mode=None)
    _read(args)
    assert args.mode == "haadf"
    tif = micrographs.calibrated_tiff(tmp_path / "a.tif")  # says nothing: the default
    args = Namespace(image=str(tif), pixel_size=None, mode=None)
    _read(args)
    assert args.mode == "idpc"
    args = Namespace(image=str(emd), pixel_size=None, mode="abf")  # a choice wins
    _read(args)
    assert args.mode == "abf"


def test_it_relaxes_and_reports_the_formation_energy(tmp_path):
    science = ScienceSettings(energy_cache_dir=tmp_path / "refs")
    image = _tiff(tmp_path, simulated("MoS2", rotation_deg=12.0).image)
    out = tmp_path / "out"
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(out)]
    assert main(args, settings=science) == NEEDS_REVIEW
    result = json.loads((out / "result.json").read_text())
    energy = result["energy"]
    # DFT (C2DM, PBE): -0.842 eV/atom; SevenNet-0 with fitted references is within 0.2.
    assert abs(energy["formation_energy_per_atom"] - (-0.842)) < 0.2, energy
    assert energy["model"] == "sevennet-0" and energy["relaxed"] and energy["converged"]
    assert [s["tool"] for s in result["steps"]] == ["stem2cif", "predict_properties"]
    assert result["timings_s"]["predict_properties"] > 0


def test_it_scores_without_relaxing_when_asked(tmp_path):
    science = ScienceSettings(energy_cache_dir=tmp_path / "refs")
    image = _tiff(tmp_path, simulated("MoS2").image)
    out = tmp_path / "out"
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(out), "--no-relax"]
    assert main(args, settings=science) == NEEDS_REVIEW
    energy = json.loads((out / "result.json").read_text())["energy"]
    assert energy["relaxed"] is False and isinstance(energy["formation_energy_per_atom"], float)


def test_it_uses_the_shipped_library_within_the_distance_asked(tmp_path):
    image = _tiff(tmp_path, simulated("MoS2", rotation_deg=37.0).image)
    base = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--no-energy", "--templates"]
    templates = {}
    for name, extra in (
        ("default", []),
        ("rdf", ["--template-max-distance", "0"]),
        ("strict", ["--template-max-distance", "0", "--template-rdf-max-distance", "0"]),
        ("held", ["--exclude-templates", "c2dm-MoS2-H"]),
    ):
        out = tmp_path / name
        assert main([*base, "--out", str(out), *extra]) == NEEDS_REVIEW
        templates[name] = json.loads((out / "result.json").read_text())["prior"]
    assert templates["default"]["accepted"]
    assert templates["default"]["id"] == "c2dm-MoS2-H"
    assert templates["strict"]["id"] == templates["default"]["id"]
    assert not templates["strict"]["accepted"]
    # rich refused at distance 0: the nearest by the pair histogram is offered instead
    assert templates["rdf"]["id"] == "c2dm-MoS2-H" and templates["rdf"]["vector"] == "rdf"
    assert templates["rdf"]["accepted"]
    assert "distance" in templates["strict"]["reason"]
    assert templates["held"]["id"] != "c2dm-MoS2-H"


@pytest.mark.parametrize("policy", [["--policy", "direct"], ["--policy", "rules"], ["--agent"]])
def test_its_result_json_is_the_agents_result(tmp_path, policy):
    from reconstruction.agent import AgentResult

    image = _tiff(tmp_path, simulated("MoS2").image)
    out = tmp_path / "out"
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(out), "--no-energy"]
    code = main([*args, *policy])
    result = json.loads((out / "result.json").read_text())
    assert result == AgentResult.from_dict(result).as_dict()
    assert result["policy"] == policy[-1].replace("--agent", "rules")
    assert code == {"succeeded": 0, "needs_review": NEEDS_REVIEW}[result["status"]]
    assert result["formula"] == "MoS2" and (out / "overlay.png").is_file()


def test_a_read_failure_is_the_agents_result_too(tmp_path):
    from reconstruction.agent import AgentResult

    out = tmp_path / "out"
    assert main([str(tmp_path / "nope.tif"), "--elements", "C", "--out", str(out)]) == 1
    result = json.loads((out / "result.json").read_text())
    assert result == AgentResult.from_dict(result).as_dict()
    assert result["status"] == "failed" and "cannot read" in result["error"]


def test_options_of_the_direct_policy_are_refused_with_rules(tmp_path, capsys):
    image = _tiff(tmp_path, simulated("MoS2").image)
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(tmp_path / "o")]
    assert main([*args, "--agent", "--template-max-distance", "0"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "automat reconstruct: --template-max-distance: only with --policy direct (the rules "
        "policy matches templates itself)"
    )


def test_it_takes_heights_from_a_structure_file(tmp_path):
    import ase.io

    from reconstruction.data import monolayer
    from reconstruction.stem2cif import reconstruct

    image = simulated("MoS2").image
    ase.io.write(tmp_path / "template.cif", monolayer("c2dm-MoS2-H"), format="cif")
    out = tmp_path / "out"
    args = [_tiff(tmp_path, image), "--elements", "Mo,S", "--pixel-size", "0.1", "--no-energy",
            "--template", str(tmp_path / "template.cif"), "--out", str(out)]  # fmt: skip
    assert main(args) == NEEDS_REVIEW
    plain = reconstruct(
        image, pixel_size_A=0.1, elements="Mo,S", template=ase.io.read(tmp_path / "template.cif")
    )
    assert (out / "structure.cif").read_text() == plain.cif


def test_a_missing_library_is_a_one_line_reason(tmp_path, capsys):
    image = _tiff(tmp_path, simulated("MoS2").image)
    args = [image, "--elements", "Mo,S", "--pixel-size", "0.1", "--out", str(tmp_path / "o")]
    assert main([*args, "--templates", str(tmp_path / "none.npz")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"automat reconstruct: template library dump {tmp_path / 'none.npz'}")
    assert "\n" not in err
