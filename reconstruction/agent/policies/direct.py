"""STEM2CIF as published, as a policy: one reconstruction, no second opinion.

1. Match templates (when asked to and the run has a library).
2. Reconstruct with STEM2CIF, every match offered as a prior (the one that fits and whose
   column contrasts follow the image is used; none fits: the template-free structure).
3. Predict the properties of the structure (when asked to).

No denoising, no check by simulation, no retries: ``automat reconstruct`` (its default
policy) and ``automat bench run --method stem2cif`` run this. The quality gate judges its
runs like any other: without the check by simulation its ``forward_model`` check fails, so
a structure ends ``needs_review`` ("never compared with the image by simulation"), never
``succeeded``; the rules policy is the one that checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconstruction.agent.policies.base import Action, Finish, Plan, PlannedPolicy, RunView


@dataclass(frozen=True)
class DirectConfig:
    """What :class:`DirectPolicy` does.

    Attributes
    ----------
    templates : bool
        Offer the library's nearest templates as priors (when the run has a library).
    exclude_templates : tuple of str
        Template ids left out of the library (held-out tests).
    max_distance : float or None
        Largest descriptor distance (``rich``) at which a template is used (None: the
        measured default, :data:`reconstruction.stem2cif.prior.MAX_DISTANCE`).
    rdf_max_distance : float or None
        When the nearest template is farther, the nearest by the pair-distance histogram
        is used up to this distance (None: the measured default; 0: never).
    k : int
        Templates retrieved.
    heights_cif : str or None
        CIF text of a structure with the same in-plane cell to take heights from.
    predict_properties : bool
        End with the formation energy (False: the structure only).
    relax : bool or None
        Relax before scoring the energy (None: the run's ``relax``).
    references : str or None
        Elemental references of the formation energy (None: the default scheme).
    """

    templates: bool = True
    exclude_templates: tuple[str, ...] = ()
    max_distance: float | None = None
    rdf_max_distance: float | None = None
    k: int = 10
    heights_cif: str | None = None
    predict_properties: bool = True
    relax: bool | None = None
    references: str | None = None


class DirectPolicy(PlannedPolicy):
    """STEM2CIF once (see the module docstring)."""

    name = "direct"
    max_steps = 3

    def __init__(self, config: DirectConfig | None = None) -> None:
        super().__init__(config or DirectConfig())

    def plan(self, run: RunView) -> Plan:
        cfg = self.config
        args: dict[str, Any] = {}
        why = "reconstruct from the image"
        if cfg.templates and run.has_retriever:
            match = {
                "k": cfg.k, "max_distance": cfg.max_distance,
                "rdf_max_distance": cfg.rdf_max_distance,
                "exclude": list(cfg.exclude_templates),
            }  # fmt: skip
            yield Action("match_templates", match, "find known structures like it")
            # Even when matching failed (a library without this imaging mode): no matches
            # then mean no prior, the template-free reconstruction.
            args["priors"] = True
            why += ", the nearest templates as priors"
        if cfg.heights_cif:
            args["heights_cif"] = cfg.heights_cif
            why += ", heights from the structure given"
        step = yield Action("stem2cif", args, why)
        if not step.ok:
            yield Finish(False, step.error)
            return
        if cfg.predict_properties:
            energy = {"relax": cfg.relax, "references": cfg.references}
            yield Action("predict_properties", energy, "formation energy of the structure")
        yield Finish(True)


__all__ = ["DirectConfig", "DirectPolicy"]
