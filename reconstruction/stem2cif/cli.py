"""``automat reconstruct IMAGE``: one micrograph to a CIF, without the database.

    automat reconstruct IMAGE [--elements Mo,S] [--pixel-size 0.1] [--out DIR]
                              [--no-relax] [--mode idpc|haadf|abf] [--template FILE]
                              [--agent]

Writes ``DIR/structure.cif``, ``DIR/result.json`` and ``DIR/overlay.png`` and exits 0; on
failure exits 1 with a one-line reason on stderr and ``result.json`` saying
``"status": "failed"`` and ``"error"`` (see docs ARCHITECTURE.md, "Contracts").
With ``--agent`` the agent (``reconstruction.agent``, rules policy) runs every tool and
``result.json`` carries its steps; the steps' files go to ``DIR/steps``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.settings import DEFAULT, ScienceSettings

PROG = "automat reconstruct"


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
        help="template library as a structural prior (the shipped dump, or this .npz)",
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
        "--agent", action="store_true",
        help="run the agent (denoise, templates, STEM2CIF, check by simulation, retries); "
        "result.json carries every step, their files go to OUT/steps",
    )  # fmt: skip


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
    """Reconstruct ``args.image``; write the three outputs; 0 on success, 1 on failure."""
    out = Path(args.out) if args.out else Path(f"{Path(args.image).stem}_cif")
    out.mkdir(parents=True, exist_ok=True)
    if getattr(args, "agent", False):
        return _run_agent(args, out)
    step_args = {
        "elements": args.elements,
        "pixel_size_A": args.pixel_size,
        "mode": args.mode,
        "template": args.template,
    }
    timings: dict[str, float] = {}
    image = None
    try:
        t0 = time.perf_counter()
        micrograph = _read(args)
        step_args["mode"] = args.mode
        image = micrograph.data
        timings["read"] = round(time.perf_counter() - t0, 4)
        result = _reconstruct(args, micrograph)
        timings["stem2cif"] = round(time.perf_counter() - t0 - timings["read"], 4)
    except Exception as exc:
        reason = _reason(exc)
        _write_failure(out, reason, step_args, timings)
        if image is not None:
            _write_overlay(out / "overlay.png", image, None)
        print(f"{PROG}: {reason}", file=sys.stderr)
        return 1
    (out / "structure.cif").write_text(result.cif)
    _write_overlay(out / "overlay.png", image, result)
    payload = success_payload(result, step_args, timings, relax=not args.no_relax)
    if not args.no_energy:
        t0 = time.perf_counter()
        payload["energy"], step = predict_properties(result.structure, args)
        payload["steps"].append(step)
        payload["timings_s"]["predict_properties"] = round(time.perf_counter() - t0, 3)
    (out / "result.json").write_text(json.dumps(payload, indent=2))
    return 0


def predict_properties(structure, args: argparse.Namespace) -> tuple[dict, dict]:
    """Relax (unless ``--no-relax``) and score the structure: (energy dict, step)."""
    from reconstruction.energy.properties import predict_properties as predict

    out = predict(
        structure, model=args.energy_model, references=args.references,
        relax=not args.no_relax, settings=args.science,
    )  # fmt: skip
    return out.energy, _step(out.args, out.ok, out.summary)


def _run_agent(args: argparse.Namespace, out: Path) -> int:
    """``--agent``: the rules policy over every tool; the same three outputs."""
    import shutil

    from reconstruction.agent import run_agent
    from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
    from reconstruction.agent.tools.match import shipped_retriever

    step_args = {"elements": args.elements, "pixel_size_A": args.pixel_size, "mode": args.mode}
    try:
        if args.template:
            raise ValueError("--template is not used with --agent (it matches templates itself)")
        micrograph = _read(args)
        step_args["mode"] = args.mode
    except Exception as exc:
        reason = _reason(exc)
        _write_failure(out, reason, step_args, {})
        print(f"{PROG}: {reason}", file=sys.stderr)
        return 1
    result = run_agent(
        micrograph.data, pixel_size_A=micrograph.calibration.pixel_size_A,
        elements=args.elements, mode=args.mode,
        policy=RulesPolicy(RulesConfig(predict_properties=not args.no_energy)),
        retriever=shipped_retriever(args.science.templates_dump), artifacts_dir=out / "steps",
        energy_model=args.energy_model, relax=not args.no_relax, settings=args.science,
    )  # fmt: skip
    payload = result.as_dict()
    (out / "result.json").write_text(json.dumps(payload, indent=2, default=str))
    if result.cif:
        (out / "structure.cif").write_text(result.cif)
    # The overlay of the reconstruction that was kept (not of a rolled-back attempt).
    kept = [
        s.artifacts["overlay"]
        for s in result.steps
        if "overlay" in s.artifacts and s.artifacts["cif"].read_text() == result.cif
    ]
    if kept:
        shutil.copyfile(kept[-1], out / "overlay.png")
    else:
        _write_overlay(out / "overlay.png", micrograph.data, None)
    if result.status != "succeeded":
        print(f"{PROG}: {result.error}", file=sys.stderr)
        return 3 if result.status == "needs_review" else 1
    return 0


def _step(args: dict, ok: bool, summary: str) -> dict:
    return {"tool": "predict_properties", "args": args, "ok": ok, "summary": summary}


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


def _reconstruct(args: argparse.Namespace, micrograph):
    from reconstruction.stem2cif import reconstruct

    template = None
    if args.template:
        import ase.io

        template = ase.io.read(args.template)
    prior = None
    if getattr(args, "templates", None) is not None:
        from reconstruction.descriptors import ArrayRetriever
        from reconstruction.stem2cif.prior import candidate_priors, retrieve_prior

        retriever = ArrayRetriever.from_dump(args.templates or args.science.templates_dump)
        excluded = [i for i in getattr(args, "exclude_templates", "").split(",") if i]
        if excluded:
            retriever = retriever.without(excluded)
        try:
            limits = {
                "max_distance": getattr(args, "template_max_distance", None),
                "rdf_max_distance": getattr(args, "template_rdf_max_distance", None),
            }
            _, matches, _ = retrieve_prior(
                micrograph.data, pixel_size_A=micrograph.calibration.pixel_size_A,
                elements=args.elements, retriever=retriever, mode=args.mode, **limits,
            )  # fmt: skip
            prior = candidate_priors(matches, **limits)
        except LookupError as exc:  # a library without this imaging mode: go on without
            print(f"automat reconstruct: no template prior: {exc}", file=sys.stderr)
    return reconstruct(
        micrograph.data,
        pixel_size_A=micrograph.calibration.pixel_size_A,
        elements=args.elements,
        mode=args.mode,
        template=template,
        prior=prior,
    )


def _reason(exc: Exception) -> str:
    from reconstruction.errors import ReconstructionError
    from reconstruction.io.errors import IngestError

    if isinstance(exc, ReconstructionError | IngestError):
        text = str(exc)
    elif isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
        text = f"cannot read {exc.filename}: {exc.strerror}"
    else:
        text = f"unexpected error ({type(exc).__name__}: {exc})"
    return " ".join(text.split())


def success_payload(result, step_args: dict, timings: dict, *, relax: bool) -> dict[str, Any]:
    """The ``result.json`` of a successful reconstruction."""
    from reconstruction.stem2cif import report

    return {
        "status": "succeeded",
        "formula": result.formula,
        "elements": list(result.elements),
        "lattice": report.lattice_dict(result),
        "spacegroup": result.spacegroup,
        "energy": None,
        "template": getattr(result, "prior", None),
        "relax_requested": relax,
        "pixel_size_A": result.pixel_size_A,
        "mode": result.mode,
        "warnings": list(result.warnings),
        "timings_s": {**timings, "stem2cif_stages": result.timings_s},
        "steps": [
            {"tool": "stem2cif", "args": step_args, "ok": True, "summary": report.summary(result)}
        ],
        "stem2cif": report.details(result),
    }


def _write_failure(out: Path, reason: str, step_args: dict, timings: dict) -> None:
    payload = {
        "status": "failed",
        "error": reason,
        "formula": None,
        "elements": [],
        "lattice": None,
        "spacegroup": None,
        "energy": None,
        "template": None,
        "timings_s": timings,
        "steps": [{"tool": "stem2cif", "args": step_args, "ok": False, "summary": reason}],
    }
    (out / "result.json").write_text(json.dumps(payload, indent=2))


def _write_overlay(path: Path, image: np.ndarray, result) -> None:
    from reconstruction.stem2cif.report import write_overlay

    write_overlay(path, image, result)
