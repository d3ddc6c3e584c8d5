"""Add (or replace) one curated structure in the template library from a CIF file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from templates_lib import services


class Command(BaseCommand):
    help = "Describe one structure (CIF or any ASE-readable file) and store it as a template."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--id", dest="source_id", default=None,
                            help="template id (default: the file name)")  # fmt: skip
        parser.add_argument("--source", default="curated")

    def handle(self, *args, file: Path, source_id, source, **options) -> None:
        from ase.io import read

        if not file.exists():
            raise CommandError(f"{file} does not exist")
        try:
            atoms = read(file)
        except Exception as exc:  # ASE raises many types for unreadable files
            raise CommandError(f"cannot read a structure from {file}: {exc}") from exc
        try:
            template = services.add_structure(
                atoms, source_id=source_id or file.stem, source=source
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"stored {template}")
