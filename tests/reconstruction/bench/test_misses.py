"""A miss is grouped by its projected cell and composition: detection, supercell, sub-cell,
elements, positions."""

from __future__ import annotations

import json
from pathlib import Path

from ase import Atoms
from ase.build import mx2
from ase.io import write

from reconstruction.bench.misses import GROUPS, classify, error_kind, group_of, main, summary


def _mos2() -> Atoms:
    return mx2("MoS2", kind="2H", a=3.18, thickness=3.13, vacuum=8.0)


def _without_one_s(atoms: Atoms) -> Atoms:
    """A 2x1 cell of ``atoms`` with one S removed: its primitive cell is twice as large."""
    big = atoms.repeat((2, 1, 1))
    del big[next(i for i, s in enumerate(big.get_chemical_symbols()) if s == "S")]
    return big


def _shifted_s(atoms: Atoms) -> Atoms:
    moved = atoms.copy()
    moved.positions[moved.numbers == 16, 0] += 0.9
    return moved


def _scored_run(tmp_path: Path, cases: dict[str, tuple[Atoms, Atoms | None, bool, bool]]):
    dataset, run = tmp_path / "set", tmp_path / "run"
    samples = []
    for sid, (truth, predicted, cc, ss) in cases.items():
        (dataset / sid).mkdir(parents=True)
        (run / sid).mkdir(parents=True)
        write(dataset / sid / "truth.cif", truth, format="cif")
        (dataset / sid / "meta.json").write_text(json.dumps({"structure_id": "t-1"}))
        result = {"status": "failed", "error": "no lattice"}
        if predicted is not None:
            write(run / sid / "structure.cif", predicted, format="cif")
            result = {"status": "needs_review", "policy": "direct", "template": None,
                      "prior": {"id": "t-1", "accepted": False}}  # fmt: skip
        (run / sid / "result.json").write_text(json.dumps(result))
        samples.append({"sample_id": sid, "tier": 2, "has_prediction": predicted is not None,
                        "composition_correct": cc, "structure_success": ss})  # fmt: skip
    (run / "scores.json").write_text(json.dumps({"samples": samples}))
    return dataset, run


def test_it_groups_each_miss_and_skips_the_successes(tmp_path: Path, capsys) -> None:
    mos2 = _mos2()
    selenide = mos2.copy()
    selenide.set_chemical_symbols(["Mo", "Se", "Se"])
    dataset, run = _scored_run(tmp_path, {
        "a-right": (mos2, mos2, True, True),
        "b-failed": (mos2, None, False, False),
        "c-super": (mos2, _without_one_s(mos2), False, False),
        "d-sub": (_without_one_s(mos2), mos2, False, False),
        "e-elements": (mos2, selenide, False, False),
        "f-positions": (mos2, _shifted_s(mos2), True, False),
    })  # fmt: skip
    rows = {r["sample_id"]: r for r in classify(dataset, run)}
    assert {sid: r["group"] for sid, r in rows.items()} == {
        "b-failed": "detection", "c-super": "supercell", "d-sub": "sub-cell",
        "e-elements": "elements", "f-positions": "positions",
    }  # fmt: skip
    assert rows["b-failed"]["error"] == "no lattice" and rows["b-failed"]["area_ratio"] is None
    assert rows["c-super"]["area_ratio"] == 2.0 and rows["d-sub"]["area_ratio"] == 0.5
    assert rows["c-super"]["density_ratio"] < 1 < rows["d-sub"]["density_ratio"]
    assert (
        rows["e-elements"]["template"]["own"] is True and rows["e-elements"]["predicted"] == "MoSe2"
    )
    counts = summary(list(rows.values()))
    assert counts["detection"] == counts["detection:lattice"] == {"1": 0, "2": 1, "3": 0, "all": 1}
    assert rows["b-failed"]["error_kind"] == "lattice" and rows["c-super"]["error_kind"] is None
    assert main([str(dataset), str(run)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert sum(last["summary"][g]["all"] for g in GROUPS) == 5


def test_the_area_ratio_decides_between_the_cell_groups() -> None:
    assert group_of(None, False) == "detection"
    assert group_of(3.0, True) == "supercell" and group_of(1 / 3, False) == "sub-cell"
    assert group_of(1.2, False) == "elements" and group_of(0.8, True) == "positions"


def test_it_names_the_kind_of_detection_failure() -> None:
    assert error_kind("the image is periodic in one direction only (no 2D lattice)") == "lattice"
    assert error_kind("2 elements given (Ge, S) but the image shows only 1 distinct column "
                      "site(s) per unit cell") == "sites"  # fmt: skip
    assert error_kind("the column contrasts seen (2 site(s), ...) cannot be made from Be, I") == (
        "contrast"
    )
    assert error_kind(None) == error_kind("out of memory") == "other"
