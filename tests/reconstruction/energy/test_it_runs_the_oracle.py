"""The oracle benchmark: resumable per-structure log, scoring under reference schemes."""

from __future__ import annotations

from ase.calculators.emt import EMT

from reconstruction.bench import energy_oracle as oracle
from reconstruction.bench.energy_scoring import summarize
from reconstruction.energy import backends
from reconstruction.energy.references import mp_elemental_energies

from .helpers import strained_cu_bilayer


def _labelled(n: int):
    frames = []
    for k in range(n):
        atoms = strained_cu_bilayer(0.01 * k)
        atoms.info.update(id=f"cu-{k}", formula="Cu", n_elements=1, e_form_pbe=0.0,
                          e_form_source="test")  # fmt: skip
        frames.append(atoms)
    return frames


def test_it_appends_each_structure_and_resumes(monkeypatch, tmp_path):
    monkeypatch.setattr(oracle, "load_labelled", lambda split: _labelled(4))
    monkeypatch.setattr(backends, "get_calculator", lambda model, device=None: EMT())
    log = tmp_path / "oracle.jsonl"
    assert oracle.run_relaxations("emt", log, limit=2) == 2
    assert [r["id"] for r in oracle.read_jsonl(log)] == ["cu-0", "cu-1"]
    assert oracle.run_relaxations("emt", log, limit=None) == 2  # only the two new ones
    assert oracle.run_relaxations("emt", log, limit=None) == 0
    records = oracle.read_jsonl(log)
    assert [r["id"] for r in records] == ["cu-0", "cu-1", "cu-2", "cu-3"]
    assert all(r["model"] == "EMT" and r["tier"] == "unary" for r in records)


def test_it_scores_records_against_dft(tmp_path):
    mu_cu = mp_elemental_energies()["Cu"]

    def record(i: str, energy: float, dft: float, failure: str | None = None) -> dict:
        return {"id": i, "model": "m", "symbols": ["Cu", "Cu"], "source": "s", "tier": "unary",
                "n_atoms": 2, "time_s": 1.0, "steps": 3, "converged": True,
                "stop_reason": "converged", "failure": failure,
                "energy_eV_per_atom": energy, "initial_energy_eV_per_atom": energy,
                "e_form_dft_eV_per_atom": dft}  # fmt: skip

    records = [record("a", mu_cu + 0.1, 0.0), record("b", mu_cu - 0.3, -0.1),
               record("c", None, 0.0, failure="atoms flew apart")]  # fmt: skip
    train = [record("t", mu_cu + 0.05, 0.0)]
    summary = summarize("m", records, cache_dir=tmp_path, schemes=("mp",), train_records=train)
    assert summary["n_structures"] == 3 and summary["n_failed"] == 1
    mp = summary["schemes"]["mp"]
    assert mp["n"] == 2 and abs(mp["mae_eV_per_atom"] - 0.15) < 1e-9
    assert mp["by_source"]["s"]["n"] == 2
    assert "fitted_relaxed" in summary["schemes"]
    assert (tmp_path / "m__fitted_relaxed.json").is_file()
