"""REST representations of samples (read) and of an upload (write)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automat_web.samples.api.params import query_param
from automat_web.samples.models import Sample
from reconstruction.io.modes import IMAGING_MODES


class SignalSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    shape = serializers.ListField(child=serializers.IntegerField())


class SampleLinksSerializer(serializers.Serializer):
    """Absolute URLs; the files take the same ``Authorization: Token`` header as the API."""

    page = serializers.URLField()
    original = serializers.URLField(help_text="The uploaded file, as uploaded.")
    working = serializers.URLField(
        required=False, help_text="The float32 working image (.npy), once there is one."
    )
    thumbnail = serializers.URLField(required=False, help_text="PNG, once there is one.")


class SampleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    group = serializers.CharField(source="group.name", read_only=True)
    format = serializers.CharField(source="micrograph.format", read_only=True)
    sha256 = serializers.CharField(source="micrograph.sha256", read_only=True)
    elements = serializers.ListField(child=serializers.CharField(), read_only=True)
    signal = serializers.SerializerMethodField()
    status = serializers.CharField(source="status_label", read_only=True)
    needs = serializers.ListField(child=serializers.CharField(), read_only=True)
    calibration_warning = serializers.CharField(source="calibration.warning", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Sample
        fields = [
            "id", "name", "original_filename", "notes", "owner", "group", "format", "sha256",
            "elements", "signal", "stack_mode", "imaging_mode", "imaging_mode_source",
            "pixel_size_A", "calibration_source", "calibration_note", "calibration_warning",
            "width_px", "height_px", "status", "needs", "created", "updated", "links",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SignalSerializer)
    def get_signal(self, sample: Sample) -> dict:
        signal = sample.signal
        return {"index": signal.index, "name": signal.name, "shape": list(signal.shape)}

    @extend_schema_field(SampleLinksSerializer)
    def get_links(self, sample: Sample) -> dict:
        request = self.context.get("request")

        def url(name: str) -> str:
            path = reverse(name, args=[sample.pk])
            return request.build_absolute_uri(path) if request else path

        links = {"page": url("samples:detail"), "original": url("samples:original")}
        if sample.working_sha256:
            links["working"] = url("samples:working")
            links["thumbnail"] = url("samples:thumbnail")
        return links


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    group = serializers.CharField(help_text="Lab group name or id.")
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    elements = serializers.CharField(required=False, allow_blank=True, default="")
    pixel_size_A = serializers.FloatField(required=False, allow_null=True, default=None)
    signal = serializers.CharField(required=False, allow_blank=True, default="")
    stack = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="For a stack of frames: sum, align or frame:<i> (anything else is refused).",
    )  # fmt: skip
    mode = serializers.ChoiceField(
        choices=list(IMAGING_MODES), required=False, allow_blank=True, default="",
        help_text="Imaging mode (haadf, idpc, abf); empty: as the file's signal says, else idpc.",
    )  # fmt: skip


class CalibrationSerializer(serializers.Serializer):
    pixel_size_A = serializers.FloatField(
        allow_null=True, help_text="Pixel size [Å/px]; null goes back to the file's."
    )


class ModeSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(
        choices=list(IMAGING_MODES), allow_blank=True, allow_null=True,
        help_text="Imaging mode; empty or null goes back to what the file says.",
    )  # fmt: skip


class UploadResultSerializer(SampleSerializer):
    """What an upload answers: the sample (201 new, 200 the same file again) and a message."""

    message = serializers.CharField(read_only=True)

    class Meta(SampleSerializer.Meta):
        fields = [*SampleSerializer.Meta.fields, "message"]
        read_only_fields = fields


class SampleFilterSerializer(serializers.Serializer):
    """Query parameters of the sample list (unknown values of a filter are ignored)."""

    q = query_param("Part of the sample's name.")
    status = query_param(
        "ready, needs_input, or the state of the latest run (queued, running, succeeded, "
        "needs_review, failed, cancelled)."
    )
    formula = query_param("Formula of the latest structure.")
    element = query_param("An element symbol it holds.")
    owner = query_param("User name of the uploader.")
    date_from = query_param("Uploaded on or after YYYY-MM-DD.")
    date_to = query_param("Uploaded on or before YYYY-MM-DD.")


class SuggestionSerializer(serializers.Serializer):
    pixel_size_A = serializers.FloatField(help_text="[Å/px]")
    template_id = serializers.CharField()
    formula = serializers.CharField()
    a_A = serializers.FloatField()
    b_A = serializers.FloatField()
    gamma_deg = serializers.FloatField()
    image_a_px = serializers.FloatField()
    image_b_px = serializers.FloatField()
    image_gamma_deg = serializers.FloatField()
    shape_error = serializers.FloatField()


class SuggestionsSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)


class LabRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SharingSerializer(serializers.Serializer):
    """Who besides the sample's own lab sees it (read-only)."""

    public = serializers.BooleanField(help_text="Visible to every logged-in user.")
    shared_with = LabRefSerializer(many=True, help_text="Lab groups that see it.")


class ShareSerializer(serializers.Serializer):
    group = serializers.CharField(max_length=150, help_text="Lab group name or id.")


class VisibilitySerializer(serializers.Serializer):
    public = serializers.BooleanField(
        help_text="true: every logged-in user sees it; false: its lab and those it is "
        "shared with only."
    )
