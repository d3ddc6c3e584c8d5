"""The default policy: fixed rules, deterministic.

Denoise when the noise estimate says so (again if still noisy); match templates; run
STEM2CIF (heights from the nearest template); check it by simulation. When the check or
STEM2CIF's own quality numbers fail: retry with changed settings, then fall back to the
template adopted on the measured cell; an attempt whose check is worse than the best so
far is rolled back. Then predict properties of the structure kept.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from reconstruction.agent.policies.base import Action, Finish, RunView
from reconstruction.agent.records import StepRecord


@dataclass(frozen=True)
class RulesConfig:
    """Thresholds of :class:`RulesPolicy`.

    Attributes
    ----------
    min_score : float
        Check score (normalised cross-correlation) below which a reconstruction is retried.
    min_fraction_explained : float
        Share of bright spots on the lattice below which it is retried.
    denoise_passes : int
        Most denoising passes.
    k : int
        Templates retrieved.
    retries : list of dict
        STEM2CIF settings tried, in order, when a reconstruction fails its checks.
    """

    min_score: float = 0.5
    min_fraction_explained: float = 0.8
    denoise_passes: int = 2
    k: int = 10
    retries: tuple[dict[str, Any], ...] = field(
        default=(
            {"column_sigma_A": 0.18, "lattice_sigma_A": 0.3},
            {"column_sigma_A": 0.1, "background_sigma_A": 4.0, "site_threshold": 0.05},
        )
    )


Plan = Generator[Action | Finish, StepRecord | None, None]


class RulesPolicy:
    """Deterministic rules (see the module docstring)."""

    name = "rules"
    max_steps = 30

    def __init__(self, config: RulesConfig | None = None) -> None:
        self.config = config or RulesConfig()
        self._plan: Plan | None = None

    def next(self, run: RunView) -> Action | Finish:
        if self._plan is None:
            self._plan = self.plan(run)
            return next(self._plan)
        return self._plan.send(run.steps[-1] if run.steps else None)

    def plan(self, run: RunView) -> Plan:
        cfg = self.config
        yield from self._denoise(run)
        matches: list[dict] = []
        if run.has_retriever:
            step = yield Action("match_templates", {"k": cfg.k}, "find known structures like it")
            if step.ok:
                matches = step.result["matches"]
        template = matches[0]["id"] if matches else None
        best: float | None = None
        attempts: list[tuple[dict[str, Any], str]] = [
            ({"template": template}, "reconstruct from the image"
             + (f", heights from the nearest template {template}" if template else "")),
        ]  # fmt: skip
        attempts += [
            ({"template": template, **settings}, f"retry with changed settings {settings}")
            for settings in cfg.retries
        ]
        if template:
            attempts.append(
                ({"template": template, "source": "template"},
                 f"fall back to the template {template} on the measured cell"),
            )  # fmt: skip
        last_error: str | None = None
        for i, (args, why) in enumerate(attempts):
            reason = why if i == 0 else f"{self._why(best, last_error)}: {why}"
            step = yield Action("stem2cif", args, reason)
            if not step.ok:
                last_error = step.error
                continue
            made = step.index
            check = yield Action("check", {}, "simulate the structure and compare with the image")
            score = check.result.get("score") if check.ok else None
            if best is not None and (score is None or score < best):
                yield Action(
                    "rollback", {"step": made},
                    f"the check got worse ({_fmt(score)} < {best:.3f}): keep the structure before",
                )  # fmt: skip
                continue
            best = score if score is not None else best
            if self._good(step, score):
                break
        if run.state.candidate is None:
            yield Finish(False, f"no structure: {last_error}")
            return
        yield Action("predict_properties", {}, "formation energy of the structure kept")
        yield Finish(True)

    def _denoise(self, run: RunView) -> Plan:
        if "denoise" not in run.tools:
            return
        step = yield Action(
            "denoise", {"if_noisy": True}, "estimate the noise; denoise if it says so"
        )
        for _ in range(self.config.denoise_passes - 1):
            after = step.result.get("noise_after") if step.ok else None
            if not (step.result.get("denoised") and after and after.get("noisy")):
                return
            step = yield Action("denoise", {}, "still noisy after denoising: once more")

    def _good(self, step: StepRecord, score: float | None) -> bool:
        explained = step.result.get("fraction_explained", 1.0)
        return (
            score is not None
            and score >= self.config.min_score
            and explained >= self.config.min_fraction_explained
        )

    def _why(self, best: float | None, error: str | None) -> str:
        if best is None:
            return "reconstruction failed" if error else "no checked structure yet"
        return f"check score {best:.3f} or the share of spots explained is too low"


def _fmt(score: float | None) -> str:
    return "failed" if score is None else f"{score:.3f}"


__all__ = ["RulesConfig", "RulesPolicy"]
