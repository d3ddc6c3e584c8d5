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
from reconstruction.descriptors.library import VECTOR_DIMS
from reconstruction.descriptors.retrieval import (
    checked_vector,
    structure_dict,
    structure_from_cif,
    structure_from_dict,
)
from reconstruction.simulate.config import MODES
from templates_lib.models import VECTOR_COLUMNS, Template, vector_column

METADATA_FIELDS = (
    "source", "formula", "elements", "spacegroup", "sg_number", "a_A", "b_A", "gamma_deg",
    "n_atoms", "formation_energy_per_atom", "cif", "structure", "descriptor_version",
    "content_hash",
)  # fmt: skip


class PgRetriever:
    """Top-k templates by cosine distance in one SQL query (pgvector HNSW / exact), among
    the templates described in the query's imaging mode."""

    def __init__(self, *, vector: str = "rich", ef_search: int | None = None) -> None:
        self.vector = checked_vector(vector)
        self.ef_search = ef_search

    def queryset(
        self,
        descriptor: Descriptor,
        elements: Sequence[str],
        *,
        allow_subset: bool = False,
        vector: str | None = None,
    ):
        vector = checked_vector(vector or self.vector)
        query = list(element_key(elements))
        qs = described(descriptor.mode, vector)
        if allow_subset:
            allowed = sorted(set(query) | LIGHT_ELEMENTS)
            qs = qs.filter(elements__contains=query, elements__contained_by=allowed)
        else:
            qs = qs.filter(elements=query)
        column = vector_column(vector, descriptor.mode)
        vec = getattr(descriptor, vector)
        return qs.annotate(distance=CosineDistance(column, vec)).order_by("distance")

    def top_k(
        self,
        descriptor: Descriptor,
        elements: Sequence[str],
        k: int = 10,
        *,
        allow_subset: bool = False,
        vector: str | None = None,
    ) -> list[TemplateMatch]:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        qs = self.queryset(descriptor, elements, allow_subset=allow_subset, vector=vector)
        qs = qs.only(
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
        if not rows and not described(descriptor.mode, vector or self.vector).exists():
            raise LookupError(
                f"the template library has no {descriptor.mode} descriptors: build them "
                f"with `manage.py build_templates --modes {descriptor.mode}`"
            )
        return [_match(t, max(0.0, float(t.distance)), vector or self.vector) for t in rows]

    def __len__(self) -> int:
        """Templates in the library (0 when it was never loaded)."""
        return Template.objects.count()

    def with_elements(self, elements: Sequence[str]) -> list[TemplateMatch]:
        """Every template of exactly these elements, in any imaging mode, unranked."""
        rows = Template.objects.filter(elements=list(element_key(elements))).order_by("source_id")
        return [_match(t, float("nan"), self.vector) for t in rows]


def _match(t: Template, distance: float, vector: str) -> TemplateMatch:
    return TemplateMatch(
        id=t.source_id,
        formula=t.formula,
        elements=tuple(t.elements),
        spacegroup=t.spacegroup,
        distance=distance,
        structure=structure_from_dict(t.structure),
        formation_energy_per_atom=t.formation_energy_per_atom,
        vector=vector,
    )


def retriever(*, vector: str = "rich") -> PgRetriever:
    """The pgvector retriever over the ``Template`` table."""
    return PgRetriever(vector=vector)


def record_vectors(record: dict) -> dict[str, dict[str, np.ndarray]]:
    """``{mode: {"rdf", "rich"}}`` of a record: a builder record holds one mode
    (``"mode"``, ``"rdf"``, ``"rich"``), a dump record all of the dump's (``"vectors"``);
    rows of NaN (not described in a mode) are left out."""
    if "vectors" in record:
        pairs = record["vectors"].items()
    else:
        pairs = [(record.get("mode", "idpc"), {"rdf": record["rdf"], "rich": record["rich"]})]
    out = {}
    for mode, vectors in pairs:
        arrays = {k: np.asarray(v, np.float32) for k, v in vectors.items()}
        if not any(np.isnan(a).any() for a in arrays.values()):
            out[mode] = arrays
    return out


def _fields(record: dict, vectors: dict[str, dict[str, np.ndarray]]) -> dict:
    import base64

    png = record.get("png")
    fields = {
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
        "descriptor_version": record.get("descriptor_version", DESCRIPTOR_VERSION),
        "content_hash": record["content_hash"],
    }
    if png:
        fields["image_png"] = base64.b64decode(png)
    for mode, arrays in vectors.items():
        for name, value in arrays.items():
            fields[vector_column(name, mode)] = value
    return fields


def store_records(records: Iterable[dict], *, batch_size: int = 500) -> int:
    """Insert or update templates (by ``source_id``) from builder/dump records; records
    with an ``"error"`` are skipped. A record updates the metadata and the vectors of the
    modes it holds; other modes' vectors (and the image, when it has none) are kept.
    Returns the number stored."""
    n = 0
    batch: list[Template] = []
    batch_columns: tuple[str, ...] = ()

    def flush() -> None:
        # A structure that changed keeps no vector or image of its old self in the modes
        # this batch does not redo (they would pass for up to date).
        hashes = dict(
            Template.objects.filter(source_id__in=[t.source_id for t in batch]).values_list(
                "source_id", "content_hash"
            )
        )
        stale = [
            t.source_id for t in batch if hashes.get(t.source_id, t.content_hash) != t.content_hash
        ]
        if stale:
            cleared = {column: None for column in VECTOR_COLUMNS}
            Template.objects.filter(source_id__in=stale).update(**cleared, image_png=None)
        Template.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["source_id"],
            update_fields=list(METADATA_FIELDS) + list(batch_columns),
        )
        batch.clear()

    for record in records:
        if "error" in record:
            continue
        fields = _fields(record, record_vectors(record))
        columns = tuple(sorted(set(fields) - set(METADATA_FIELDS)))
        if batch and columns != batch_columns:
            flush()
        batch_columns = columns
        batch.append(Template(source_id=record["id"], **fields))
        n += 1
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return n


def described(mode: str, vector: str = "rich"):
    """The templates that have a ``vector`` descriptor in imaging mode ``mode``."""
    return Template.objects.filter(**{f"{vector_column(vector, mode)}__isnull": False})


def described_modes() -> list[str]:
    """Imaging modes in which at least one template is described."""
    return [mode for mode in MODES if described(mode).exists()]


def known_hashes(mode: str = "idpc") -> set[tuple[str, str]]:
    """(content_hash, descriptor_version) of the templates described in ``mode``."""
    return set(described(mode).values_list("content_hash", "descriptor_version"))


def load_dump(path: Path | None = None) -> int:
    """Load the compact dump (default: the shipped one) into the table; returns rows."""
    library = read_dump(path)
    records = [
        {**r, "vectors": {m: {k: v[i] for k, v in vs.items()} for m, vs in library.vectors.items()}}
        for i, r in enumerate(library.records)
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
    by_mode = {}
    for mode in MODES:
        columns = {name: vector_column(name, mode) for name in VECTOR_DIMS}
        per_row = [
            None
            if getattr(t, columns["rich"]) is None
            else {name: getattr(t, column) for name, column in columns.items()}
            for t in rows
        ]
        if any(r is not None for r in per_row):
            by_mode[mode] = per_row
    return write_dump(LibraryArrays.from_rows(records, by_mode), path)


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
    records = [describe_template(atoms, mode=mode) for mode in MODES]
    for record in records:
        if "error" in record:
            raise ValueError(
                f"could not describe {record['id']} ({record['mode']}): {record['error']}"
            )
    store_records(records)
    return Template.objects.get(source_id=records[0]["id"])
