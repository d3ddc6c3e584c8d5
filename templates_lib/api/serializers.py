"""REST representation of template search: the query (by formula, elements or image) and
the ranked templates."""

from __future__ import annotations

from rest_framework import serializers

from reconstruction.io.modes import IMAGING_MODES
from reconstruction.io.types import PLAUSIBLE_PIXEL_SIZE_A
from templates_lib.api.search import MAX_K


def _k() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, default=10, min_value=1, max_value=MAX_K, help_text="Most results."
    )


class TemplateQuerySerializer(serializers.Serializer):
    """GET: ``formula`` or ``elements`` (exactly one)."""

    formula = serializers.CharField(
        required=False, allow_blank=True, max_length=128, help_text="A composition: MoS2."
    )
    elements = serializers.CharField(
        required=False, allow_blank=True, max_length=256, help_text="Element set: Mo,S."
    )
    k = _k()

    def validate(self, data: dict) -> dict:
        formula, elements = data.get("formula", "").strip(), data.get("elements", "").strip()
        if bool(formula) == bool(elements):
            raise serializers.ValidationError({"formula": ["give formula or elements (not both)"]})
        return {"formula": formula, "elements": elements, "k": data["k"]}


class ImageQuerySerializer(serializers.Serializer):
    """POST (multipart): a micrograph to describe and compare with the templates."""

    file = serializers.FileField(help_text="A micrograph, in any format an upload takes.")
    pixel_size_A = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        min_value=PLAUSIBLE_PIXEL_SIZE_A[0],
        max_value=PLAUSIBLE_PIXEL_SIZE_A[1],
        help_text="Pixel size [Å/px]; default: the file's.",
    )
    mode = serializers.ChoiceField(
        choices=list(IMAGING_MODES),
        required=False,
        allow_blank=True,
        default="",
        help_text="Imaging mode (haadf, idpc, abf); empty: as the file's signal says, else idpc.",
    )
    elements = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=256,
        help_text="Only templates of exactly these elements (Mo,S); empty: any.",
    )
    k = _k()


class TemplateLatticeSerializer(serializers.Serializer):
    a = serializers.FloatField(help_text="[Å]")
    b = serializers.FloatField(help_text="[Å]")
    gamma = serializers.FloatField(help_text="[deg]")


class TemplateHitSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Template library id (what runs record).")
    source = serializers.CharField(help_text="Database of origin, or 'curated'.")
    formula = serializers.CharField()
    elements = serializers.ListField(child=serializers.CharField())
    spacegroup = serializers.CharField()
    distance = serializers.FloatField(
        allow_null=True, help_text="Cosine distance of the descriptors (image search only)."
    )
    lattice = TemplateLatticeSerializer()
    formation_energy_per_atom = serializers.FloatField(allow_null=True, help_text="[eV/atom]")


class TemplateSearchSerializer(serializers.Serializer):
    lattice = TemplateLatticeSerializer(
        allow_null=True, help_text="Measured on the image (image search only)."
    )
    results = TemplateHitSerializer(many=True)
