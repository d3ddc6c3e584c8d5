"""REST representations of runs, their steps and artifacts."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automat_web.runs.models import Run, Step, StepArtifact
from automat_web.samples.api.params import MAX_ID, query_param


def _url(context: dict, name: str, *args) -> str:
    request = context.get("request")
    path = reverse(name, args=args)
    return request.build_absolute_uri(path) if request else path


class ArtifactSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Download; takes the same Authorization: Token header as the API."
    )
    content_type = serializers.CharField(read_only=True)

    class Meta:
        model = StepArtifact
        fields = ["name", "sha256", "suffix", "size_bytes", "content_type", "url"]
        read_only_fields = fields

    def get_url(self, item: StepArtifact) -> str:
        return _url(self.context, "runs:artifact", item.step.run_id, item.pk)


class StepSerializer(serializers.ModelSerializer):
    artifacts = ArtifactSerializer(many=True, read_only=True)

    class Meta:
        model = Step
        fields = [
            "attempt", "index", "tool", "args", "ok", "summary", "result", "duration_s",
            "error", "message", "artifacts", "created",
        ]  # fmt: skip
        read_only_fields = fields


class RunLinksSerializer(serializers.Serializer):
    sample = serializers.URLField(help_text="The sample's page.")
    panel = serializers.URLField(help_text="The run's panel (HTML).")


class RunSerializer(serializers.ModelSerializer):
    sample = serializers.PrimaryKeyRelatedField(read_only=True)
    structure = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id", "sample", "status", "policy", "mode", "progress", "attempts",
            "cancel_requested", "error", "review", "timings_s", "matches", "created", "started",
            "finished", "structure", "steps", "links", "provenance",
        ]  # fmt: skip
        read_only_fields = fields

    review = serializers.ListField(
        child=serializers.DictField(), source="review_checks", read_only=True,
        help_text="The quality gate's checks: name, ok, detail, value, threshold, fatal.",
    )  # fmt: skip

    def get_structure(self, run: Run) -> int | None:
        structure = getattr(run, "structure", None)
        return structure.pk if structure else None

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, run: Run) -> list[dict]:
        return StepSerializer(run.current_steps(), many=True, context=self.context).data

    @extend_schema_field(RunLinksSerializer)
    def get_links(self, run: Run) -> dict:
        return {
            "sample": _url(self.context, "samples:detail", run.sample_id),
            "panel": _url(self.context, "runs:panel", run.pk),
        }


class RunCreateSerializer(serializers.Serializer):
    sample = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of a sample of one of your lab groups."
    )
    policy = serializers.ChoiceField(choices=["rules", "llm"], default="rules")


class RunFilterSerializer(serializers.Serializer):
    sample = query_param("Runs of this sample (id).")
    status = query_param("queued, running, succeeded, needs_review, failed or cancelled.")
