"""Compute (or load the shipped) elemental references of a potential into the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from automat_web.properties.services import references
from reconstruction.energy import DEFAULT_MODEL, DEFAULT_SCHEME, MODELS


class Command(BaseCommand):
    help = "Store the elemental references of a potential (computed once, then reused)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
        parser.add_argument("--scheme", default=DEFAULT_SCHEME)
        parser.add_argument("--elements", default="", help="for elemental: e.g. Mo,S")

    def handle(self, *args, model: str, scheme: str, elements: str, **options) -> None:
        wanted = [e for e in elements.split(",") if e]
        refs = references(model, scheme, elements=wanted)
        self.stdout.write(f"{model}/{scheme}: {len(refs.mu_eV_per_atom)} elements stored")
