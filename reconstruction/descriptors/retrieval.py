"""Template retrieval: the :class:`Retriever` protocol and an exact in-memory one.

The reconstruction never imports the database: whoever calls it hands over a retriever
(``templates_lib.services.retriever()`` is the pgvector one, :class:`ArrayRetriever`
searches the shipped dump in memory, exactly).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from reconstruction.chemistry import parse_elements
from reconstruction.descriptors.describe import Descriptor
from reconstruction.descriptors.library import LibraryArrays, read_dump

# Elements a user may leave out of the list (allow_subset): light atoms that are
# invisible or nearly so next to heavier ones.
LIGHT_ELEMENTS = frozenset({"H", "He", "Li", "Be", "B", "C", "N", "O", "F"})
VECTORS = ("rich", "rdf")


@dataclass(frozen=True)
class TemplateMatch:
    """One retrieved template.

    Attributes
    ----------
    id : str
        Source id (e.g. ``"c2dm-MoS2-H"``).
    formula : str
        Reduced formula.
    elements : tuple of str
        Sorted element set.
    spacegroup : str
        Hermann-Mauguin symbol.
    distance : float
        Cosine distance of the descriptors (0 identical, 1 orthogonal).
    structure : ase.Atoms
        The template's primitive cell (layer in xy, a along x).
    formation_energy_per_atom : float or None
        DFT formation energy [eV/atom] when known.
    vector : str
        The descriptor ``distance`` is of (``"rich"`` or ``"rdf"``).
    """

    id: str
    formula: str
    elements: tuple[str, ...]
    spacegroup: str
    distance: float
    structure: Atoms
    formation_energy_per_atom: float | None
    vector: str = "rich"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the structure."""
        return {
            "id": self.id,
            "formula": self.formula,
            "elements": list(self.elements),
            "spacegroup": self.spacegroup,
            "distance": round(float(self.distance), 6),
            "vector": self.vector,
            "formation_energy_per_atom": self.formation_energy_per_atom,
        }


@runtime_checkable
class Retriever(Protocol):
    """Anything that returns the k nearest templates with the right elements, compared
    with templates rendered in the descriptor's imaging mode (``descriptor.mode``; a
    LookupError when the library has no descriptors in that mode), ranked by ``vector``
    (``"rich"`` or ``"rdf"``; None: the retriever's own)."""

    def top_k(
        self,
        descriptor: Descriptor,
        elements: Sequence[str],
        k: int = 10,
        *,
        allow_subset: bool = False,
        vector: str | None = None,
    ) -> list[TemplateMatch]: ...

    def with_elements(self, elements: Sequence[str]) -> list[TemplateMatch]:
        """Every template of exactly these elements, in any imaging mode, unranked
        (``distance`` NaN): what the library knows of such monolayers."""
        ...


def checked_vector(name: str) -> str:
    """``name`` if it is a descriptor vector (``VECTORS``), else ValueError."""
    if name not in VECTORS:
        raise ValueError(f"vector must be one of {VECTORS}, got {name!r}")
    return name


def element_key(elements: Sequence[str] | str) -> tuple[str, ...]:
    """Sorted unique element symbols; raises ValueError on an unknown symbol."""
    symbols = parse_elements(elements if isinstance(elements, str) else list(elements))
    if not symbols:
        raise ValueError("no elements given: list the elements present (e.g. Mo,S)")
    return tuple(sorted(set(symbols)))


def elements_allowed(template: Sequence[str], query: Sequence[str], *, allow_subset: bool) -> bool:
    """Exact element set; with ``allow_subset`` the template may also hold light elements
    (``LIGHT_ELEMENTS``) the user did not list."""
    t, q = set(template), set(query)
    if t == q:
        return True
    return allow_subset and q < t and (t - q) <= LIGHT_ELEMENTS


def structure_from_cif(cif: str) -> Atoms:
    from ase.io import read

    return read(io.StringIO(cif), format="cif")


def structure_dict(atoms: Atoms) -> dict[str, Any]:
    """``{"cell", "numbers", "positions"}`` [Å] of a structure (JSON-ready)."""
    return {
        "cell": np.round(np.array(atoms.cell), 6).tolist(),
        "numbers": atoms.numbers.tolist(),
        "positions": np.round(atoms.positions, 6).tolist(),
    }


def structure_from_dict(d: dict[str, Any]) -> Atoms:
    """Inverse of :func:`structure_dict` (parsing a CIF takes ~20 ms, this ~20 µs)."""
    return Atoms(numbers=d["numbers"], positions=d["positions"], cell=d["cell"], pbc=True)


def cosine_distance(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """1 - cos between each row of ``matrix`` (N, D) and ``query`` (D,)."""
    norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
    return 1.0 - (matrix @ query) / np.maximum(norms, 1e-12)


class ArrayRetriever:
    """Exact top-k in memory over a :class:`LibraryArrays` (benchmarks, CLI, tests).

    Parameters
    ----------
    library : LibraryArrays
        Records + vectors.
    vector : str
        Which descriptor ranks: ``"rich"`` (default) or ``"rdf"``.
    """

    def __init__(self, library: LibraryArrays, *, vector: str = "rich") -> None:
        self.library = library
        self.vector = checked_vector(vector)
        self._keys = [tuple(r["elements"]) for r in library.records]
        self._by_key: dict[tuple[str, ...], np.ndarray] = {}
        for i, key in enumerate(self._keys):
            self._by_key.setdefault(key, []).append(i)  # type: ignore[union-attr]
        self._by_key = {k: np.array(v) for k, v in self._by_key.items()}

    @classmethod
    def from_dump(cls, path: Path | None = None, *, vector: str = "rich") -> ArrayRetriever:
        """The shipped library dump (``templates_lib/data/templates.npz``) or ``path``."""
        return cls(_cached_dump(str(path) if path else None), vector=vector)

    def __len__(self) -> int:
        return len(self.library.records)

    def without(self, ids: Sequence[str]) -> ArrayRetriever:
        """The same library minus the templates ``ids`` (held-out tests)."""
        drop = set(ids)
        keep = [i for i, r in enumerate(self.library.records) if r["id"] not in drop]
        return ArrayRetriever(self.library.take(keep), vector=self.vector)

    def candidates(self, elements: Sequence[str], *, allow_subset: bool = False) -> np.ndarray:
        """Row indices whose element set is allowed for ``elements``."""
        query = element_key(elements)
        if not allow_subset:
            return self._by_key.get(query, np.zeros(0, int))
        rows = [
            idx
            for key, idx in self._by_key.items()
            if elements_allowed(key, query, allow_subset=True)
        ]
        return np.concatenate(rows) if rows else np.zeros(0, int)

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
        vector = checked_vector(vector or self.vector)
        rows = self.candidates(elements, allow_subset=allow_subset)
        matrix = self.library.matrix(vector, descriptor.mode)[rows]
        described = ~np.isnan(matrix).any(axis=1)
        rows, matrix = rows[described], matrix[described]
        if len(rows) == 0:
            return []
        dist = cosine_distance(matrix, getattr(descriptor, vector))
        order = np.argsort(dist, kind="stable")[:k]
        return [self._match(int(rows[i]), float(dist[i]), vector) for i in order]

    def with_elements(self, elements: Sequence[str]) -> list[TemplateMatch]:
        return [
            self._match(int(row), float("nan"), self.vector) for row in self.candidates(elements)
        ]

    def _match(self, row: int, distance: float, vector: str) -> TemplateMatch:
        r = self.library.records[row]
        return TemplateMatch(
            id=r["id"],
            formula=r["formula"],
            elements=tuple(r["elements"]),
            spacegroup=r["spacegroup"],
            distance=distance if np.isnan(distance) else max(0.0, distance),
            structure=structure_from_dict(r["structure"]),
            formation_energy_per_atom=r.get("e_form"),
            vector=vector,
        )


@lru_cache(maxsize=2)
def _cached_dump(path: str | None) -> LibraryArrays:
    return read_dump(Path(path) if path else None)
