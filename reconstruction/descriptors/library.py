"""The compact template-library dump: vectors + CIFs + metadata in one ``.npz`` file.

Written by ``templates_lib`` (``manage.py build_templates --dump`` / ``dump_templates``)
and read by :class:`~reconstruction.descriptors.retrieval.ArrayRetriever` and
``manage.py load_templates``. Layout (``np.savez_compressed``):

``meta``   UTF-8 JSON (uint8): ``{"format": 1, "descriptor_version", "records": [...]}``,
           one record per template: id, source, formula, elements (sorted), spacegroup,
           sg_number, a, b, gamma [Å, deg], n_atoms, e_form (eV/atom or null),
           content_hash, cif, structure (``{"cell", "numbers", "positions"}`` [Å]: the
           same structure as the CIF, readable in microseconds instead of milliseconds).
``rdf``    float16 (N, 32); ``rich`` float16 (N, RICH_DIM).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.descriptors.describe import DESCRIPTOR_VERSION
from reconstruction.descriptors.vectors import RDF_BINS, RICH_DIM

FORMAT = 1
RECORD_KEYS = (
    "id", "source", "formula", "elements", "spacegroup", "sg_number", "a", "b", "gamma",
    "n_atoms", "e_form", "content_hash", "cif", "structure",
)  # fmt: skip


def default_dump_path() -> Path:
    """``AUTOMAT_TEMPLATES_DUMP``, else the dump shipped in ``templates_lib/data/``."""
    env = os.environ.get("AUTOMAT_TEMPLATES_DUMP")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "templates_lib" / "data" / "templates.npz"


@dataclass
class LibraryArrays:
    """A template library in memory: one record per row of ``rdf`` and ``rich``."""

    records: list[dict[str, Any]]
    rdf: np.ndarray
    rich: np.ndarray
    descriptor_version: str = DESCRIPTOR_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.records)
        self.rdf = np.asarray(self.rdf, np.float32).reshape(n, RDF_BINS)
        self.rich = np.asarray(self.rich, np.float32).reshape(n, RICH_DIM)


def write_dump(library: LibraryArrays, path: Path) -> Path:
    """Write ``library`` to ``path`` (``.npz``), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for r in library.records:
        missing = [k for k in RECORD_KEYS if k not in r]
        if missing:
            raise ValueError(f"template record {r.get('id')!r} lacks {missing}")
    meta = {
        "format": FORMAT,
        "descriptor_version": library.descriptor_version,
        "records": [{k: r[k] for k in RECORD_KEYS} for r in library.records],
        **library.extra,
    }
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        meta=np.frombuffer(json.dumps(meta, separators=(",", ":")).encode(), dtype=np.uint8),
        rdf=library.rdf.astype(np.float16),
        rich=library.rich.astype(np.float16),
    )
    os.replace(tmp, path)
    return path


def read_dump(path: Path | None = None) -> LibraryArrays:
    """Read a dump written by :func:`write_dump` (default: :func:`default_dump_path`)."""
    path = Path(path or default_dump_path())
    if not path.exists():
        raise FileNotFoundError(
            f"template library dump {path} not found: build it with "
            "`manage.py build_templates --dump` or set AUTOMAT_TEMPLATES_DUMP"
        )
    with np.load(path) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        rdf, rich = data["rdf"].astype(np.float32), data["rich"].astype(np.float32)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: dump format {meta.get('format')!r}, expected {FORMAT}")
    if meta["descriptor_version"] != DESCRIPTOR_VERSION:
        raise ValueError(
            f"{path}: descriptors are {meta['descriptor_version']!r}, this code computes "
            f"{DESCRIPTOR_VERSION!r}: rebuild the library"
        )
    extra = {k: v for k, v in meta.items() if k not in ("format", "descriptor_version", "records")}
    return LibraryArrays(meta["records"], rdf, rich, meta["descriptor_version"], extra)
