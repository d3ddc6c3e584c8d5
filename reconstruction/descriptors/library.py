"""The compact template-library dump: vectors + CIFs + metadata in one ``.npz`` file.

Written by ``templates_lib`` (``manage.py build_templates --dump`` / ``dump_templates``)
and read by :class:`~reconstruction.descriptors.retrieval.ArrayRetriever` and
``manage.py load_templates``. Layout (``np.savez_compressed``, format 2):

``meta``   UTF-8 JSON (uint8): ``{"format": 2, "descriptor_version", "modes", "records":
           [...]}``, one record per template: id, source, formula, elements (sorted),
           spacegroup, sg_number, a, b, gamma [Å, deg], n_atoms, e_form (eV/atom or null),
           content_hash, cif, structure (``{"cell", "numbers", "positions"}`` [Å]: the
           same structure as the CIF, readable in microseconds instead of milliseconds).
``rdf_<mode>``   float16 (N, 32) and ``rich_<mode>`` float16 (N, RICH_DIM) for each
           imaging mode in ``modes`` (the templates rendered as iDPC, HAADF, ABF images);
           a row of NaN: that template was not described in that mode.

Format 1 (one iDPC ``rdf`` and ``rich``) is still read.
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
from reconstruction.settings import TEMPLATES_DUMP
from reconstruction.simulate.config import MODES

VECTOR_DIMS = {"rich": RICH_DIM, "rdf": RDF_BINS}

FORMAT = 2
RECORD_KEYS = (
    "id", "source", "formula", "elements", "spacegroup", "sg_number", "a", "b", "gamma",
    "n_atoms", "e_form", "content_hash", "cif", "structure",
)  # fmt: skip


def default_dump_path() -> Path:
    """The dump shipped in ``templates_lib/data/`` (callers with another one, such as
    ``ScienceSettings.templates_dump``, pass its path)."""
    return TEMPLATES_DUMP


@dataclass
class LibraryArrays:
    """A template library in memory: records and, per imaging mode, one row of each
    descriptor vector per record.

    Attributes
    ----------
    records : list of dict
        Template metadata (see the module docstring).
    vectors : dict
        ``{mode: {"rdf": (N, 32), "rich": (N, RICH_DIM)}}``, float32; rows of NaN where a
        template has no descriptor in that mode.
    """

    records: list[dict[str, Any]]
    vectors: dict[str, dict[str, np.ndarray]]
    descriptor_version: str = DESCRIPTOR_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.records)
        unknown = set(self.vectors) - set(MODES)
        if unknown:
            raise ValueError(f"unknown imaging modes {sorted(unknown)}; known: {MODES}")
        self.vectors = {
            mode: {
                name: np.asarray(self.vectors[mode][name], np.float32).reshape(n, dim)
                for name, dim in VECTOR_DIMS.items()
            }
            for mode in MODES
            if mode in self.vectors
        }

    @classmethod
    def from_rows(
        cls, records: list[dict[str, Any]], rows: dict[str, list[dict[str, Any] | None]]
    ) -> LibraryArrays:
        """From per-template vectors: ``rows[mode][i]`` holds ``{"rdf", "rich"}`` of
        ``records[i]`` in that mode, or None (not described there: a row of NaN)."""
        return cls(
            records,
            {
                mode: {
                    name: np.array(
                        [np.full(dim, np.nan) if r is None else r[name] for r in per_record],
                        np.float32,
                    ).reshape(len(records), dim)
                    for name, dim in VECTOR_DIMS.items()
                }
                for mode, per_record in rows.items()
            },
        )

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.vectors)

    def matrix(self, vector: str, mode: str = "idpc") -> np.ndarray:
        """The (N, D) ``vector`` rows of ``mode``; LookupError when the library was not
        described in that mode."""
        if mode not in self.vectors:
            raise LookupError(
                f"the template library has no {mode} descriptors (it has "
                f"{', '.join(self.modes) or 'none'}): build them with "
                f"`manage.py build_templates --modes {mode}`"
            )
        return self.vectors[mode][vector]

    def take(self, rows: Any) -> LibraryArrays:
        """The library restricted to ``rows`` (indices or a boolean mask)."""
        rows = np.arange(len(self.records))[rows]
        return LibraryArrays(
            [self.records[i] for i in rows],
            {m: {k: v[rows] for k, v in vs.items()} for m, vs in self.vectors.items()},
            self.descriptor_version,
            dict(self.extra),
        )


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
        "modes": list(library.modes),
        "records": [{k: r[k] for k in RECORD_KEYS} for r in library.records],
        **library.extra,
    }
    arrays = {
        f"{name}_{mode}": matrix.astype(np.float16)
        for mode, vectors in library.vectors.items()
        for name, matrix in vectors.items()
    }
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        meta=np.frombuffer(json.dumps(meta, separators=(",", ":")).encode(), dtype=np.uint8),
        **arrays,
    )
    os.replace(tmp, path)
    return path


def dump_modes(path: Path | None = None) -> tuple[str, ...]:
    """The imaging modes a dump describes, from its metadata alone."""
    path = Path(path or default_dump_path())
    if not path.exists():
        raise FileNotFoundError(f"template library dump {path} not found")
    with np.load(path) as data:
        meta = json.loads(data["meta"].tobytes().decode())
    return ("idpc",) if meta.get("format") == 1 else tuple(meta.get("modes", ()))


def read_dump(path: Path | None = None) -> LibraryArrays:
    """Read a dump written by :func:`write_dump` (default: :func:`default_dump_path`)."""
    path = Path(path or default_dump_path())
    if not path.exists():
        raise FileNotFoundError(
            f"template library dump {path} not found: build it with "
            "`manage.py build_templates --dump` or name another (AUTOMAT_TEMPLATES_DUMP)"
        )
    with np.load(path) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        if meta.get("format") == 1:
            vectors = {"idpc": {k: data[k].astype(np.float32) for k in VECTOR_DIMS}}
        elif meta.get("format") == FORMAT:
            vectors = {
                mode: {k: data[f"{k}_{mode}"].astype(np.float32) for k in VECTOR_DIMS}
                for mode in meta["modes"]
            }
        else:
            raise ValueError(f"{path}: dump format {meta.get('format')!r}, expected {FORMAT}")
    if meta["descriptor_version"] != DESCRIPTOR_VERSION:
        raise ValueError(
            f"{path}: descriptors are {meta['descriptor_version']!r}, this code computes "
            f"{DESCRIPTOR_VERSION!r}: rebuild the library"
        )
    own = ("format", "descriptor_version", "modes", "records")
    extra = {k: v for k, v in meta.items() if k not in own}
    return LibraryArrays(meta["records"], vectors, meta["descriptor_version"], extra)
