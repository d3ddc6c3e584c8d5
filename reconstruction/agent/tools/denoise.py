"""``denoise``: estimate the noise and, when asked or advised, denoise the current image."""

from __future__ import annotations

from typing import Any

import numpy as np

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput

METHODS = ("moe", "single", "gaussian", "nlm", "bragg")


def _denoise_module():
    try:
        from reconstruction import denoise
    except ImportError as exc:
        raise ToolError(f"the denoiser is not available ({exc})") from exc
    return denoise


class DenoiseTool(Tool):
    name = "denoise"
    description = (
        "Estimate the noise of the current image and denoise it (mixture of experts by "
        "default). With if_noisy=true the image is only denoised when the estimate advises "
        "it. Later tools work on the denoised image; check always compares with the input."
    )
    schema = {
        "type": "object",
        "properties": {
            "method": {"type": "string", "enum": list(METHODS), "default": "moe"},
            "if_noisy": {
                "type": "boolean",
                "description": "only denoise when the noise estimate advises it",
                "default": False,
            },
        },
        "additionalProperties": False,
    }

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        dn = _denoise_module()
        if args["if_noisy"]:
            noise = dn.estimate_noise(state.image, pixel_size_A=state.pixel_size_A)
            if not noise.noisy:
                return ToolOutput(
                    f"not noisy (SNR {noise.snr_db:.1f} dB): image left as it is",
                    {"denoised": False, "noise_before": noise.as_dict(), "noise_after": None},
                )
        try:
            out = dn.denoise(
                state.image, pixel_size_A=state.pixel_size_A, mode=state.mode,
                method=args["method"], threads=state.settings.torch_threads,
                device=state.settings.torch_device,
            )  # fmt: skip
        except ImportError as exc:
            raise ToolError(f"the {args['method']} denoiser is not available ({exc})") from exc
        except getattr(dn, "DenoiseError", ToolError) as exc:
            raise ToolError(str(exc)) from exc
        image = np.asarray(out.image, dtype=np.float32)
        if image.shape != state.image.shape or not np.isfinite(image).all():
            raise ToolError(f"the denoiser returned an unusable image (shape {image.shape})")
        state.image, state.image_step = image, state.step
        artifacts = _write(state, image)
        before, after = out.noise_before, out.noise_after
        summary = (
            f"{out.method}"
            + (f" (expert {out.expert})" if out.expert is not None else "")
            + f": SNR {before.snr_db:.1f} -> {after.snr_db:.1f} dB"
            + (", still noisy" if after.noisy else "")
        )
        result = {
            "denoised": True,
            "method": out.method,
            "expert": out.expert,
            "noise_before": before.as_dict(),
            "noise_after": after.as_dict(),
            "timings_s": dict(out.timings_s),
        }
        return ToolOutput(summary, result, artifacts)


def _write(state: AgentState, image: np.ndarray) -> dict:
    """The denoised image as float32 TIFF (data) and PNG (to look at)."""
    import tifffile
    from PIL import Image

    from reconstruction.io.render import stretch_to_unit

    tif = state.artifact("denoised.tif")
    tifffile.imwrite(tif, image)
    png = state.artifact("denoised.png")
    Image.fromarray((stretch_to_unit(image) * 255).astype(np.uint8)).save(png)
    return {"denoised": png, "denoised_tif": tif}
