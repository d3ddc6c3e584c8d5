"""The worker's torch device (ScienceSettings.torch_device, from AUTOMAT_TORCH_DEVICE)
reaches the agent's denoiser and potential: asked for CUDA on a machine without it, the
step says so instead of silently running on the CPU."""

from __future__ import annotations

import pytest

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import ToolError
from reconstruction.agent.tools.denoise import DenoiseTool
from reconstruction.energy.properties import predict_properties
from reconstruction.settings import ScienceSettings

from .images import PIXEL_SIZE_A, simulated

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def test_the_denoiser_runs_on_the_settings_device(tmp_path):
    image = simulated().image
    state = AgentState(
        original=image, image=image, pixel_size_A=PIXEL_SIZE_A, elements=["Mo", "S"],
        mode="idpc", artifacts_dir=tmp_path, settings=ScienceSettings(torch_device="cuda"),
    )  # fmt: skip

    with pytest.raises(ToolError, match="cuda"):
        DenoiseTool().run(state, {"method": "moe", "if_noisy": False})

    state.settings = ScienceSettings(torch_device="cpu")
    out = DenoiseTool().run(state, {"method": "moe", "if_noisy": False})
    assert out.result["denoised"]


def test_the_potential_runs_on_the_settings_device():
    from reconstruction.data import monolayer

    # torch itself refuses: "Torch not compiled with CUDA enabled" (or no device found)
    with pytest.raises((AssertionError, RuntimeError), match=r"CUDA"):
        predict_properties(
            monolayer("c2dm-MoS2-H"), relax=False, settings=ScienceSettings(torch_device="cuda")
        )
