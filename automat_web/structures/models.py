"""The final structure of a successful run: CIF, lattice, space group and energies.

Exactly one per run (a OneToOne on the run), so a redelivered task cannot write a second.
The template used is recorded by id and distance only: the template library may be rebuilt,
and a structure's provenance must not change or vanish with it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.urls import reverse

from automat_web.accounts.groups import lab_groups
from automat_web.runs.models import Run


class StructureQuerySet(models.QuerySet["Structure"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> StructureQuerySet:
        """Structures of samples in the lab groups of ``user``."""
        return self.filter(run__sample__group__in=lab_groups(user))


class Structure(models.Model):
    class Curation(models.TextChoices):
        UNREVIEWED = "unreviewed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="structure")
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
    created = models.DateTimeField(auto_now_add=True)

    objects = StructureQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.formula} (run {self.run_id})"

    def get_absolute_url(self) -> str:
        return reverse("samples:detail", args=[self.run.sample_id]) + "#structure"

    @property
    def cif_filename(self) -> str:
        return f"{self.formula or 'structure'}-run-{self.run_id}.cif"
