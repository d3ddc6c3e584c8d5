"""The element assignment prefers the stoichiometries of the library the run uses: a
structure left out of it (a held-out test, a curated library without it) takes its formula
along, so a test of a structure nobody has seen is not told its stoichiometry."""

from __future__ import annotations

from reconstruction.agent import run_agent
from reconstruction.agent.gate import known_stoichiometries
from reconstruction.agent.policies.direct import DirectConfig, DirectPolicy
from reconstruction.agent.state import AgentState

from .images import PIXEL_SIZE_A, mo_s_retriever, simulated

MOS2 = ("c2dm-MoS2-H", "c2dm-MoS2-T", "2dlam-MoS2-1")


def _state(tmp_path, retriever) -> AgentState:
    image = simulated().image
    return AgentState(
        original=image, image=image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        mode="idpc", artifacts_dir=tmp_path, retriever=retriever,
    )  # fmt: skip


def test_the_stoichiometries_follow_the_library(tmp_path) -> None:
    full = known_stoichiometries(_state(tmp_path, mo_s_retriever()))
    assert full == {"MoS2", "MoS", "MoS3", "Mo3S4"}
    held_out = known_stoichiometries(_state(tmp_path, mo_s_retriever().without(list(MOS2))))
    assert held_out == {"MoS", "MoS3", "Mo3S4"}
    assert known_stoichiometries(_state(tmp_path, None)) is None  # the data set's are used


def test_a_held_out_run_reads_with_its_library_s_stoichiometries(tmp_path) -> None:
    result = run_agent(
        simulated().image, pixel_size_A=PIXEL_SIZE_A, elements="Mo,S",
        policy=DirectPolicy(DirectConfig(exclude_templates=MOS2, predict_properties=False)),
        retriever=mo_s_retriever(), artifacts_dir=tmp_path / "art",
    )  # fmt: skip
    step = next(s for s in result.steps if s.tool == "stem2cif")
    assert step.ok
    assert step.result["known_stoichiometries"] == ["Mo3S4", "MoS", "MoS3"]
    # The contrast of a clean image still reads MoS2: the preference only breaks near-ties.
    assert result.formula == "MoS2"
