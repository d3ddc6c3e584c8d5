"""Load the compact template dump (vectors + CIFs) into the database in seconds."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from automat_web.env import science_settings
from reconstruction.descriptors.library import dump_modes
from templates_lib import services
from templates_lib.models import Template


class Command(BaseCommand):
    help = (
        "Load the template library dump (AUTOMAT_TEMPLATES_DUMP, default the shipped "
        "templates_lib/data/templates.npz)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=None)
        parser.add_argument("--if-needed", action="store_true",
                            help="only when the library is empty or lacks an imaging mode "
                                 "the dump has")  # fmt: skip

    def handle(self, *args, path, if_needed, **options) -> None:
        path = path or science_settings().templates_dump
        if if_needed and Template.objects.exists():
            try:
                wanted = set(dump_modes(path))
            except (FileNotFoundError, ValueError):
                wanted = set()
            have = set(services.described_modes())
            if wanted <= have:
                self.stdout.write(
                    f"template library: {Template.objects.count()} templates "
                    f"({', '.join(sorted(have))})"
                )
                return
        start = time.perf_counter()
        try:
            n = services.load_dump(path)
        except FileNotFoundError as exc:
            if if_needed:  # `automat run` starts without a library rather than not at all
                self.stderr.write(f"template library is empty: {exc}")
                return
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{n} templates loaded in {time.perf_counter() - start:.1f} s")
