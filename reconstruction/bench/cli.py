"""``automat bench build|run|score`` (argument parsing only; the work is in the modules)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from reconstruction.settings import DEFAULT


def _range_type(name: str):
    """argparse type for ``LO,HI`` [Å]: a (low, high) tuple checked by ``check_range``."""

    def parse(text: str) -> tuple[float, float]:
        from reconstruction.bench.dataset import check_range

        try:
            return check_range(name, tuple(float(v) for v in text.split(",")))
        except ValueError as exc:
            message = str(exc) if name in str(exc) else f"{name} must be LO,HI, got {text!r}"
            raise argparse.ArgumentTypeError(message) from None

    parse.__name__ = "range"  # argparse names the type in some messages
    return parse


def add_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="build, run and score the STEM2Mat-style benchmark")
    verbs = bench.add_subparsers(dest="verb", required=True)

    build = verbs.add_parser("build", help="simulate image–structure–energy triplets")
    build.add_argument("out", type=Path)
    build.add_argument("--n", type=int, default=450, help="number of samples")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--mode", choices=["idpc", "haadf", "abf"], default="idpc")
    build.add_argument("--simulator", choices=["fast", "full"], default="fast")
    build.add_argument(
        "--filter", choices=["strict", "loose"], default="loose",
        help="thickness <= 3 Å (paper's text) or <= 4 Å (paper's code, default)",
    )  # fmt: skip
    build.add_argument("--no-rotation", action="store_true", help="no random in-plane rotation")
    build.add_argument(
        "--unrotated", type=Path, default=None, metavar="DIR",
        help="also write each sample without rotation into DIR (same structure, dose, noise "
        "seed; with --simulator full from the same multislice scan)",
    )  # fmt: skip
    build.add_argument(
        "--defocus-A", type=_range_type("defocus_A"), default=None, metavar="LO,HI",
        help="draw each sample's probe defocus [Å] uniformly from LO..HI (default 0)",
    )  # fmt: skip
    build.add_argument(
        "--source-size-A", type=_range_type("source_size_A"), default=None, metavar="LO,HI",
        help="draw each sample's effective source size, FWHM [Å], uniformly from LO..HI "
        "(incoherent blur; default 0)",
    )  # fmt: skip
    # This Python's argparse takes "-20,20" for an option, so "--defocus-A -20,20" would
    # lack its value; newer argparse's rule: "-" followed by a digit is a value.
    build._negative_number_matcher = re.compile(r"-\.?\d")
    build.add_argument("--workers", type=int, default=2)
    build.set_defaults(func=_build, science=DEFAULT)

    run = verbs.add_parser("run", help="run a method on every sample")
    run.add_argument("dataset", type=Path)
    run.add_argument("out", type=Path)
    run.add_argument(
        "--method", choices=["stem2cif", "agent", "naive", "oracle"], default="stem2cif"
    )
    run.add_argument("--workers", type=int, default=2)
    run.add_argument(
        "--energy", choices=["relax", "single", "none"], default="relax",
        help="stem2cif, agent: relax then score (default), score as reconstructed, or skip",
    )  # fmt: skip
    run.add_argument(
        "--templates", nargs="?", const="", default=None, metavar="DUMP",
        help="stem2cif: the template library as a structural prior (shipped dump or this .npz)",
    )  # fmt: skip
    run.add_argument(
        "--held-out", action="store_true",
        help="with --templates, or --method agent: leave each sample's own structure and "
        "its equivalents out of the library",
    )  # fmt: skip
    run.add_argument(
        "--template-max-distance", type=float, default=None, metavar="D",
        help="with --templates: use a template up to this descriptor distance",
    )  # fmt: skip
    run.add_argument(
        "--template-rdf-max-distance", type=float, default=None, metavar="R",
        help="with --templates: else the nearest by the rdf histogram up to R (0: never)",
    )  # fmt: skip
    run.set_defaults(func=_run, science=DEFAULT)

    score = verbs.add_parser("score", help="RMSD_xy, C.C., S.S. and energy MAE per tier")
    score.add_argument("dataset", type=Path)
    score.add_argument("out", type=Path)
    score.add_argument("--label", default=None, help="row label in the printed table")
    score.set_defaults(func=_score)


def _build(args: argparse.Namespace) -> int:
    from reconstruction.bench.build import build

    specs = build(
        args.out, n=args.n, seed=args.seed, mode=args.mode, simulator=args.simulator,
        criteria=args.filter, rotate=not args.no_rotation, workers=args.workers,
        progress=sys.stderr.isatty(), unrotated=args.unrotated, defocus_A=args.defocus_A,
        source_size_A=args.source_size_A, data_dir=args.science.shared_data_dir,
    )  # fmt: skip
    also = f" and {args.unrotated}" if args.unrotated else ""
    print(f"{len(specs)} samples in {args.out}{also}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from reconstruction.bench.run import run

    run(args.dataset, args.out, method=args.method, workers=args.workers,
        progress=sys.stderr.isatty(), energy=args.energy, templates=args.templates,
        held_out=args.held_out, max_distance=args.template_max_distance,
        rdf_max_distance=args.template_rdf_max_distance, settings=args.science)  # fmt: skip
    return 0


def _score(args: argparse.Namespace) -> int:
    from reconstruction.bench.score import MARKDOWN_HEADER, markdown_rows, score

    report = score(args.dataset, args.out)
    print(MARKDOWN_HEADER)
    print("\n".join(markdown_rows(args.label or args.out.name, report["table"])))
    print(json.dumps({"mean_wall_s": report["mean_wall_s"]}))
    return 0
