"""The ``automat`` command.

    automat run                 the portal on embedded defaults (what ``make run`` calls)
    automat db                  only the embedded PostgreSQL, until Ctrl-C (for manage.py)
    automat inspect FILE        what a micrograph file holds, as JSON (no database)
    automat reconstruct IMAGE   micrograph -> structure.cif, result.json, overlay.png
    automat bench build|run|score   the STEM2Mat-style benchmark (no database)
    automat denoise IMAGE OUT.tif   denoised float32 TIFF, same shape and pixel size
    automat denoise-train       train the mixture-of-experts denoiser (resumable)
    automat submit IMAGE        upload into the portal and run the agent (--wait: print it)

Subcommands import what they need lazily, so ``automat inspect`` never loads Django.
The science's subcommands get the machine's settings (``AUTOMAT_SHARED_DATA``,
``AUTOMAT_ENERGY_CACHE``, ... : ``automat_web.env.science_settings``) as ``args.science``;
``reconstruction`` itself reads no environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _inspect(args: argparse.Namespace) -> int:
    from reconstruction.io import read_micrograph
    from reconstruction.io.errors import IngestError, StackChoiceRequired

    try:
        micro = read_micrograph(
            Path(args.file), signal=args.signal, stack=args.stack, pixel_size_A=args.pixel_size
        )
    except StackChoiceRequired as exc:
        print(f"automat: {exc} (pass --stack)", file=sys.stderr)
        return 2
    except IngestError as exc:
        print(f"automat: {args.file}: {exc}", file=sys.stderr)
        return 1
    description = micro.describe()
    if not args.metadata:
        description.pop("metadata")
    json.dump(description, sys.stdout, indent=2, default=str)
    print()
    return 0


def _run(args: argparse.Namespace) -> int:
    from automat_web.runner import run_portal

    return run_portal(bind=args.bind, workers=args.workers)


def _db(args: argparse.Namespace) -> int:
    from automat_web.runner import run_database_only

    return run_database_only()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="automat", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start PostgreSQL, a Celery worker and the web server")
    run.add_argument("--bind", default=None, help="address:port (default AUTOMAT_BIND)")
    run.add_argument("--workers", type=int, default=None, help="web worker processes")
    run.set_defaults(func=_run)

    db = sub.add_parser("db", help="run only the embedded PostgreSQL until interrupted")
    db.set_defaults(func=_db)

    inspect = sub.add_parser("inspect", help="describe a micrograph file as JSON")
    inspect.add_argument("file")
    inspect.add_argument("--signal", default=None, help="signal index or name")
    inspect.add_argument("--stack", default=None, help="sum | align | frame:<i>")
    inspect.add_argument("--pixel-size", type=float, default=None, help="[Å/px], overrides")
    inspect.add_argument("--metadata", action="store_true", help="include the file's metadata")
    inspect.set_defaults(func=_inspect)

    from reconstruction.bench.cli import add_parser as add_bench
    from reconstruction.denoise.cli import add_parsers as add_denoise
    from reconstruction.stem2cif.cli import add_parser as add_reconstruct

    add_reconstruct(sub)
    add_bench(sub)
    add_denoise(sub)
    from automat_web.runs.submit import add_parser as add_submit

    add_submit(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "signal", None) is not None and str(args.signal).isdigit():
        args.signal = int(args.signal)
    if hasattr(args, "science"):  # a subcommand of the science: pass the machine's settings
        from django.core.exceptions import ImproperlyConfigured

        from automat_web.env import science_settings

        try:
            args.science = science_settings()
        except (ImproperlyConfigured, ValueError) as exc:
            print(f"automat: {exc}", file=sys.stderr)
            return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
