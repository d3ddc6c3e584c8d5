"""Write the template library to the compact dump that ``load_templates`` reads."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from automat_web.env import science_settings
from templates_lib import services


class Command(BaseCommand):
    help = (
        "Write vectors + CIFs of every template to a .npz dump (default: AUTOMAT_TEMPLATES_DUMP "
        "or the shipped one)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=None)

    def handle(self, *args, path, **options) -> None:
        out = services.export_dump(path or science_settings().templates_dump)
        self.stdout.write(f"dump written to {out} ({out.stat().st_size / 1e6:.1f} MB)")
