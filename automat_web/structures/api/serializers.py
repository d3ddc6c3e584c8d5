"""REST representation of a reconstructed structure."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automat_web.samples.api.params import query_param
from automat_web.structures.models import Structure


class LatticeSerializer(serializers.Serializer):
    a = serializers.FloatField(allow_null=True, help_text="[Å]")
    b = serializers.FloatField(allow_null=True, help_text="[Å]")
    gamma = serializers.FloatField(allow_null=True, help_text="[deg]")


class EnergySerializer(serializers.Serializer):
    formation_energy_per_atom = serializers.FloatField(allow_null=True, help_text="[eV/atom]")
    total_energy_per_atom = serializers.FloatField(allow_null=True, help_text="[eV/atom]")
    model = serializers.CharField(help_text="The potential that computed it.")
    relaxed = serializers.BooleanField(allow_null=True)


class TemplateMatchSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Template library id.")
    distance = serializers.FloatField(allow_null=True)


class StructureSerializer(serializers.ModelSerializer):
    sample = serializers.IntegerField(source="origin_run.sample_id", read_only=True)
    lattice = serializers.SerializerMethodField()
    energy = serializers.SerializerMethodField()
    template = serializers.SerializerMethodField()
    elements = serializers.ListField(child=serializers.CharField(), read_only=True)
    cif_url = serializers.SerializerMethodField(
        help_text="Download; takes the same Authorization: Token header as the API."
    )

    class Meta:
        model = Structure
        fields = [
            "id", "run", "origin_run", "parent", "version", "sample", "formula", "elements",
            "lattice", "spacegroup", "energy", "template", "curation_state", "created", "cif",
            "cif_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(LatticeSerializer)
    def get_lattice(self, s: Structure) -> dict:
        return {"a": s.a, "b": s.b, "gamma": s.gamma}

    @extend_schema_field(EnergySerializer)
    def get_energy(self, s: Structure) -> dict:
        return {
            "formation_energy_per_atom": s.formation_energy_per_atom,
            "total_energy_per_atom": s.total_energy_per_atom,
            "model": s.energy_model,
            "relaxed": s.relaxed,
        }

    @extend_schema_field(TemplateMatchSerializer(allow_null=True))
    def get_template(self, s: Structure) -> dict | None:
        if not s.template_id:
            return None
        return {"id": s.template_id, "distance": s.template_distance}

    def get_cif_url(self, s: Structure) -> str:
        request = self.context.get("request")
        path = reverse("structures:cif", args=[s.pk])
        return request.build_absolute_uri(path) if request else path


class StructureFilterSerializer(serializers.Serializer):
    formula = query_param("Formula, any case (MoS2).")
    element = query_param("An element symbol it holds (exact: Mo).")
    sample = query_param("Structures of this sample (id).")
