"""relax_2d with EMT standing in for the ML potentials."""

from __future__ import annotations

import json

import numpy as np
from ase.calculators.emt import EMT

from reconstruction.energy import RelaxResult, relax_2d
from reconstruction.energy.stability import StabilityLimits, blow_up_reason

from .helpers import strained_cu_bilayer


def test_it_converges_and_relaxes_the_in_plane_cell():
    slab = strained_cu_bilayer(0.03)
    result = relax_2d(slab, EMT(), fmax=0.01, max_steps=500)
    assert result.converged and result.ok and result.stop_reason == "converged"
    assert result.max_force_eV_per_A < 0.01
    assert result.energy_eV < result.initial_energy_eV
    relaxed = result.atoms()
    a0, a1 = np.linalg.norm(slab.cell[0]), np.linalg.norm(relaxed.cell[0])
    assert a1 < a0 - 0.03  # the stretched film contracted in-plane
    assert result.model == "EMT"


def test_it_keeps_the_out_of_plane_vector_and_the_vacuum():
    slab = strained_cu_bilayer(0.03)
    relaxed = relax_2d(slab, EMT(), fmax=0.01, max_steps=500).atoms()
    np.testing.assert_allclose(relaxed.cell[2], slab.cell[2], atol=1e-9)
    np.testing.assert_allclose(relaxed.cell[:2, 2], 0.0, atol=1e-9)  # a, b stay in-plane
    thickness = np.ptp(relaxed.positions[:, 2])
    assert abs(thickness - np.ptp(slab.positions[:, 2])) < 0.3


def test_it_does_not_modify_its_input():
    slab = strained_cu_bilayer(0.03)
    before = slab.positions.copy(), slab.cell.array.copy()
    relax_2d(slab, EMT(), max_steps=5)
    np.testing.assert_array_equal(slab.positions, before[0])
    np.testing.assert_array_equal(slab.cell.array, before[1])
    assert slab.calc is None


def test_it_fails_an_absurd_structure_with_a_reason():
    slab = strained_cu_bilayer(0.0)
    slab.positions[1] = slab.positions[0] + [0.05, 0.0, 0.05]  # two atoms on top of each other
    result = relax_2d(slab, EMT(), max_steps=50)
    assert not result.ok and not result.converged
    assert result.energy_eV is None and result.energy_eV_per_atom is None
    assert result.stop_reason == "blew_up"
    assert result.failure


def test_it_detects_a_layer_flying_off():
    start = strained_cu_bilayer(0.0)
    end = start.copy()
    end.positions[1, 2] += 6.0
    reason = blow_up_reason(start, end, -3.0, StabilityLimits())
    assert reason and "thickness" in reason
    loose = StabilityLimits(max_thickness_growth_A=50.0)
    assert "bonds broken" in blow_up_reason(start, end, -3.0, loose)
    assert blow_up_reason(start, start.copy(), -3.0, StabilityLimits()) is None
    assert "absurd energy" in blow_up_reason(start, start.copy(), -400.0, StabilityLimits())


def test_it_respects_the_time_limit():
    slab = strained_cu_bilayer(0.05).repeat((3, 3, 1))
    result = relax_2d(slab, EMT(), fmax=1e-6, max_steps=100_000, max_time_s=0.3)
    assert result.stop_reason == "time_limit" and not result.converged
    assert result.ok and result.energy_eV is not None  # stopped early but sane
    assert result.time_s < 2.0


def test_it_round_trips_the_result_through_json():
    result = relax_2d(strained_cu_bilayer(0.02), EMT(), max_steps=20)
    again = RelaxResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again == result
    limits = StabilityLimits(energy_per_atom_range_eV=(-5.0, 5.0))
    assert StabilityLimits.from_dict(json.loads(json.dumps(limits.as_dict()))) == limits


class _ThreadsSeen(EMT):
    """EMT that records torch's thread count at each evaluation."""

    def __init__(self):
        super().__init__()
        self.threads: list[int] = []

    def calculate(self, *args, **kwargs):
        import torch

        self.threads.append(torch.get_num_threads())
        super().calculate(*args, **kwargs)


def test_it_runs_the_potential_on_the_configured_torch_threads():
    import torch

    before = torch.get_num_threads()
    calc = _ThreadsSeen()
    relax_2d(strained_cu_bilayer(0.03), calc, max_steps=3)
    assert set(calc.threads) == {1}  # the default: one thread per worker process
    assert torch.get_num_threads() == before  # restored afterwards

    calc = _ThreadsSeen()
    relax_2d(strained_cu_bilayer(0.03), calc, max_steps=3, threads=2)
    assert set(calc.threads) == {2}


def test_it_rejects_a_bad_thread_count():
    import pytest

    for bad in (0, "two", 1.5):
        with pytest.raises(ValueError, match="threads"):
            relax_2d(strained_cu_bilayer(0.03), EMT(), max_steps=1, threads=bad)
