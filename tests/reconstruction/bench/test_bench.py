"""The benchmark harness end to end on a tiny set: build, run, score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconstruction.bench.build import build
from reconstruction.bench.dataset import read_dataset, select
from reconstruction.bench.run import run
from reconstruction.bench.score import score
from reconstruction.data import load_monolayers
from reconstruction.io import read_micrograph
from reconstruction.settings import ScienceSettings


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "set"
    build(out, n=3, seed=7, workers=1, progress=False)
    return out


def test_it_selects_deterministically_across_tiers() -> None:
    structures = load_monolayers()
    first = select(structures, n=9, seed=3)
    again = select(structures, n=9, seed=3)
    assert first == again
    assert sorted(s.tier for s in first) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert select(structures, n=9, seed=4) != first
    for spec in first:
        low, high = {1: (5e4, 6e4), 2: (3e4, 4e4), 3: (1e4, 2e4)}[spec.tier]
        assert low <= spec.dose_e_per_A2 <= high
        assert 0 <= spec.rotation_deg < 360


def test_it_writes_calibrated_images_truth_and_meta(tiny_set: Path) -> None:
    samples = read_dataset(tiny_set)
    assert len(samples) == 3
    for sample in samples:
        micro = read_micrograph(sample.image)
        assert micro.calibration.pixel_size_A == pytest.approx(0.1, rel=1e-6)
        assert micro.data.shape == (sample.meta["shape_px"],) * 2
        assert sample.truth.read_text().startswith("data_")
        assert set(sample.meta) >= {"elements", "tier", "dose_e_per_A2", "rotation_deg"}


def test_it_resumes_without_redoing_samples(tiny_set: Path) -> None:
    stamps = {p: p.stat().st_mtime_ns for p in tiny_set.glob("*/image.tif")}
    build(tiny_set, n=3, seed=7, workers=1, progress=False)
    assert {p: p.stat().st_mtime_ns for p in tiny_set.glob("*/image.tif")} == stamps


def test_an_unrotated_companion_holds_the_same_samples_without_rotation(tmp_path: Path) -> None:
    rotated, upright = tmp_path / "rotated", tmp_path / "upright"
    build(rotated, n=3, seed=7, workers=1, progress=False, unrotated=upright)
    pairs = zip(read_dataset(rotated), read_dataset(upright), strict=True)
    for turned, straight in pairs:
        assert turned.folder.name == straight.folder.name
        assert straight.meta["rotation_deg"] == 0.0 and turned.meta["rotation_deg"] != 0.0
        same = ("structure_id", "dose_e_per_A2", "seed", "shape_px", "tier")
        assert {k: straight.meta[k] for k in same} == {k: turned.meta[k] for k in same}
    assert json.loads((upright / "manifest.json").read_text())["rotate"] is False
    # An unrotated data set built on its own picks the same structures.
    alone = [s.structure_id for s in select(load_monolayers(), n=3, seed=7, rotate=False)]
    assert alone == [s.meta["structure_id"] for s in read_dataset(upright)]
    with pytest.raises(ValueError, match="rotated build"):
        build(tmp_path / "x", n=3, seed=7, rotate=False, unrotated=tmp_path / "y")


def test_it_scores_the_oracle_perfectly(tiny_set: Path, tmp_path: Path) -> None:
    run(tiny_set, tmp_path, method="oracle", workers=1, progress=False, energy="none")
    table = score(tiny_set, tmp_path)["table"]["overall"]
    assert (table["cc_percent"], table["ss_percent"], table["rmsd_xy_median_A"]) == (
        100.0, 100.0, pytest.approx(0.0, abs=1e-6),
    )  # fmt: skip
    assert json.loads((tmp_path / "scores.json").read_text())["table"]["overall"]["n"] == 3


def test_it_counts_a_failed_method_as_wrong(tiny_set: Path, tmp_path: Path) -> None:
    run(tiny_set, tmp_path, method="naive", workers=1, progress=False)
    victim = read_dataset(tiny_set)[0].sample_id
    (tmp_path / victim / "result.json").write_text(json.dumps({"status": "failed"}))
    overall = score(tiny_set, tmp_path)["table"]["overall"]
    assert overall["n_failed"] == 1
    assert overall["cc_percent"] <= 100 * 2 / 3


def test_it_counts_an_unreadable_structure_as_failed(tiny_set: Path, tmp_path: Path) -> None:
    run(tiny_set, tmp_path, method="oracle", workers=1, progress=False, energy="none")
    victim = read_dataset(tiny_set)[1].sample_id
    (tmp_path / victim / "structure.cif").write_text(
        "data_x\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 180\n"
    )
    overall = score(tiny_set, tmp_path)["table"]["overall"]
    assert overall["n_failed"] == 1 and overall["ss_percent"] == pytest.approx(200 / 3)


def test_it_scores_the_oracles_energy_against_dft(tmp_path: Path) -> None:
    from reconstruction.bench.build import build_sample
    from reconstruction.bench.dataset import SampleSpec

    spec = SampleSpec(
        sample_id="0000-c2dm-MoS2-H", structure_id="c2dm-MoS2-H", tier=2,
        dose_e_per_A2=3e4, rotation_deg=0.0, pixel_size_A=0.1, shape_px=256,
        mode="idpc", simulator="fast", seed=1,
    )  # fmt: skip
    build_sample(spec, tmp_path / "set")
    science = ScienceSettings(energy_cache_dir=tmp_path / "refs")
    run(tmp_path / "set", tmp_path / "out", method="oracle", workers=1, progress=False,
        settings=science)  # fmt: skip
    row = score(tmp_path / "set", tmp_path / "out")["table"]["2"]
    assert row["n_energy"] == 1
    # SevenNet-0 (fitted references) on relaxed 2H-MoS2 vs C2DM's -0.842 eV/atom.
    assert row["energy_mae_meV"] < 200


def test_held_out_runs_leave_the_samples_own_structure_out_of_the_library(
    tiny_set: Path, tmp_path: Path
) -> None:
    from reconstruction.bench.run import held_out_ids

    samples = read_dataset(tiny_set)
    for sample in samples:
        ids = held_out_ids(sample, "")
        assert ids[0] == sample.meta["structure_id"]
    run(tiny_set, tmp_path / "lib", method="stem2cif", workers=1, progress=False,
        energy="none", templates="")  # fmt: skip
    run(tiny_set, tmp_path / "held", method="stem2cif", workers=1, progress=False,
        energy="none", templates="", held_out=True)  # fmt: skip
    found_in_library = 0
    for sample in samples:
        excluded = held_out_ids(sample, "")
        offered = {}
        for kind in ("lib", "held"):
            result = json.loads((tmp_path / kind / sample.sample_id / "result.json").read_text())
            assert result["policy"] == "direct" and result["status"] != "succeeded"
            offered[kind] = (result.get("prior") or {}).get("id")
        assert offered["held"] not in excluded
        found_in_library += offered["lib"] in excluded
    assert found_in_library >= 1  # the full library does offer the sample's own structure
    # Sent to review (never checked by simulation), the direct policy's structures still count.
    assert score(tiny_set, tmp_path / "lib")["table"]["overall"]["ss_percent"] > 0


def test_the_agent_held_out_never_sees_the_samples_own_structure(
    tiny_set: Path, tmp_path: Path
) -> None:
    """``bench run --method agent --held-out``: the portal's policy on a structure the
    library does not know; no step nor the gate may use the sample's own template."""
    from reconstruction.bench.run import held_out_ids

    run(tiny_set, tmp_path / "held", method="agent", workers=1, progress=False,
        energy="none", held_out=True)  # fmt: skip
    for sample in read_dataset(tiny_set):
        result_path = tmp_path / "held" / sample.sample_id / "result.json"
        result = json.loads(result_path.read_text())
        excluded = held_out_ids(sample, "")
        assert result.pop("held_out_templates") == excluded
        assert (result.get("prior") or {}).get("id") not in excluded
        said = json.dumps(result)  # every step's matches and the gate's known structures
        assert not any(template_id in said for template_id in excluded)
