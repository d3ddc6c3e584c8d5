"""``automat reconstruct IMAGE``: one micrograph to a CIF, without the database.

    automat reconstruct IMAGE [--elements Mo,S] [--pixel-size 0.1] [--out DIR]
                              [--no-relax] [--no-energy] [--mode idpc|haadf|abf]
                              [--templates [DUMP]] [--template FILE]
                              [--policy direct|rules] [--agent]

Runs the agent as the portal does (:func:`reconstruction.agent.run_agent`) and writes
``DIR/structure.cif``, ``DIR/result.json`` (:meth:`~reconstruction.agent.AgentResult.as_dict`)
and ``DIR/overlay.png``; the steps' files go to ``DIR/steps``. The policy ``direct`` (the
default) is STEM2CIF as published, with ``--templates`` the library's nearest templates as
priors; ``rules`` (``--agent``) denoises, checks by simulation and retries. The quality
gate judges both: exit status 0 succeeded, 3 needs review (the structure is written; every
``direct`` run, which is never checked by simulation), 1 failed, with a one-line reason on
stderr and ``"error"`` in ``result.json`` (see docs ARCHITECTURE.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reconstruction.errors import ScienceError
from reconstruction.settings import DEFAULT, ScienceSettings

PROG = "automat reconstruct"
#: Options of the direct policy only (the rules policy matches templates itself).
DIRECT_ONLY = {
    "template": "--template",
    "exclude_templates": "--exclude-templates",
    "template_max_distance": "--template-max-distance",
    "template_rdf_max_distance": "--template-rdf-max-distance",
}


class OptionConflict(ScienceError):
    """Options that do not go together; the message names them."""


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the subcommand (also used by ``add_parser``)."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's arguments to ``parser``."""
    parser.add_argument("image", help="micrograph file (any supported format)")
    parser.add_argument("--elements", default="", help="elements present, e.g. Mo,S")
    parser.add_argument(
        "--pixel-size", type=float, default=None, help="[Å/px], overrides the file's calibration"
    )
    parser.add_argument("--out", default=None, help="output folder (default: IMAGE stem + _cif)")
    parser.add_argument(
        "--no-relax", action="store_true", help="formation energy of the structure as built"
    )
    parser.add_argument("--no-energy", action="store_true", help="skip property prediction")
    parser.add_argument(
        "--energy-model", default=None, help="sevennet-0 (default), chgnet-0.3.0, mattersim"
    )
    parser.add_argument(
        "--references", default=None, help="elemental references: fitted (default), elemental"
    )
    parser.add_argument(
        "--mode", default=None, choices=["idpc", "haadf", "abf"],
        help="imaging mode (default: what the file's signal is called, else idpc)",
    )  # fmt: skip
    parser.add_argument("--template", default=None, help="structure file to take heights from")
    parser.add_argument(
        "--templates", nargs="?", const="", default=None, metavar="DUMP",
        help="template library as a structural prior (the shipped dump, or this .npz); "
        "with --policy rules the library the agent matches against",
    )  # fmt: skip
    parser.add_argument(
        "--template-max-distance", type=float, default=None, metavar="D",
        help="largest descriptor distance at which a template is used (default: measured)",
    )  # fmt: skip
    parser.add_argument(
        "--template-rdf-max-distance", type=float, default=None, metavar="R",
        help="when the nearest template is farther than that, the nearest by the pair-"
             "distance histogram is used up to R (default: measured; 0: never)",
    )  # fmt: skip
    parser.add_argument(
        "--exclude-templates", default="", metavar="IDS",
        help="template ids left out of the library, comma-separated (held-out tests)",
    )  # fmt: skip
    parser.add_argument(
        "--policy", choices=["direct", "rules"], default=None,
        help="direct (default): STEM2CIF once, with --templates the nearest templates as "
        "priors; rules: denoise, templates, STEM2CIF, check by simulation, retries",
    )  # fmt: skip
    parser.add_argument("--agent", action="store_true", help="the same as --policy rules")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``reconstruct`` on the ``automat`` command's subparsers (``func=run``)."""
    parser = sub.add_parser("reconstruct", help="one micrograph to a CIF (no database)")
    add_arguments(parser)
    parser.set_defaults(func=run, science=DEFAULT)


def main(argv: list[str] | None = None, *, settings: ScienceSettings = DEFAULT) -> int:
    """Run the command with the caller's ``settings``; returns the exit status."""
    args = build_parser().parse_args(argv)
    args.science = settings
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Reconstruct ``args.image`` with the agent; write the three outputs; 0 succeeded,
    3 needs review, 1 failed."""
    from reconstruction.agent import AgentResult, run_agent

    out = Path(args.out) if args.out else Path(f"{Path(args.image).stem}_cif")
    out.mkdir(parents=True, exist_ok=True)
    name = "rules" if args.agent else (args.policy or "direct")
    try:
        policy = _policy(args, name)
        micrograph = _read(args)
        retriever = _retriever(args)
    except Exception as exc:
        reason = _reason(exc)
        _write_result(out, AgentResult(status="failed", error=reason, policy=name))
        print(f"{PROG}: {reason}", file=sys.stderr)
        return 1
    result = run_agent(
        micrograph.data, pixel_size_A=micrograph.calibration.pixel_size_A,
        elements=args.elements, mode=args.mode, policy=policy, retriever=retriever,
        artifacts_dir=out / "steps", energy_model=args.energy_model,
        relax=not args.no_relax, settings=args.science,
    )  # fmt: skip
    _write_result(out, result)
    if result.cif:
        (out / "structure.cif").write_text(result.cif)
    _write_overlay(out / "overlay.png", micrograph.data, result)
    for step in result.steps:
        if step.tool == "match_templates" and not step.ok:
            print(f"{PROG}: no template prior: {step.error}", file=sys.stderr)
    if result.status != "succeeded":
        print(f"{PROG}: {_said(result)}", file=sys.stderr)
        return 3 if result.status == "needs_review" else 1
    return 0


def _policy(args: argparse.Namespace, name: str):
    """The policy ``name`` (``direct`` or ``rules``) with the options of ``args``."""
    if args.agent and args.policy == "direct":
        raise OptionConflict("--agent is --policy rules: give one of them")
    if name == "rules":
        from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy

        given = [flag for key, flag in DIRECT_ONLY.items() if getattr(args, key) not in (None, "")]
        if given:
            raise OptionConflict(
                f"{', '.join(given)}: only with --policy direct (the rules policy matches "
                "templates itself)"
            )
        return RulesPolicy(RulesConfig(predict_properties=not args.no_energy))
    from reconstruction.agent.policies.direct import DirectConfig, DirectPolicy

    config = DirectConfig(
        templates=args.templates is not None,
        exclude_templates=tuple(i for i in args.exclude_templates.split(",") if i),
        max_distance=args.template_max_distance,
        rdf_max_distance=args.template_rdf_max_distance,
        heights_cif=_cif_text(args.template) if args.template else None,
        predict_properties=not args.no_energy,
        references=args.references,
    )
    return DirectPolicy(config)


def _cif_text(path: str) -> str:
    """The structure in ``path`` (any format ASE reads) as CIF text."""
    import io

    import ase.io

    text = io.BytesIO()  # ASE's CIF writer writes bytes
    ase.io.write(text, ase.io.read(path), format="cif")
    return text.getvalue().decode()


def _retriever(args: argparse.Namespace):
    """The template library of the run: ``--templates DUMP`` (which must be readable), else
    the shipped dump when there is one (the quality gate compares with its monolayers even
    when the policy uses no templates)."""
    if args.templates:
        from reconstruction.descriptors import ArrayRetriever

        return ArrayRetriever.from_dump(args.templates)
    if args.templates is not None:  # --templates alone: the shipped dump, which must exist
        from reconstruction.descriptors import ArrayRetriever

        return ArrayRetriever.from_dump(args.science.templates_dump)
    from reconstruction.agent.tools.match import shipped_retriever

    return shipped_retriever(args.science.templates_dump)


def _said(result) -> str:
    """The one line on stderr of a run that did not succeed."""
    text = result.error or result.status
    unchecked = any(
        c["name"] == "forward_model" and not c["ok"] and c.get("value") is None
        for c in result.review
    )
    if unchecked and result.policy == "direct":
        text += " (--policy rules checks it)"
    return text


def _read(args: argparse.Namespace):
    from reconstruction.errors import ImplausiblePixelSize
    from reconstruction.io import read_micrograph

    micrograph = read_micrograph(Path(args.image), pixel_size_A=args.pixel_size)
    if args.mode is None:  # what the file calls its signal, else the default
        from reconstruction.io.modes import DEFAULT_MODE, mode_from_signal

        name = micrograph.info.signals[micrograph.signal].name
        args.mode = mode_from_signal(name) or DEFAULT_MODE
    if micrograph.calibration.pixel_size_A is None:
        note = f" ({micrograph.calibration.note})" if micrograph.calibration.note else ""
        raise ImplausiblePixelSize(
            f"{args.image} carries no pixel size{note}: pass --pixel-size in Å per pixel"
            + _suggestions(micrograph.data, args.elements, args.mode, args.science.templates_dump)
        )
    return micrograph


def _suggestions(image, elements: str | None, mode: str, dump: Path | None = None) -> str:
    """What the lattices of the library's (``dump``, default the shipped one) monolayers of
    ``elements`` say the pixel size is (as the portal's sample page offers), as a sentence;
    "" when nothing fits."""
    from reconstruction.agent.tools.match import shipped_retriever
    from reconstruction.stem2cif.suggest import suggest_pixel_sizes, template_cells

    try:
        known = template_cells(shipped_retriever(dump).with_elements(elements.split(",")))
    except (AttributeError, LookupError, ValueError, OSError):  # no elements, no library
        return ""
    found = suggest_pixel_sizes(image, known, mode=mode, limit=3)
    if not found:
        return ""
    listed = ", ".join(f"{s.pixel_size_A:.4f} ({s.template_id}, {s.formula})" for s in found)
    return f"; the lattice it shows fits known monolayers of {elements} at {listed} Å/px"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ScienceError):  # reading, calibration, options: said in words
        text = str(exc)
    elif isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
        text = f"cannot read {exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    else:
        text = f"unexpected error ({type(exc).__name__}: {exc})"
    return " ".join(text.split())


def _write_result(out: Path, result) -> None:
    payload = result.as_dict()
    (out / "result.json").write_text(json.dumps(payload, indent=2, default=str))


def _write_overlay(path: Path, image, result) -> None:
    """The overlay of the reconstruction that was kept (not of a rolled-back attempt), else
    the image alone."""
    import shutil

    from reconstruction.stem2cif.report import write_overlay

    kept = [
        s.artifacts["overlay"]
        for s in result.steps
        if "overlay" in s.artifacts and s.artifacts["cif"].read_text() == result.cif
    ]
    if kept:
        shutil.copyfile(kept[-1], path)
    else:
        write_overlay(path, image, None)
