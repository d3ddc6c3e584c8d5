"""Elemental references of the ML potentials, computed once per model and kept here."""

from __future__ import annotations

from django.db import models


class ElementalReference(models.Model):
    """Chemical potentials [eV/atom] of one potential under one reference scheme.

    ``data`` is ``reconstruction.energy.ElementalReferences.as_dict()``: per-element
    potentials and their provenance (relaxed structures, or the fit's statistics).
    """

    model = models.CharField(max_length=64, help_text="Potential, e.g. sevennet-0.")
    scheme = models.CharField(max_length=32, help_text="fitted, elemental or mp.")
    data = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "scheme"], name="one_reference_per_model")
        ]

    def __str__(self) -> str:
        return f"{self.model} / {self.scheme} ({len(self.data.get('mu_eV_per_atom', {}))} el.)"
