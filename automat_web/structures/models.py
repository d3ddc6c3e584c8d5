"""The final structure of a successful run: CIF, lattice, space group and energies; its
curated versions and their review trail.

The machine result is exactly one per run (a OneToOne on the run), so a redelivered task
cannot write a second. A curator's correction is a new Structure row (``parent`` -> the one
corrected, ``run`` empty, ``origin_run`` the run the lineage started from): the machine
result is never overwritten. Every review is a :class:`Review` row, never updated.
The template used is recorded by id and distance only: the template library may be rebuilt,
and a structure's provenance must not change or vanish with it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import models
from django.urls import reverse

from automat_web.accounts.models import LabRole
from automat_web.runs.models import Run
from automat_web.samples.models import Sample


class StructureQuerySet(models.QuerySet["Structure"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> StructureQuerySet:
        """Structures (every version) of the samples ``user`` may see
        (``Sample.objects.visible_to``: their lab groups', shared with them, public).

        Curating them stays with the curators of the sample's own lab (``curators.py``).
        """
        return self.filter(origin_run__sample__in=Sample.objects.visible_to(user).values("pk"))


class Structure(models.Model):
    class Curation(models.TextChoices):
        UNREVIEWED = "unreviewed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        CORRECTED = "corrected"

    class EnergyStatus(models.TextChoices):
        NONE = "", "from the run"
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    run = models.OneToOneField(
        Run,
        on_delete=models.CASCADE,
        related_name="structure",
        null=True,
        blank=True,
        help_text="The run whose machine result this is (empty for a curated version).",
    )
    origin_run = models.ForeignKey(
        Run,
        on_delete=models.CASCADE,
        related_name="structure_versions",
        help_text="The run the lineage started from (its sample's lab decides who sees it).",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text="The version this one corrects.",
    )
    version = models.PositiveIntegerField(default=1, help_text="1: the machine result.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The curator who made this version (empty: the machine).",
    )
    edits = models.JSONField(
        default=list, blank=True, help_text="The corrections applied to the parent, in order."
    )
    cif = models.TextField(help_text="Primitive cell: layer in the xy-plane, vacuum along c.")
    formula = models.CharField(max_length=64, db_index=True)
    elements = models.JSONField(default=list)
    a = models.FloatField(null=True, blank=True, help_text="Lattice length a [Å].")
    b = models.FloatField(null=True, blank=True, help_text="Lattice length b [Å].")
    gamma = models.FloatField(null=True, blank=True, help_text="Angle between a and b [°].")
    spacegroup = models.CharField(max_length=32, blank=True)
    formation_energy_per_atom = models.FloatField(
        null=True, blank=True, help_text="Formation energy [eV/atom]."
    )
    total_energy_per_atom = models.FloatField(
        null=True, blank=True, help_text="Total energy [eV/atom]."
    )
    energy_model = models.CharField(max_length=64, blank=True)
    relaxed = models.BooleanField(null=True, blank=True)
    template_id = models.CharField(max_length=128, blank=True)
    template_distance = models.FloatField(null=True, blank=True)
    curation_state = models.CharField(
        max_length=16, choices=Curation.choices, default=Curation.UNREVIEWED, db_index=True
    )
    energy_status = models.CharField(
        max_length=16,
        choices=EnergyStatus.choices,
        default=EnergyStatus.NONE,
        blank=True,
        help_text="The energy job of a curated version (empty: energies come from the run).",
    )
    energy_error = models.TextField(blank=True)
    library_id = models.CharField(
        max_length=128, blank=True, help_text="Template-library id once promoted."
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoted_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = StructureQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin_run", "version"], name="structures_unique_version"
            )
        ]

    def __str__(self) -> str:
        suffix = f" v{self.version}" if self.version > 1 else ""
        return f"{self.formula} (run {self.origin_run_id}{suffix})"

    def save(self, *args, **kwargs) -> None:
        # The run service creates machine results with ``run`` only.
        if self.origin_run_id is None and self.run_id is not None:
            self.origin_run_id = self.run_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("structures:detail", args=[self.pk])

    @property
    def cif_filename(self) -> str:
        suffix = f"-v{self.version}" if self.version > 1 else ""
        return f"{self.formula or 'structure'}-run-{self.origin_run_id}{suffix}.cif"

    @property
    def lab(self) -> Group:
        return self.origin_run.sample.group

    @property
    def energy_pending(self) -> bool:
        return self.energy_status in (self.EnergyStatus.QUEUED, self.EnergyStatus.RUNNING)

    @property
    def energy_retryable(self) -> bool:
        """A curated version whose energy failed, or whose task may have been lost."""
        failed_or_queued = (self.EnergyStatus.FAILED, self.EnergyStatus.QUEUED)
        return self.parent_id is not None and self.energy_status in failed_or_queued

    def atoms(self):
        """The structure as ASE atoms (every site of the CIF, in its order)."""
        from ase.io import read

        return read(io.StringIO(self.cif), format="cif")


class Review(models.Model):
    """One review of a structure: the state it moved from and to, who, when and why.

    Rows are only ever added (the audit trail); the structure's ``curation_state`` is the
    ``to_state`` of its latest row.
    """

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="reviews")
    from_state = models.CharField(max_length=16, choices=Structure.Curation.choices)
    to_state = models.CharField(max_length=16, choices=Structure.Curation.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="structure_reviews"
    )
    comment = models.TextField(blank=True)
    new_version = models.ForeignKey(
        Structure,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version a correction produced.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["structure", "created", "id"]

    def __str__(self) -> str:
        return f"{self.structure_id}: {self.from_state} -> {self.to_state} by {self.reviewer_id}"


class LabCurator(LabRole):
    """A member of a lab group who may review and correct the lab's structures.

    The role only counts while the user is still in the group (see
    :func:`automat_web.structures.curators.is_curator`).
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="curators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="curated_labs"
    )

    class Meta(LabRole.Meta):
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="structures_curator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} curates {self.group_id}"
