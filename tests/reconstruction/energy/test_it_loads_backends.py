"""The calculator factory: names, devices, offline loading of every backend."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import mx2

from reconstruction.energy import CheckpointNotFound, UnknownModel, get_calculator, select_device
from reconstruction.energy.backends import MATTERSIM_CHECKPOINT_ENV, available_models

from .helpers import no_network, one_torch_thread


def test_it_rejects_an_unknown_model():
    with pytest.raises(UnknownModel, match=r"chgnet-0\.3\.0"):
        get_calculator("m3gnet-2021")


def test_it_picks_cpu_without_cuda(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device() == "cuda"
    assert select_device("cpu") == "cpu"


def test_it_gives_a_finite_sevennet_energy_offline(monkeypatch):
    with no_network(monkeypatch), one_torch_thread():
        calc = get_calculator("sevennet-0", "cpu")
        atoms = mx2("MoS2", vacuum=8.0)
        atoms.calc = calc
        energy = atoms.get_potential_energy() / len(atoms)
        forces = atoms.get_forces()
    assert calc.automat_model == "sevennet-0"
    assert -9.0 < energy < -5.0
    assert np.isfinite(forces).all()


def test_it_refuses_mattersim_without_a_checkpoint(tmp_path):
    missing = tmp_path / "missing.pth"
    assert "mattersim" not in available_models(missing)
    assert "mattersim" not in available_models()
    with pytest.raises(CheckpointNotFound, match=MATTERSIM_CHECKPOINT_ENV):
        get_calculator("mattersim", "cpu", checkpoint=missing)
    with pytest.raises(CheckpointNotFound, match=MATTERSIM_CHECKPOINT_ENV):
        get_calculator("mattersim", "cpu")


def test_it_loads_a_mattersim_checkpoint_without_touching_home(monkeypatch, tmp_path):
    import torch
    from mattersim.forcefield.m3gnet.m3gnet import M3Gnet

    torch.manual_seed(0)
    model = M3Gnet(num_blocks=1, units=16, device="cpu")
    path = tmp_path / "random_mattersim.pth"
    checkpoint = {"model_name": "m3gnet", "model": model.state_dict()}
    torch.save({**checkpoint, "model_args": model.get_model_args()}, path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with no_network(monkeypatch), one_torch_thread():
        assert "mattersim" in available_models(path)
        calc = get_calculator("mattersim", "cpu", checkpoint=path)
        atoms = mx2("MoS2", vacuum=8.0)
        atoms.calc = calc
        energy = atoms.get_potential_energy()
        stress = atoms.get_stress()
    assert calc.automat_model == "mattersim"
    assert np.isfinite(energy) and np.isfinite(stress).all()
    loaded = calc.potential.model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in model.state_dict().items())
    assert not (tmp_path / "home" / ".local" / "mattersim").exists()


def test_it_imports_no_potential_at_import_time():
    import subprocess
    import sys

    code = (
        "import sys, reconstruction.energy, reconstruction.bench.energy_oracle; "
        "print(sorted(m for m in ('torch', 'chgnet', 'sevenn', 'mattersim') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
