"""STEM2Mat benchmark metrics (METHOD.md, "Benchmark and metrics"), symmetry-aware.

- :func:`score_sample` -> :class:`SampleScore` (RMSD_xy, C.C., MSE_2D / S.S., energy error)
- :func:`score_table` -> per-tier and overall table
- :mod:`reconstruction.metrics.tiers`: which structures enter the benchmark, their tier and
  electron dose range.
"""

from reconstruction.metrics.layer import Layer2D, gauss_reduce, primitive_layer, to_layer
from reconstruction.metrics.matching import PositionMatch, lattice_correspondences
from reconstruction.metrics.scores import (
    MatchConfig,
    SampleScore,
    composition_correct,
    joint_primitives,
    reduced_composition,
    rmsd_xy,
    score_sample,
    structure_match,
    structure_success,
)
from reconstruction.metrics.table import score_table, summarise
from reconstruction.metrics.tiers import (
    LOOSE,
    STRICT,
    BenchmarkFilter,
    Qualification,
    TierAssignment,
    assign_tier,
    projected_overlap,
    qualify,
    sample_dose,
)

__all__ = [
    "LOOSE",
    "STRICT",
    "BenchmarkFilter",
    "Layer2D",
    "MatchConfig",
    "PositionMatch",
    "Qualification",
    "SampleScore",
    "TierAssignment",
    "assign_tier",
    "composition_correct",
    "gauss_reduce",
    "joint_primitives",
    "lattice_correspondences",
    "primitive_layer",
    "projected_overlap",
    "qualify",
    "reduced_composition",
    "rmsd_xy",
    "sample_dose",
    "score_sample",
    "score_table",
    "structure_match",
    "structure_success",
    "summarise",
    "to_layer",
]
