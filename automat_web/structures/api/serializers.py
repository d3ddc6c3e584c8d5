"""REST representation of a reconstructed structure."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automat_web.samples.api.params import MAX_ID, query_param
from automat_web.structures.editing import OPS
from automat_web.structures.models import Review, Structure


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
    annotations_url = serializers.SerializerMethodField(
        help_text="The micrograph's annotations (columns in Å, elements, lattice) as JSON, "
        "with links to the image; takes the same Authorization: Token header as the API."
    )

    class Meta:
        model = Structure
        fields = [
            "id", "run", "origin_run", "parent", "version", "sample", "formula", "elements",
            "lattice", "spacegroup", "energy", "template", "curation_state", "created", "cif",
            "cif_url", "annotations_url",
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
        return self._link("structures:cif", s)

    def get_annotations_url(self, s: Structure) -> str:
        return self._link("structures:annotations", s)

    def _link(self, name: str, s: Structure) -> str:
        request = self.context.get("request")
        path = reverse(name, args=[s.pk])
        return request.build_absolute_uri(path) if request else path


class StructureFilterSerializer(serializers.Serializer):
    formula = query_param("Formula, any case (MoS2).")
    element = query_param("An element symbol it holds (exact: Mo).")
    sample = query_param("Structures of this sample (id).")


class ReviewSerializer(serializers.ModelSerializer):
    """One row of the review trail (rows are only ever added)."""

    # Plain strings: the choices are curation_state's, and one set gets one schema name.
    from_state = serializers.CharField(read_only=True, help_text="A curation_state value.")
    to_state = serializers.CharField(read_only=True, help_text="A curation_state value.")
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True)

    class Meta:
        model = Review
        fields = ["from_state", "to_state", "reviewer", "comment", "new_version", "created"]
        read_only_fields = fields


class StructureDetailSerializer(StructureSerializer):
    """One structure with its review trail, oldest first."""

    reviews = ReviewSerializer(many=True, read_only=True)

    class Meta(StructureSerializer.Meta):
        fields = [
            *StructureSerializer.Meta.fields, "energy_status", "energy_error", "library_id",
            "reviews",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[Structure.Curation.ACCEPTED, Structure.Curation.REJECTED],
        help_text="accepted or rejected (a structure becomes corrected through correct/).",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


def _site(key: object, field: str) -> int:
    text = str(key)
    if not (text.isdecimal() and int(text) <= MAX_ID):
        raise serializers.ValidationError({field: [f"{text!r} is not a site index"]})
    return int(text)


class EditSerializer(serializers.Serializer):
    """One edit (its fields by ``op``; see ``automat_web.structures.editing``)."""

    op = serializers.ChoiceField(choices=list(OPS))
    site = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="Site index (set_element, remove, move): the order of the CIF.",
    )
    element = serializers.CharField(
        max_length=3, required=False, help_text="Element symbol (set_element, add)."
    )
    x = serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text="Fraction of a (move, add)."
    )
    y = serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text="Fraction of b (move, add)."
    )
    z_A = serializers.FloatField(
        min_value=0,
        required=False,
        help_text="Height along c [Å], within the cell (move, add); c and the vacuum are kept.",
    )
    a = serializers.FloatField(required=False, help_text="Lattice a [Å] (set_lattice).")
    b = serializers.FloatField(required=False, help_text="Lattice b [Å] (set_lattice).")
    gamma = serializers.FloatField(required=False, help_text="Angle a-b [deg] (set_lattice).")


class CorrectionRequestSerializer(serializers.Serializer):
    """A correction, by site index (the order of the CIF, as the structure page lists its
    sites): ``edits`` in any of the forms of ``automat_web.structures.editing``, and the
    shorthands ``elements`` and ``remove``."""

    edits = EditSerializer(
        many=True,
        required=False,
        default=list,
        help_text='Edits: {"op": "set_element", "site": 0, "element": "W"}, '
        '{"op": "remove", "site": 2}, {"op": "move", "site": 1, "x": 0.33, "y": 0.67, '
        '"z_A": 8.4}, {"op": "add", "element": "S", "x": 0.33, "y": 0.67, "z_A": 11.5}, '
        '{"op": "set_lattice", "a": 3.19, "b": 3.19, "gamma": 120}.',
    )
    elements = serializers.DictField(
        child=serializers.CharField(max_length=3),
        required=False,
        default=dict,
        help_text='New element per site index, e.g. {"0": "W"}.',
    )
    remove = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_ID),
        required=False,
        default=list,
        help_text="Site indices to remove.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, data: dict) -> dict:
        edits = [dict(edit) for edit in data["edits"]]
        edits += [
            {"op": "set_element", "site": _site(site, "elements"), "element": element}
            for site, element in data["elements"].items()
        ]
        edits += [{"op": "remove", "site": site} for site in data["remove"]]
        if not edits:
            raise serializers.ValidationError(
                {"elements": ["nothing to correct: change an element or remove a site"]}
            )
        return {"edits": edits, "comment": data["comment"]}


class ColumnSerializer(serializers.Serializer):
    x_px = serializers.FloatField(help_text="[px] of the working image.")
    y_px = serializers.FloatField(help_text="[px] of the working image.")
    x_A = serializers.FloatField(allow_null=True, help_text="x_px * pixel_size_A [Å].")
    y_A = serializers.FloatField(allow_null=True, help_text="y_px * pixel_size_A [Å].")
    site = serializers.IntegerField(help_text="The column site (STEM2CIF's) it belongs to.")
    element = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(allow_null=True, help_text="Atoms along the beam.")
    element_source = serializers.ChoiceField(choices=["structure", "reconstruction"])


class AnnotatedImageSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The working image (float32 .npy) of the positions.")
    preview_url = serializers.URLField(help_text="Its PNG rendition.")
    shape = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="[ny, nx] [px]."
    )
    pixel_size_A = serializers.FloatField(allow_null=True, help_text="[Å/px]")
    mode = serializers.CharField()
    frame = serializers.CharField()


class AnnotatedLatticeSerializer(LatticeSerializer):
    image = serializers.DictField(
        allow_null=True, help_text="STEM2CIF's lattice in the image (basis_px, rotation_deg)."
    )


class AnnotationsSerializer(serializers.Serializer):
    """Annotations of the structure's micrograph (automat-annotations/1)."""

    format = serializers.CharField()
    structure_id = serializers.IntegerField()
    version = serializers.IntegerField()
    formula = serializers.CharField()
    image = AnnotatedImageSerializer()
    columns = ColumnSerializer(many=True)
    columns_stored = serializers.BooleanField(
        help_text="False: the run stored no column positions (columns is empty)."
    )
    columns_note = serializers.CharField(allow_blank=True)
    lattice = AnnotatedLatticeSerializer()
    provenance = serializers.DictField(help_text="As in the export's manifest.json.")


class PromotedSerializer(serializers.Serializer):
    library_id = serializers.CharField(help_text="The template's id in the library.")
    formula = serializers.CharField()
    spacegroup = serializers.CharField()
