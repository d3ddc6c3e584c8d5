"""REST representation of a reconstructed structure."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from automat_web.structures.models import Structure


class StructureSerializer(serializers.ModelSerializer):
    sample = serializers.IntegerField(source="origin_run.sample_id", read_only=True)
    lattice = serializers.SerializerMethodField()
    energy = serializers.SerializerMethodField()
    template = serializers.SerializerMethodField()
    cif_url = serializers.SerializerMethodField()

    class Meta:
        model = Structure
        fields = [
            "id", "run", "origin_run", "parent", "version", "sample", "formula", "elements",
            "lattice", "spacegroup", "energy", "template", "curation_state", "created", "cif",
            "cif_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_lattice(self, s: Structure) -> dict:
        return {"a": s.a, "b": s.b, "gamma": s.gamma}

    def get_energy(self, s: Structure) -> dict:
        return {
            "formation_energy_per_atom": s.formation_energy_per_atom,
            "total_energy_per_atom": s.total_energy_per_atom,
            "model": s.energy_model,
            "relaxed": s.relaxed,
        }

    def get_template(self, s: Structure) -> dict | None:
        if not s.template_id:
            return None
        return {"id": s.template_id, "distance": s.template_distance}

    def get_cif_url(self, s: Structure) -> str:
        request = self.context.get("request")
        path = reverse("structures:cif", args=[s.pk])
        return request.build_absolute_uri(path) if request else path
