"""Build (or update) the template library from a structure file, in parallel and
incrementally: each structure is rendered and described in each imaging mode (iDPC, HAADF,
ABF), skipping the modes whose content hash and descriptor version are stored already."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from automat_web.env import science_settings
from reconstruction.simulate.config import MODES
from templates_lib import services
from templates_lib.builder import build_records, load_source


class Command(BaseCommand):
    help = "Render, describe and store templates (default: the 6,064 shared monolayers)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="extxyz/CIF file (default: monolayers.extxyz of the shared data, "
            "AUTOMAT_SHARED_DATA or ../shared/data)",
        )
        parser.add_argument("--limit", type=int, default=None, help="first N structures only")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--modes", default=",".join(MODES),
                            help=f"imaging modes to describe, comma-separated (default: all: "
                                 f"{','.join(MODES)})")  # fmt: skip
        parser.add_argument("--dump", type=Path, default=None,
                            help="afterwards, write the compact dump (.npz) here")  # fmt: skip

    def handle(self, *args, source, limit, workers, dump, modes, **options) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be >= 1")
        chosen = [m.strip().lower() for m in modes.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in MODES]
        if unknown or not chosen:
            raise CommandError(f"--modes: unknown {unknown or modes!r}; choose from {MODES}")
        try:
            data_dir = science_settings().shared_data_dir
            structures = load_source(source, limit=limit, data_dir=data_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for mode in chosen:
            self._build(structures, mode=mode, workers=workers)
        if dump:
            services.export_dump(dump)
            self.stdout.write(f"dump written to {dump}")

    def _build(self, structures, *, mode: str, workers: int) -> None:
        start = time.perf_counter()
        skipped: list[str] = []
        errors: list[str] = []

        def stream():
            for record in build_records(
                structures,
                known=services.known_hashes(mode),
                workers=workers,
                mode=mode,
                progress=sys.stderr.isatty(),
                on_skip=lambda a: skipped.append(a.info.get("id")),
            ):
                if "error" in record:
                    errors.append(f"{record['id']}: {record['error']}")
                yield record

        stored = services.store_records(stream(), batch_size=50)
        seconds = time.perf_counter() - start
        for line in errors:
            self.stderr.write(f"skipped {line} ({mode})")
        self.stdout.write(
            f"{mode}: {stored} templates stored, {len(skipped)} unchanged, {len(errors)} failed "
            f"in {seconds:.1f} s"
        )
