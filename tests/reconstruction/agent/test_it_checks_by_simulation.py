"""The check tool: the right structure scores high, a wrong one lower; the pose is found."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.agent.state import AgentState, Candidate
from reconstruction.agent.tools import ToolError, call, default_tools
from reconstruction.data import monolayer
from reconstruction.stem2cif.symmetry import spacegroup, to_cif

from .images import PIXEL_SIZE_A, simulated


def _state(image, tmp_path) -> AgentState:
    return AgentState(
        original=image, image=image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        mode="idpc", artifacts_dir=tmp_path,
    )  # fmt: skip


def _candidate(structure_id: str) -> Candidate:
    atoms = monolayer(structure_id)
    a, b, *_, gamma = atoms.cell.cellpar()
    return Candidate(
        structure=atoms, cif=to_cif(atoms), formula="MoS2", spacegroup=spacegroup(atoms)[0],
        lattice={"a": a, "b": b, "gamma": gamma}, step=0, source="template",
    )  # fmt: skip


def _check(state):
    out = call(default_tools()["check"], state, {})
    assert out.error is None, out.error
    return out.output


def test_it_scores_the_true_structure_above_a_wrong_one(tmp_path):
    image = simulated("c2dm-MoS2-T", rotation_deg=23.0).image
    state = _state(image, tmp_path)
    state.with_candidate(_candidate("c2dm-MoS2-T"))
    right = _check(state)
    state.with_candidate(_candidate("c2dm-MoS2-H"))
    wrong = _check(state)
    assert right.result["score"] > 0.9
    assert wrong.result["score"] < right.result["score"] - 0.1
    # The rotation found puts a lattice vector at the simulated 23° (hexagonal: mod 60°).
    assert abs((right.result["rotation_deg"] - 23.0 + 30) % 60 - 30) < 1.0
    assert state.check == wrong.result


def test_it_writes_a_residual_map(tmp_path):
    clean = simulated(dose=None).image
    state = _state(clean, tmp_path)
    state.with_candidate(_candidate("c2dm-MoS2-H"))
    out = _check(state)
    assert out.result["score"] > 0.97  # noise-free: the simulation is the image
    residual = np.load(out.artifacts["residual_npy"])
    assert residual.shape == clean.shape
    assert float(np.sqrt(np.mean(residual**2))) == pytest.approx(
        out.result["residual_rms"], abs=1e-4
    )
    assert out.artifacts["residual"].read_bytes()[:4] == b"\x89PNG"


def test_it_refuses_without_a_structure_or_a_lattice(tmp_path):
    state = _state(simulated().image, tmp_path)
    assert "run stem2cif first" in call(default_tools()["check"], state, {}).error
    noise = np.random.default_rng(1).normal(size=(96, 96)).astype(np.float32)
    state = _state(noise, tmp_path)
    state.with_candidate(_candidate("c2dm-MoS2-H"))
    with pytest.raises(ToolError, match="no lattice"):
        default_tools()["check"].run(state, {})


def test_the_right_structure_reaches_the_images_periodic_ceiling(tmp_path):
    """A dose-limited image cannot be matched beyond its periodic part: the right structure
    scores about its ceiling whatever the dose, and the ceiling falls with the dose."""
    ceilings = {}
    for dose in (3e4, 5e3):
        state = _state(simulated("c2dm-MoS2-T", dose=dose).image, tmp_path)
        state.with_candidate(_candidate("c2dm-MoS2-T"))
        right = _check(state).result
        ceilings[dose] = right["periodic_ceiling"]
        assert 0.9 * right["periodic_ceiling"] < right["score"] <= 1.05 * right["periodic_ceiling"]
    assert ceilings[5e3] < ceilings[3e4] - 0.1


def test_the_periodic_ceiling_is_the_share_of_the_lattice_in_the_image():
    from reconstruction.agent.tools.check import periodic_ceiling

    y, x = np.mgrid[0:128, 0:128].astype(float)
    basis = np.array([[8.0, 0.0], [0.0, 8.0]])  # a square lattice of 8 px, columns a, b
    lattice = np.cos(2 * np.pi * x / 8) + np.cos(2 * np.pi * y / 8)
    assert periodic_ceiling(lattice, basis) == pytest.approx(1.0, abs=1e-6)
    noise = np.random.default_rng(0).normal(0.0, lattice.std(), lattice.shape)
    # Equal powers of lattice and white noise: the lattice part correlates at sqrt(1/2).
    assert periodic_ceiling(lattice + noise, basis) == pytest.approx(np.sqrt(0.5), abs=0.03)
    assert periodic_ceiling(noise, basis) < 0.25  # the few per cent of Fourier space it keeps
