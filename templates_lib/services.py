"""Template library services: store records, load the shipped dump, and the pgvector
retriever handed to the reconstruction (which never imports the database)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from ase import Atoms
from django.db import transaction
from pgvector.django import CosineDistance

from reconstruction.descriptors import (
    DESCRIPTOR_VERSION,
    LIGHT_ELEMENTS,
    Descriptor,
    LibraryArrays,
    TemplateMatch,
    element_key,
    read_dump,
    write_dump,
)
from reconstruction.descriptors.retrieval import (
    VECTORS,
    structure_dict,
    structure_from_cif,
    structure_from_dict,
)
from templates_lib.models import Template

FIELDS = (
    "source", "formula", "elements", "spacegroup", "sg_number", "a_A", "b_A", "gamma_deg",
    "n_atoms", "formation_energy_per_atom", "cif", "structure", "image_png", "rdf", "rich",
    "descriptor_version", "content_hash",
)  # fmt: skip


class PgRetriever:
    """Top-k templates by cosine distance in one SQL query (pgvector HNSW / exact)."""

    def __init__(self, *, vector: str = "rich", ef_search: int | None = None) -> None:
        if vector not in VECTORS:
            raise ValueError(f"vector must be one of {VECTORS}, got {vector!r}")
        self.vector = vector
        self.ef_search = ef_search

    def queryset(self, descriptor: Descriptor, elements: Sequence[str], *, allow_subset=False):
        query = list(element_key(elements))
        qs = Template.objects.all()
        if allow_subset:
            allowed = sorted(set(query) | LIGHT_ELEMENTS)
            qs = qs.filter(elements__contains=query, elements__contained_by=allowed)
        else:
            qs = qs.filter(elements=query)
        vec = getattr(descriptor, self.vector)
        return qs.annotate(distance=CosineDistance(self.vector, vec)).order_by("distance")

    def top_k(
        self,
        descriptor: Descriptor,
        elements: Sequence[str],
        k: int = 10,
        *,
        allow_subset: bool = False,
    ) -> list[TemplateMatch]:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        qs = self.queryset(descriptor, elements, allow_subset=allow_subset).only(
            "source_id",
            "formula",
            "elements",
            "spacegroup",
            "formation_energy_per_atom",
            "structure",
        )[:k]
        if self.ef_search:
            from django.db import connection

            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL hnsw.ef_search = %s", [int(self.ef_search)])
                rows = list(qs)
        else:
            rows = list(qs)
        return [
            TemplateMatch(
                id=t.source_id,
                formula=t.formula,
                elements=tuple(t.elements),
                spacegroup=t.spacegroup,
                distance=max(0.0, float(t.distance)),
                structure=structure_from_dict(t.structure),
                formation_energy_per_atom=t.formation_energy_per_atom,
            )
            for t in rows
        ]


def retriever(*, vector: str = "rich") -> PgRetriever:
    """The pgvector retriever over the ``Template`` table."""
    return PgRetriever(vector=vector)


def _fields(record: dict) -> dict:
    import base64

    png = record.get("png")
    return {
        "source": record["source"],
        "formula": record["formula"],
        "elements": list(record["elements"]),
        "spacegroup": record["spacegroup"],
        "sg_number": record["sg_number"],
        "a_A": record["a"],
        "b_A": record["b"],
        "gamma_deg": record["gamma"],
        "n_atoms": record["n_atoms"],
        "formation_energy_per_atom": record.get("e_form"),
        "cif": record["cif"],
        "structure": record.get("structure") or structure_dict(structure_from_cif(record["cif"])),
        "image_png": base64.b64decode(png) if png else None,
        "rdf": np.asarray(record["rdf"], np.float32),
        "rich": np.asarray(record["rich"], np.float32),
        "descriptor_version": record.get("descriptor_version", DESCRIPTOR_VERSION),
        "content_hash": record["content_hash"],
    }


def store_records(records: Iterable[dict], *, batch_size: int = 500) -> int:
    """Insert or update templates (by ``source_id``) from builder/dump records; records
    with an ``"error"`` are skipped. Returns the number stored."""
    n = 0
    batch: list[Template] = []

    def flush() -> None:
        Template.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["source_id"],
            update_fields=[f for f in FIELDS if f != "image_png"] + ["image_png"],
        )
        batch.clear()

    for record in records:
        if "error" in record:
            continue
        batch.append(Template(source_id=record["id"], **_fields(record)))
        n += 1
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return n


def known_hashes() -> set[tuple[str, str]]:
    return set(Template.objects.values_list("content_hash", "descriptor_version"))


def load_dump(path: Path | None = None) -> int:
    """Load the compact dump (default: the shipped one) into the table; returns rows."""
    library = read_dump(path)
    records = [
        {**r, "rdf": library.rdf[i], "rich": library.rich[i]} for i, r in enumerate(library.records)
    ]
    with transaction.atomic():
        if Template.objects.exists():
            return store_records(records)
        # Into an empty table: build the HNSW indexes once at the end instead of updating
        # them row by row (several times faster).
        from django.db import connection
        from pgvector.django import HnswIndex

        hnsw = [i for i in Template._meta.indexes if isinstance(i, HnswIndex)]
        with connection.schema_editor() as editor:
            for index in hnsw:
                editor.remove_index(Template, index)
        n = store_records(records)
        with connection.schema_editor() as editor:
            for index in hnsw:
                editor.add_index(Template, index)
        return n


def export_dump(path: Path) -> Path:
    """Write every current-version template to a dump file."""
    rows = list(
        Template.objects.filter(descriptor_version=DESCRIPTOR_VERSION).order_by("source_id")
    )
    records = [_record(t) for t in rows]
    library = LibraryArrays(
        records,
        np.array([t.rdf for t in rows], np.float32).reshape(len(rows), -1),
        np.array([t.rich for t in rows], np.float32).reshape(len(rows), -1),
    )
    return write_dump(library, path)


def _record(t: Template) -> dict:
    """A dump record (see :mod:`reconstruction.descriptors.library`) of a row."""
    return {
        "id": t.source_id,
        "source": t.source,
        "formula": t.formula,
        "elements": list(t.elements),
        "spacegroup": t.spacegroup,
        "sg_number": t.sg_number,
        "a": t.a_A,
        "b": t.b_A,
        "gamma": t.gamma_deg,
        "n_atoms": t.n_atoms,
        "e_form": t.formation_energy_per_atom,
        "content_hash": t.content_hash,
        "cif": t.cif,
        "structure": t.structure,
    }


def add_structure(atoms: Atoms, *, source_id: str | None = None, source: str = "curated"):
    """Describe one curated structure and store it as a template (replacing one with the
    same id). Returns the :class:`Template`."""
    from templates_lib.builder import describe_template

    atoms = atoms.copy()
    if source_id:
        atoms.info["id"] = source_id
    atoms.info.setdefault("source", source)
    if len(atoms) == 0:
        raise ValueError("the structure has no atoms")
    if not np.all(atoms.pbc[:2]) or abs(np.linalg.det(np.array(atoms.cell)[:2, :2])) < 1e-6:
        raise ValueError("the structure needs a periodic in-plane cell (a, b in the xy-plane)")
    record = describe_template(atoms)
    if "error" in record:
        raise ValueError(f"could not describe {record['id']}: {record['error']}")
    store_records([record])
    return Template.objects.get(source_id=record["id"])
