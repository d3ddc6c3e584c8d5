"""One real potential end to end: CHGNet 0.3.0 on 2H-MoS2 against its DFT formation energy."""

from __future__ import annotations

import json

import pytest
from ase.build import mx2

from reconstruction.energy import FormationEnergyResult, predict_formation_energy

from .helpers import no_network, one_torch_thread

# C2DM (PBE) heat of formation of 2H-MoS2, a = 3.184 Å (shared/data/NOTICE.md spot check).
MOS2_DFT_EV_PER_ATOM = -0.842


def test_it_predicts_the_formation_energy_of_mos2_with_chgnet(monkeypatch, tmp_path):
    atoms = mx2("MoS2", a=3.184, thickness=3.13, vacuum=9.0)
    with no_network(monkeypatch), one_torch_thread():
        result = predict_formation_energy(
            atoms, model="chgnet-0.3.0", scheme="elemental", cache_dir=tmp_path, device="cpu"
        )
    assert result.ok and result.relax.converged
    assert result.model == "chgnet-0.3.0" and result.relax.model == "chgnet-0.3.0"
    assert result.scheme == "elemental" and result.formula == "MoS2"
    # The MP2020 sulfide correction (-0.503 eV per S) was taken out of CHGNet's energy.
    assert result.correction_eV_per_atom == pytest.approx(-0.503 * 2 / 3, abs=1e-3)
    assert result.e_form_eV_per_atom == pytest.approx(MOS2_DFT_EV_PER_ATOM, abs=0.15)
    a = result.relax.atoms().cell.lengths()[0]
    assert a == pytest.approx(3.19, abs=0.03)
    again = FormationEnergyResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again == result
