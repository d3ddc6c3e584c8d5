"""``stem2cif``: the structure from the current image (STEM2CIF), optionally with heights
from a matched template or with every match offered as a prior, or a matched template
adopted on the measured cell."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from reconstruction.agent.state import AgentState, Candidate
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput

#: STEM2CIF settings a policy may change on a retry (lengths in Å).
TUNABLE = {
    "column_sigma_A": (0.05, 0.4, "smoothing at the column scale [Å]"),
    "lattice_sigma_A": (0.05, 0.6, "smoothing for the lattice search [Å]"),
    "background_sigma_A": (1.0, 10.0, "scale of the background removed [Å]"),
    "site_threshold": (0.0, 0.5, "relative height of a motif site"),
    "symprec_A": (0.01, 0.5, "tolerance of the symmetry search [Å]"),
}


class Stem2CifTool(Tool):
    name = "stem2cif"
    description = (
        "Reconstruct the crystal structure from the current image: atom columns, lattice, "
        "motif, elements per site, heights, symmetry, CIF. With 'template' (an id from "
        "match_templates) heights come from that template; with source='template' the "
        "template itself is adopted, scaled to the measured cell (use when reconstruction "
        "from the image fails). With priors=true every template match_templates found is "
        "offered as a prior instead (the one that fits and whose column contrasts follow the "
        "image is used, none for its heights alone). Optional settings change the "
        "reconstruction on a retry."
    )
    schema = {
        "type": "object",
        "properties": {
            "template": {
                "type": ["string", "null"],
                "description": "id of a template from match_templates",
                "default": None,
            },
            "source": {
                "type": "string",
                "enum": ["image", "template"],
                "description": "'image' (STEM2CIF) or 'template' (adopt the template)",
                "default": "image",
            },
            "priors": {
                "type": "boolean",
                "description": "offer every template from match_templates as a prior "
                "(not with 'template')",
                "default": False,
            },
            "heights_cif": {
                "type": ["string", "null"],
                "description": "CIF text of a structure with the same in-plane cell to take "
                "heights from (not with 'template')",
                "default": None,
            },
            **{
                name: {"type": "number", "minimum": lo, "maximum": hi, "description": text}
                for name, (lo, hi, text) in TUNABLE.items()
            },
        },
        "additionalProperties": False,
    }

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        if args["template"] and (args["priors"] or args["heights_cif"]):
            raise ToolError("'template' (one match, with its heights) goes without 'priors' and "
                            "'heights_cif'")  # fmt: skip
        match = _match(state, args["template"]) if args["template"] else None
        if args["source"] == "template":
            if match is None:
                raise ToolError("source='template' needs a template id from match_templates")
            return _adopt(state, match)
        return _reconstruct(state, args, match)


def _match(state: AgentState, template_id: str):
    for m in state.matches:
        if m.id == template_id:
            return m
    known = ", ".join(m.id for m in state.matches) or "none (run match_templates first)"
    raise ToolError(f"no template {template_id!r} among the matches; known: {known}")


def _template_ref(match, use: str = "structure") -> dict[str, Any]:
    return {
        "id": match.id,
        "formula": match.formula,
        "distance": round(float(match.distance), 5),
        "use": use,
    }


def _template_use(match, result, *, heights: bool = True) -> dict[str, Any] | None:
    """What the template gave: the whole structure (an accepted prior), the heights (when
    it was given for them), or nothing (None)."""
    if match is None:
        return None
    prior = getattr(result, "prior", None)
    if prior and prior.get("accepted"):
        return _template_ref(match, "structure")
    if not heights or any("template does not fit" in w for w in result.warnings):
        return None
    return _template_ref(match, "heights")


def _heights(text: str):
    """The structure of ``heights_cif``."""
    import io

    from ase.io import read

    try:
        return read(io.StringIO(text), format="cif")
    except Exception as exc:  # ASE's CIF reader raises many kinds on bad text
        raise ToolError(f"heights_cif is not a readable CIF ({type(exc).__name__}: {exc})") from exc


def _reconstruct(state: AgentState, args: dict[str, Any], match) -> ToolOutput:
    from reconstruction.stem2cif import Stem2CifConfig, reconstruct, report

    options = {k: args[k] for k in TUNABLE if k in args}
    config = replace(Stem2CifConfig(), **options)
    from reconstruction.stem2cif.prior import candidate_priors

    extra = {}
    if match is not None:
        extra["template"] = match.structure
        # The other matches too: of those that fit, the one whose column contrasts follow
        # the image is used (reconstruction.stem2cif.prior.choose_prior).
        others = [m for m in state.matches if m.id != match.id]
        extra["prior"] = candidate_priors([match, *others], **state.prior_limits)
    else:
        if args["priors"]:  # no matches: no prior
            extra["prior"] = candidate_priors(state.matches, **state.prior_limits)
        if args["heights_cif"]:
            extra["template"] = _heights(args["heights_cif"])
    from reconstruction.agent.gate import known_stoichiometries

    # The element assignment prefers the stoichiometries of the library this run uses.
    known = known_stoichiometries(state)
    result = reconstruct(
        state.image, pixel_size_A=state.pixel_size_A, elements=state.elements,
        mode=state.mode, config=config, known_formulas=known, **extra,
    )  # fmt: skip
    used = (result.prior or {}).get("id")
    if used is not None and (match is None or used != match.id):
        match = _match(state, used)
    overlay = state.artifact("overlay.png")
    report.write_overlay(overlay, state.image, result)
    cif = state.artifact("structure.cif")
    cif.write_text(result.cif)
    template = _template_use(match, result, heights=not args["priors"])
    state.with_candidate(
        Candidate(
            structure=result.structure, cif=result.cif, formula=result.formula,
            spacegroup=result.spacegroup, lattice=report.lattice_dict(result), step=state.step,
            source="image", template=template, rotation_deg=result.lattice.rotation_deg,
            stem2cif=result,
        )
    )  # fmt: skip
    state.measured_lattice = report.lattice_dict(result)
    numbers = {
        "formula": result.formula,
        "spacegroup": result.spacegroup,
        "lattice": report.lattice_dict(result),
        "lattice_residual_A": round(result.lattice.residual_A, 4),
        "rotation_deg": round(result.lattice.rotation_deg, 3),
        "n_sites": len(result.site_frac),
        "n_columns": len(result.columns_xy_px),
        "fraction_explained": round(result.fraction_explained, 4),
        "source_sigma_A": result.source_sigma_A,
        "min_site_confidence": round(float(np.min(result.assignment.confidence)), 4),
        "warnings": list(result.warnings),
        "template": template,
        "prior": getattr(result, "prior", None),
        "source": "image",
        "settings": options,
        # What the element assignment preferred (None: the data set's stoichiometries).
        "known_stoichiometries": None if known is None else sorted(known),
    }
    summary = report.summary(result)
    if template is not None:
        summary += f", {template['use']} from {match.id}"
    return ToolOutput(summary, numbers, {"overlay": overlay, "cif": cif})


def _adopt(state: AgentState, match) -> ToolOutput:
    """The template's structure, its in-plane cell scaled to the measured lattice."""
    from reconstruction.stem2cif import symmetry

    given = set(state.elements)
    have = set(match.structure.get_chemical_symbols())
    if not have <= given:
        raise ToolError(
            f"template {match.id} ({match.formula}) holds {sorted(have - given)}, "
            f"not among the elements given ({', '.join(state.elements)})"
        )
    atoms = match.structure.copy()
    warnings: list[str] = []
    scale = _scale(atoms, state.measured_lattice)
    if scale is None:
        warnings.append("no measured cell fits the template: its own cell is kept")
    else:
        cell = np.array(atoms.cell)
        cell[:2, :2] *= scale
        atoms.set_cell(cell, scale_atoms=True)
        # Heights are not scaled with the in-plane cell.
        atoms.positions[:, 2] = match.structure.positions[:, 2]
    spg, _ = symmetry.spacegroup(atoms)
    cif_text = symmetry.to_cif(atoms)
    a, b, _, _, _, gamma = atoms.cell.cellpar()
    lattice = {"a": round(float(a), 4), "b": round(float(b), 4), "gamma": round(float(gamma), 3)}
    formula = atoms.get_chemical_formula(mode="reduce")
    template = _template_ref(match, "adopted")
    state.with_candidate(
        Candidate(
            structure=atoms, cif=cif_text, formula=formula, spacegroup=spg, lattice=lattice,
            step=state.step, source="template", template=template, rotation_deg=None,
        )
    )  # fmt: skip
    cif = state.artifact("structure.cif")
    cif.write_text(cif_text)
    numbers = {
        "formula": formula,
        "spacegroup": spg,
        "lattice": lattice,
        "template": template,
        "source": "template",
        "in_plane_scale": None if scale is None else round(float(scale), 5),
        "warnings": warnings,
    }
    summary = (
        f"adopted template {match.id} ({formula}, {spg}), a={lattice['a']:.3f} Å "
        f"b={lattice['b']:.3f} Å γ={lattice['gamma']:.1f}°"
    )
    return ToolOutput(summary, numbers, {"cif": cif})


def _scale(atoms, measured: dict[str, float] | None) -> float | None:
    """Isotropic in-plane scale that brings the template's reduced cell onto the measured
    one, when the two agree within 15 % in both lengths (None otherwise)."""
    from reconstruction.detection.lattice import gauss_reduce

    if not measured:
        return None
    cell = np.array(atoms.cell)[:2, :2].T
    own = np.sort(np.linalg.norm(gauss_reduce(cell), axis=0))
    seen = np.sort([measured["a"], measured["b"]])
    ratio = seen / own
    if np.any(np.abs(ratio - 1) > 0.15):
        return None
    return float(np.sqrt(ratio[0] * ratio[1]))
