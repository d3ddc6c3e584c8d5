"""Export of a curated set: a zip of one CIF per structure, all of them in one extxyz, and
``manifest.json`` with each structure's provenance (sample, run, reviews, energy)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from automat_web.structures.models import Structure

#: Most structures one export holds (the zip is built in memory).
MAX_STRUCTURES = 2000
MANIFEST_FORMAT = "automat-structures/1"
EXTXYZ_NAME = "structures.extxyz"


def for_export(structures) -> list[Structure]:
    """The rows of ``structures`` with what the manifest reads, oldest first."""
    return list(
        structures.select_related(
            "origin_run__sample__group", "origin_run__sample__owner", "created_by", "promoted_by"
        )
        .prefetch_related("reviews__reviewer")
        .order_by("created", "id")[: MAX_STRUCTURES + 1]
    )


def export_zip(structures: Sequence[Structure], *, exported_by: str, filters: dict) -> bytes:
    """The zip (bytes) of ``structures``: ``cifs/<name>.cif``, ``structures.extxyz`` (one
    frame per structure, in manifest order) and ``manifest.json``."""
    from ase.io import write

    frames, entries = [], []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, structure in enumerate(structures):
            name = f"cifs/{structure.cif_filename}"
            archive.writestr(name, structure.cif)
            atoms = structure.atoms()
            atoms.info = _frame_info(structure)
            frames.append(atoms)
            entries.append({**provenance(structure), "cif": name, "extxyz_frame": index})
        text = io.StringIO()
        if frames:
            write(text, frames, format="extxyz")
        archive.writestr(EXTXYZ_NAME, text.getvalue())
        manifest = {
            "format": MANIFEST_FORMAT,
            "exported_at": timezone.now().isoformat(),
            "exported_by": exported_by,
            "filters": filters,
            "count": len(entries),
            "extxyz": EXTXYZ_NAME,
            "structures": entries,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()


def _frame_info(structure: Structure) -> dict[str, Any]:
    """Per-frame keys of the extxyz (plain values only: extxyz has no null)."""
    info = {
        "structure_id": structure.pk,
        "version": structure.version,
        "formula": structure.formula,
        "curation_state": structure.curation_state,
        "sample_id": structure.origin_run.sample_id,
        "run_id": structure.origin_run_id,
        "formation_energy_per_atom": structure.formation_energy_per_atom,
        "energy_model": structure.energy_model,
    }
    return {key: value for key, value in info.items() if value not in (None, "")}


def provenance(structure: Structure) -> dict[str, Any]:
    """One manifest entry: the structure, where it came from and who judged it."""
    run = structure.origin_run
    sample = run.sample
    return {
        "id": structure.pk,
        "version": structure.version,
        "parent": structure.parent_id,
        "machine_result": structure.run_id is not None,
        "formula": structure.formula,
        "elements": list(structure.elements),
        "spacegroup": structure.spacegroup,
        "lattice": {"a": structure.a, "b": structure.b, "gamma": structure.gamma},
        "energy": {
            "formation_energy_per_atom": structure.formation_energy_per_atom,
            "total_energy_per_atom": structure.total_energy_per_atom,
            "model": structure.energy_model,
            "relaxed": structure.relaxed,
            "status": structure.energy_status or "from the run",
        },
        "template": (
            {"id": structure.template_id, "distance": structure.template_distance}
            if structure.template_id
            else None
        ),
        "curation": {
            "state": structure.curation_state,
            "corrected_by": _name(structure.created_by),
            "edits": structure.edits,
            "reviews": [
                {
                    "from": r.from_state,
                    "to": r.to_state,
                    "by": _name(r.reviewer),
                    "at": r.created.isoformat(),
                    "comment": r.comment,
                    "new_version": r.new_version_id,
                }
                for r in structure.reviews.all()
            ],
            "library_id": structure.library_id or None,
            "promoted_by": _name(structure.promoted_by),
        },
        "sample": {
            "id": sample.pk,
            "name": sample.name,
            "lab": sample.group.name,
            "owner": _name(sample.owner),
            "elements": list(sample.elements),
            "pixel_size_A": sample.pixel_size_A,
        },
        "run": {
            "id": run.pk,
            "status": run.status,
            "policy": run.policy,
            "mode": run.mode,
            "created": run.created.isoformat(),
            "finished": run.finished.isoformat() if run.finished else None,
        },
        "created": structure.created.isoformat(),
    }


def _name(user) -> str | None:
    return user.get_username() if user is not None else None
