"""STEM2Mat benchmark selection and difficulty tiers (METHOD.md, "Benchmark and metrics").

A structure qualifies when it has at most 3 elements, a span of atomic numbers of at least 10
when it has more than one element (so the lightest element is still visible next to the
heaviest), a thickness (max - min height of the atom centres) of at most 3 Å (the paper's
text; its code used 4 Å: :data:`LOOSE`), and a projected overlap of at most 10 %.

**Projected overlap** (our definition; the paper gives none): the fraction of atoms whose
projected (x, y) position lies within ``overlap_radius_A`` (0.5 Å) of the projected position
of an atom of a *different* element, periodic images included. Two atoms of one element
stacked along the normal (S above and below Mo in 2H-MoS2) form one brighter column of a
known element and are not overlap; two elements in one column are, because the column's
contrast then no longer tells which element sits where.

**Tiers** follow the element count: 1 = unary, imaged at high dose (5-6e4 e/Å²);
2 = binary, moderate dose (3-4e4 e/Å²); 3 = ternary, low dose (1-2e4 e/Å²).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from ase.data import atomic_numbers

from reconstruction.metrics.layer import pair_displacements, reduce_layer, to_layer
from reconstruction.records import check_keys

TIER_DOSES_E_PER_A2: dict[int, tuple[float, float]] = {
    1: (5.0e4, 6.0e4),
    2: (3.0e4, 4.0e4),
    3: (1.0e4, 2.0e4),
}


@dataclass(frozen=True)
class BenchmarkFilter:
    """Selection criteria of the benchmark split.

    Attributes
    ----------
    max_elements : int
        Most distinct elements.
    min_z_span : int
        Smallest max(Z) - min(Z) for multi-element structures.
    max_thickness_A : float
        Largest thickness [Å] (max - min height of atom centres).
    max_overlap : float
        Largest projected-overlap fraction (0-1).
    overlap_radius_A : float
        Projected distance [Å] under which atoms of different elements overlap.
    """

    max_elements: int = 3
    min_z_span: int = 10
    max_thickness_A: float = 3.0
    max_overlap: float = 0.10
    overlap_radius_A: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkFilter:
        """Inverse of :meth:`as_dict`; unknown keys are an error."""
        check_keys(cls, data, what="BenchmarkFilter keys")
        return cls(**data)


STRICT = BenchmarkFilter()
"""The paper's text: thickness <= 3 Å (the data set's ``pass_t3`` plus the overlap rule)."""
LOOSE = BenchmarkFilter(max_thickness_A=4.0)
"""The paper's code: thickness <= 4 Å (``pass_t4`` plus the overlap rule)."""


@dataclass(frozen=True)
class Qualification:
    """Whether a structure enters the benchmark, and the measured quantities.

    Attributes
    ----------
    qualifies : bool
        All criteria met.
    reasons : tuple[str, ...]
        One line per criterion that failed.
    n_elements : int
        Distinct elements.
    z_span : int
        max(Z) - min(Z).
    thickness_A : float
        Max - min height of the atom centres [Å].
    projected_overlap : float
        Fraction of atoms overlapping another element in projection (0-1).
    """

    qualifies: bool
    reasons: tuple[str, ...]
    n_elements: int
    z_span: int
    thickness_A: float
    projected_overlap: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {**asdict(self), "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Qualification:
        """Inverse of :meth:`as_dict`."""
        return cls(**{**data, "reasons": tuple(data["reasons"])})


@dataclass(frozen=True)
class TierAssignment:
    """Benchmark tier of a structure and the electron dose range its images use.

    Attributes
    ----------
    tier : int
        1 (unary), 2 (binary) or 3 (ternary).
    dose_range_e_per_A2 : tuple[float, float]
        Lowest and highest dose [e/Å²] to sample from.
    """

    tier: int
    dose_range_e_per_A2: tuple[float, float]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"tier": self.tier, "dose_range_e_per_A2": list(self.dose_range_e_per_A2)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TierAssignment:
        """Inverse of :meth:`as_dict`."""
        low, high = data["dose_range_e_per_A2"]
        return cls(int(data["tier"]), (float(low), float(high)))


def projected_overlap(structure: Any, *, radius_A: float = 0.5) -> float:
    """Fraction of atoms within ``radius_A`` [Å], in projection, of another element.

    Parameters
    ----------
    structure : ase.Atoms | pymatgen.core.Structure | Layer2D
        A monolayer (vacuum along one lattice vector).
    radius_A : float
        Projected distance [Å] under which two atoms overlap.

    Returns
    -------
    float
        In [0, 1]; periodic images are included (minimum image in the reduced cell).
    """
    layer = reduce_layer(to_layer(structure))
    disp = pair_displacements(layer.frac, layer.frac, layer.lattice_A)
    close = np.einsum("ijk,ijk->ij", disp, disp) < radius_A**2
    species = np.asarray(layer.species)
    other = species[:, None] != species[None, :]
    return float(np.mean(np.any(close & other, axis=1)))


def qualify(structure: Any, *, criteria: BenchmarkFilter = STRICT) -> Qualification:
    """Apply the benchmark's selection to one structure.

    Parameters
    ----------
    structure : ase.Atoms | pymatgen.core.Structure | Layer2D
        A monolayer.
    criteria : BenchmarkFilter
        :data:`STRICT` (3 Å, the default) or :data:`LOOSE` (4 Å) or custom.
    """
    layer = to_layer(structure)
    numbers = [atomic_numbers[s] for s in set(layer.species)]
    n_elements = len(numbers)
    z_span = max(numbers) - min(numbers)
    thickness = float(np.ptp(layer.z_A))
    overlap = projected_overlap(layer, radius_A=criteria.overlap_radius_A)
    reasons = []
    if n_elements > criteria.max_elements:
        reasons.append(f"{n_elements} elements > {criteria.max_elements}")
    if n_elements > 1 and z_span < criteria.min_z_span:
        reasons.append(f"Z span {z_span} < {criteria.min_z_span}")
    if thickness > criteria.max_thickness_A:
        reasons.append(f"thickness {thickness:.2f} Å > {criteria.max_thickness_A} Å")
    if overlap > criteria.max_overlap:
        reasons.append(f"projected overlap {overlap:.0%} > {criteria.max_overlap:.0%}")
    return Qualification(not reasons, tuple(reasons), n_elements, z_span, thickness, overlap)


def assign_tier(structure: Any) -> TierAssignment:
    """Tier (by element count) and dose range [e/Å²] of a structure.

    Raises
    ------
    ValueError
        For structures with more than 3 elements (outside the benchmark).
    """
    n_elements = len(set(to_layer(structure).species))
    if n_elements not in TIER_DOSES_E_PER_A2:
        raise ValueError(f"no benchmark tier for {n_elements} elements (1 to 3 allowed)")
    return TierAssignment(n_elements, TIER_DOSES_E_PER_A2[n_elements])


def sample_dose(assignment: TierAssignment, rng: np.random.Generator) -> float:
    """A dose [e/Å²] drawn uniformly from the tier's range."""
    low, high = assignment.dose_range_e_per_A2
    return float(rng.uniform(low, high))
