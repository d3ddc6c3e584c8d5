"""The template library table: one known structure, its rendered image and descriptors."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from pgvector.django import HnswIndex, VectorField

from reconstruction.descriptors import RDF_BINS, RICH_DIM
from reconstruction.simulate.config import MODES


def vector_column(vector: str, mode: str) -> str:
    """The column holding ``vector`` ("rdf", "rich") of templates rendered in ``mode``:
    ``rdf``/``rich`` for iDPC (the first library), ``rdf_haadf``, ``rich_abf``, ... else."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return vector if mode == "idpc" else f"{vector}_{mode}"


def _hnsw(column: str) -> HnswIndex:
    return HnswIndex(
        name=f"template_{column}_hnsw",
        fields=[column],
        m=16,
        ef_construction=64,
        opclasses=["vector_cosine_ops"],
    )


VECTOR_COLUMNS = tuple(vector_column(v, m) for m in MODES for v in ("rdf", "rich"))


class Template(models.Model):
    """A known 2D structure as a retrieval template.

    ``elements`` is the sorted element set (exact-set lookups use the B-tree index,
    "contains" lookups the GIN one); ``rdf`` and ``rich`` are the descriptor vectors of
    its high-dose fast-simulator iDPC image, ``rdf_haadf`` ... ``rich_abf`` those of its
    HAADF and ABF images (a query is compared within its own imaging mode), searched by
    cosine distance through HNSW. A NULL vector: not described in that mode.
    """

    source_id = models.CharField(max_length=128, unique=True, help_text="e.g. c2dm-MoS2-H")
    source = models.CharField(max_length=64, help_text="database of origin, or 'curated'")
    formula = models.CharField(max_length=128)
    elements = ArrayField(models.CharField(max_length=3), help_text="sorted element set")
    spacegroup = models.CharField(max_length=32)
    sg_number = models.PositiveSmallIntegerField()
    a_A = models.FloatField(help_text="in-plane lattice length a [Å]")
    b_A = models.FloatField(help_text="in-plane lattice length b [Å]")
    gamma_deg = models.FloatField(help_text="in-plane angle [deg]")
    n_atoms = models.PositiveIntegerField(help_text="atoms per primitive cell")
    formation_energy_per_atom = models.FloatField(
        null=True, blank=True, help_text="DFT formation energy [eV/atom], when known"
    )
    cif = models.TextField()
    structure = models.JSONField(help_text='{"cell", "numbers", "positions"} [Å], read fast')
    image_png = models.BinaryField(
        null=True, blank=True, help_text="noise-free fast-simulator image (small PNG)"
    )
    rdf = VectorField(dimensions=RDF_BINS, null=True, blank=True)
    rich = VectorField(dimensions=RICH_DIM, null=True, blank=True)
    rdf_haadf = VectorField(dimensions=RDF_BINS, null=True, blank=True)
    rich_haadf = VectorField(dimensions=RICH_DIM, null=True, blank=True)
    rdf_abf = VectorField(dimensions=RDF_BINS, null=True, blank=True)
    rich_abf = VectorField(dimensions=RICH_DIM, null=True, blank=True)
    descriptor_version = models.CharField(max_length=32)
    content_hash = models.CharField(max_length=64, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source_id"]
        indexes = [
            models.Index(fields=["elements"], name="template_elements"),
            GinIndex(fields=["elements"], name="template_elements_gin"),
            *(_hnsw(column) for column in VECTOR_COLUMNS),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} ({self.formula}, {self.spacegroup})"
