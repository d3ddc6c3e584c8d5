"""``run_agent``: a policy picks tools until it finishes, each call becomes a step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.agent.gate import GateConfig, review, verdict
from reconstruction.agent.policies.base import Action, Finish, Policy, RunView
from reconstruction.agent.records import AgentResult, StepRecord
from reconstruction.agent.state import AgentState
from reconstruction.agent.tools import call, default_tools
from reconstruction.agent.transcript import Transcript
from reconstruction.settings import DEFAULT, ScienceSettings


def make_policy(policy: str | Policy, llm=None) -> Policy:
    """``"rules"`` (default), ``"direct"`` (STEM2CIF once, with the library's templates as
    priors when there is one), ``"llm"`` (needs ``llm`` settings) or a policy object."""
    if not isinstance(policy, str):
        return policy
    if policy == "direct":
        from reconstruction.agent.policies.direct import DirectPolicy

        return DirectPolicy()
    if policy == "rules":
        from reconstruction.agent.policies.rules import RulesPolicy

        return RulesPolicy()
    if policy == "llm":
        from reconstruction.agent.policies.llm import LLMPolicy

        if llm is None:
            raise ValueError("policy 'llm' needs llm=LLMSettings(base_url, model, api_key)")
        return LLMPolicy(llm)
    raise ValueError(f"unknown policy {policy!r}: use 'rules', 'direct' or 'llm'")


def run_agent(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    elements: list[str] | str,
    mode: str = "idpc",
    policy: str | Policy = "rules",
    retriever: Any = None,
    artifacts_dir: Path,
    on_step: Callable[[StepRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    energy_model: str | None = None,
    relax: bool = True,
    llm: Any = None,
    gate: GateConfig | None = None,
    settings: ScienceSettings = DEFAULT,
) -> AgentResult:
    """Turn one micrograph into a structure and its energy, step by step.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols).
    pixel_size_A : float
        Pixel size [Å/px].
    elements : list of str or str
        Elements present, e.g. ``["Mo", "S"]`` or ``"Mo,S"``.
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    policy : str or Policy
        ``"rules"`` (deterministic, default), ``"direct"`` (STEM2CIF as published: no
        denoising, no check by simulation, no retries), ``"llm"`` or a policy object.
    retriever : Retriever, optional
        Template search (``top_k(descriptor, elements, k)``); without one no templates.
    artifacts_dir : Path
        Folder for the steps' files (created).
    on_step : callable, optional
        Called with each :class:`StepRecord` as soon as it is done.
    should_stop : callable, optional
        Polled between steps; True cancels the run.
    energy_model : str, optional
        Potential for the energy (default: the energy package's default).
    relax : bool
        Relax before scoring the energy.
    llm : LLMSettings, optional
        Endpoint of the ``"llm"`` policy.
    gate : GateConfig, optional
        Thresholds of the quality gate (:mod:`reconstruction.agent.gate`).
    settings : ScienceSettings
        Machine-local settings (reference cache, shared data, threads, MatterSim
        checkpoint) the tools use; the portal and the CLI fill it from ``AUTOMAT_*``.

    Returns
    -------
    AgentResult
        Never raises for a failing tool or bad image: those make a failed result. A
        structure that fails a check of the quality gate ends ``needs_review``, with the
        structure kept and the reasons in ``error`` and ``review`` (``failed`` when the
        image shows no lattice at all).
    """
    pol = make_policy(policy, llm)
    artifacts_dir = Path(artifacts_dir)
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    transcript = Transcript(policy=pol.name)
    problem = _check_inputs(image, pixel_size_A, elements, mode)
    if problem:
        return AgentResult(status="failed", error=problem, policy=pol.name, elements=[])
    from reconstruction.chemistry import parse_elements

    data = np.asarray(image, dtype=np.float32)
    state = AgentState(
        original=data, image=data, pixel_size_A=float(pixel_size_A),
        elements=list(parse_elements(elements)), mode=mode, artifacts_dir=artifacts_dir,
        retriever=retriever, energy_model=energy_model, relax=relax, settings=settings,
    )  # fmt: skip
    if hasattr(pol, "transcript"):
        pol.transcript = transcript
    tools = default_tools()
    steps: list[StepRecord] = []
    view = RunView(tools=tools, steps=steps, state=state)
    start = time.perf_counter()
    status, error, checks = "failed", None, []
    while True:
        if should_stop is not None and should_stop():
            status, error = "cancelled", "cancelled"
            break
        try:
            decision = pol.next(view)
        except StopIteration:
            decision = Finish(False, "the policy stopped without a decision")
        if isinstance(decision, Finish):
            status, error, checks = _verdict(decision, state, steps, gate)
            break
        if len(steps) >= pol.max_steps:
            status, error = "failed", f"step limit reached ({pol.max_steps} tool calls)"
            break
        step = _run_step(tools, state, decision, len(steps))
        steps.append(step)
        transcript.add_step(step)
        if on_step is not None:
            on_step(step)
    result = _result(status, error, pol.name, steps, state)
    result.review = [c.as_dict() for c in checks]
    result.timings_s["total"] = round(time.perf_counter() - start, 3)
    if result.cif:
        (artifacts_dir / "structure.cif").write_text(result.cif)
    transcript.write(artifacts_dir)
    return result


def _verdict(decision: Finish, state: AgentState, steps, gate: GateConfig | None):
    """(status, error, gate checks) of a run its policy finished."""
    if not decision.ok or state.candidate is None:
        return "failed", decision.error or "no structure", []
    # A policy that never checks by simulation (direct) gets the same gate: its forward
    # model check fails as never done, so its structures end needs_review, never succeeded.
    checks = review(state, steps, gate)
    status, error = verdict(checks)
    return status, error, checks


def _run_step(tools, state: AgentState, action: Action, index: int) -> StepRecord:
    state.snapshots[index] = state.snapshot()
    state.step = index
    t0 = time.perf_counter()
    tool = tools.get(action.tool)
    if tool is None:
        known = ", ".join(tools)
        outcome_args, output, error = action.args, None, f"no tool {action.tool!r}; tools: {known}"
    else:
        outcome = call(tool, state, action.args)
        outcome_args, output, error = outcome.args, outcome.output, outcome.error
    duration = round(time.perf_counter() - t0, 4)
    if output is None:
        return StepRecord(
            index=index, tool=action.tool, args=outcome_args, ok=False, summary=error or "",
            duration_s=duration, error=error, message=action.message,
        )  # fmt: skip
    return StepRecord(
        index=index, tool=action.tool, args=outcome_args, ok=True, summary=output.summary,
        result=output.result, artifacts=dict(output.artifacts), duration_s=duration,
        error=None, message=action.message,
    )  # fmt: skip


def _check_inputs(image, pixel_size_A, elements, mode) -> str | None:
    from reconstruction.chemistry import UnknownElement, parse_elements
    from reconstruction.io.types import PLAUSIBLE_PIXEL_SIZE_A
    from reconstruction.simulate.config import MODES

    arr = np.asarray(image)
    if arr.ndim != 2 or min(arr.shape) < 16:
        return f"need a 2D image of at least 16x16 pixels, got shape {arr.shape}"
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        return "the image contains NaN, infinite or non-numeric values"
    ok = isinstance(pixel_size_A, int | float) and math.isfinite(pixel_size_A)
    if not ok or pixel_size_A <= 0:
        return f"pixel size must be a positive number of Å per pixel, got {pixel_size_A!r}"
    lo, hi = PLAUSIBLE_PIXEL_SIZE_A
    if not lo <= pixel_size_A <= hi:
        return (
            f"a pixel size of {pixel_size_A:g} Å/px is outside the {lo:g}-{hi:g} Å/px at which "
            "atomic columns can be resolved: check the calibration"
        )
    if mode not in MODES:
        return f"mode must be one of {MODES}, got {mode!r}"
    try:
        if not parse_elements(elements):
            return "no elements given: list the elements present (e.g. Mo,S)"
    except UnknownElement as exc:
        return str(exc)
    return None


def _result(status, error, policy, steps, state: AgentState) -> AgentResult:
    timings: dict[str, float] = {}
    for s in steps:
        timings[s.tool] = round(timings.get(s.tool, 0.0) + s.duration_s, 4)
    cand = state.candidate if status in ("succeeded", "needs_review") else None
    made = None if cand is None else cand.stem2cif
    return AgentResult(
        status=status,
        error=error,
        policy=policy,
        steps=steps,
        structure=None if cand is None else cand.structure,
        cif=None if cand is None else cand.cif,
        formula=None if cand is None else cand.formula,
        elements=list(state.elements),
        lattice=None if cand is None else dict(cand.lattice),
        spacegroup=None if cand is None else cand.spacegroup,
        energy=None if cand is None else _energy(state, steps),
        template=None if cand is None else cand.template,
        matches=[m.as_dict() for m in state.matches],
        mode=state.mode,
        pixel_size_A=state.pixel_size_A,
        prior=None if made is None else made.prior,
        stem2cif=None if made is None else _stem2cif_numbers(made),
        timings_s=timings,
    )


def _stem2cif_numbers(made) -> dict:
    """STEM2CIF's numbers, warnings and stage times of the structure kept."""
    from reconstruction.stem2cif import report

    return {
        **report.details(made),
        "warnings": list(made.warnings),
        "stages_s": dict(made.timings_s),
    }


def _energy(state: AgentState, steps: list[StepRecord]) -> dict | None:
    """The energy of the structure kept, or the last energy error about it."""
    if state.energy is not None:
        return dict(state.energy)
    for s in reversed(steps):
        if s.tool == "predict_properties" and not s.ok:
            from reconstruction.energy import DEFAULT_MODEL

            model = s.args.get("model") or state.energy_model or DEFAULT_MODEL
            return {"error": s.error, "model": model}
    return None
