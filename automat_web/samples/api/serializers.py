"""REST representations of samples (read) and of an upload (write)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from automat_web.samples.models import Sample
from reconstruction.io.modes import IMAGING_MODES


class SampleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    group = serializers.CharField(source="group.name", read_only=True)
    format = serializers.CharField(source="micrograph.format", read_only=True)
    sha256 = serializers.CharField(source="micrograph.sha256", read_only=True)
    signal = serializers.SerializerMethodField()
    status = serializers.CharField(source="status_label", read_only=True)
    needs = serializers.ListField(read_only=True)
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

    def get_signal(self, sample: Sample) -> dict:
        signal = sample.signal
        return {"index": signal.index, "name": signal.name, "shape": list(signal.shape)}

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
