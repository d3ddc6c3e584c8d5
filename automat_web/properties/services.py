"""Property prediction with the database as the cache of elemental references.

The science (``reconstruction.energy``) caches references in a folder; here that folder
is a temporary one filled from, and written back to, the ``ElementalReference`` row, under
a PostgreSQL advisory lock so that two workers never compute the same references twice.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ase import Atoms
from ase.calculators.calculator import Calculator
from django.db import connection, transaction

from automat_web.env import science_settings
from automat_web.properties.models import ElementalReference
from reconstruction.energy import (
    DEFAULT_MODEL,
    DEFAULT_SCHEME,
    ElementalReferences,
    FormationEnergyResult,
    get_calculator,
    get_references,
    relax_2d,
    score_relaxed,
)
from reconstruction.energy.references import cache_path, seed_cache


def references(
    model: str = DEFAULT_MODEL,
    scheme: str = DEFAULT_SCHEME,
    *,
    elements: Iterable[str] = (),
    calc: Calculator | None = None,
) -> ElementalReferences:
    """The references of ``model``/``scheme`` covering ``elements``, computed at most once.

    A first call starts from the references shipped with the package when there are any;
    only what is still missing (e.g. a new element for ``elemental``) is computed.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"refs:{model}:{scheme}"])
        row = ElementalReference.objects.filter(model=model, scheme=scheme).first()
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp)
            if row is None:
                seed_cache(cache)
            else:
                cache_path(cache, model, scheme).write_text(json.dumps(row.data))
            science = science_settings()
            refs = get_references(
                model, scheme, cache_dir=cache, elements=elements, calc=calc,
                checkpoint=science.mattersim_checkpoint, data_dir=science.shared_data_dir,
            )  # fmt: skip
        if row is None or row.data != refs.as_dict():
            ElementalReference.objects.update_or_create(
                model=model, scheme=scheme, defaults={"data": refs.as_dict()}
            )
    return refs


def formation_energy(
    atoms: Atoms,
    *,
    model: str = DEFAULT_MODEL,
    scheme: str = DEFAULT_SCHEME,
    relax: bool = True,
    calc: Calculator | None = None,
) -> FormationEnergyResult:
    """Relax (unless ``relax`` is False) and score ``atoms`` against the stored references."""
    refs = references(model, scheme, elements=set(atoms.get_chemical_symbols()), calc=calc)
    science = science_settings()
    calculator = calc or get_calculator(model, checkpoint=science.mattersim_checkpoint)
    relaxed = relax_2d(
        atoms, calculator, threads=science.energy_threads, **({} if relax else {"max_steps": 0})
    )
    return score_relaxed(relaxed, refs, scheme=scheme)
