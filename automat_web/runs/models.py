"""Agent runs: one Run per processing of a sample, its ordered Steps and their artifacts.

A Run row is the job's state (the UI polls it, never Celery's result backend). Each
delivery of the task that processes a run is an *attempt*: the attempt counter lives on
the row because brokers do not count redeliveries, and every Step carries the attempt that
wrote it, so a redelivered run starts a fresh timeline without losing the old one.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.urls import reverse

from automat_web.samples.models import Sample, blob_store


class RunQuerySet(models.QuerySet["Run"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> RunQuerySet:
        """Runs of the samples ``user`` may see (``Sample.objects.visible_to``: their lab
        groups', shared with them, public); none for anonymous users."""
        return self.filter(sample__in=Sample.objects.visible_to(user).values("pk"))

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> RunQuerySet:
        """Runs ``user`` may start, cancel or rerun: those of their own lab groups' samples."""
        return self.filter(sample__in=Sample.objects.editable_by(user).values("pk"))

    def active(self) -> RunQuerySet:
        return self.filter(status__in=Run.ACTIVE)


class Run(models.Model):
    """One processing of a sample by the agent."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        NEEDS_REVIEW = "needs_review", "needs review"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.NEEDS_REVIEW, Status.FAILED, Status.CANCELLED)
    #: Runs that end with a structure: ``needs_review`` keeps the one that failed a check of
    #: the quality gate, for a person to judge.
    WITH_STRUCTURE = (Status.SUCCEEDED, Status.NEEDS_REVIEW)

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    policy = models.CharField(max_length=32, default="rules")
    mode = models.CharField(max_length=16, default="idpc", help_text="Imaging mode of the signal.")
    progress = models.FloatField(default=0.0, help_text="Estimated fraction done, 0–1.")
    attempts = models.PositiveIntegerField(
        default=0,
        help_text="Deliveries of the task so far (a redelivery after a lost worker adds one).",
    )
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    timings_s = models.JSONField(default=dict, blank=True, help_text="Seconds per tool.")
    matches = models.JSONField(default=list, blank=True, help_text="Top-k template matches.")
    result = models.JSONField(default=dict, blank=True, help_text="The agent's result.json.")
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the run was computed with: code version, denoiser weights (sha256), "
        "potential, template library, policy (LLM model and endpoint) and inputs.",
    )
    celery_task_id = models.CharField(max_length=64, blank=True)
    enqueued = models.DateTimeField(null=True, blank=True, help_text="When the task was sent.")
    worker = models.CharField(max_length=255, blank=True, help_text="Host of the last attempt.")
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True, help_text="Start of the last attempt.")
    heartbeat = models.DateTimeField(null=True, blank=True, help_text="Last step written.")
    finished = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["sample", "-created"])]
        constraints = [
            # One run of a sample at a time, however it is started (services.create_run);
            # the statuses are Run.ACTIVE's (a nested class cannot read the class's names).
            models.UniqueConstraint(
                fields=["sample"],
                condition=models.Q(status__in=["queued", "running"]),
                name="runs_one_active_run_per_sample",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of sample {self.sample_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("samples:detail", args=[self.sample_id]) + f"#run-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def review_checks(self) -> list[dict]:
        """The quality gate's checks of the run's structure (``result.json``'s ``review``)."""
        return list((self.result or {}).get("review", []))

    @property
    def duration_s(self) -> float | None:
        if self.started and self.finished:
            return (self.finished - self.started).total_seconds()
        return None

    def current_steps(self) -> models.QuerySet[Step]:
        """The steps of the latest attempt, in order."""
        return self.steps.filter(attempt=self.attempts).prefetch_related("artifacts")

    def residual_map(self) -> StepArtifact | None:
        """The residual map (image minus simulation of the result) of the latest attempt."""
        return (
            StepArtifact.objects.filter(
                step__run=self,
                step__attempt=self.attempts,
                name__startswith="residual",
                suffix=".png",
            )
            .order_by("-step__index")
            .first()
        )

    def match_rows(self) -> list[dict]:
        """The top-k matches, each with ``thumbnail``: the artifact named ``template-<id>``
        (a rendering of the template) when a step of the latest attempt wrote one."""
        images = {
            item.name.removeprefix("template-"): item
            for item in StepArtifact.objects.filter(
                step__run=self, step__attempt=self.attempts, name__startswith="template-"
            ).select_related("step")
        }
        return [{**match, "thumbnail": images.get(str(match.get("id")))} for match in self.matches]

    @property
    def template_used(self) -> str:
        return ((self.result or {}).get("template") or {}).get("id") or ""

    @property
    def check_score(self) -> float | None:
        """The forward-model check's score (normalised cross-correlation, 1 = identical)."""
        for check in self.review_checks:
            if check.get("name") == "forward_model" and check.get("value") is not None:
                return check["value"]
        for step in reversed((self.result or {}).get("steps") or []):
            score = (step.get("result") or {}).get("score")
            if step.get("tool") == "check" and step.get("ok") and score is not None:
                return score
        return None

    def transcript(self) -> StepArtifact | None:
        """The agent's ``transcript.json`` (steps and LLM messages) of the latest attempt."""
        return (
            StepArtifact.objects.filter(
                step__run=self, step__attempt=self.attempts, name="transcript", suffix=".json"
            )
            .select_related("step")
            .first()
        )


class Step(models.Model):
    """One tool call of the agent, written as soon as it returns (so the UI shows it live)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    attempt = models.PositiveIntegerField(default=1)
    index = models.PositiveIntegerField()
    tool = models.CharField(max_length=64)
    args = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField(default=True)
    summary = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Numbers of the tool's result.")
    duration_s = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    message = models.TextField(blank=True, help_text="The policy's reason for this step.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "attempt", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "attempt", "index"], name="runs_step_unique_index"
            )
        ]

    def __str__(self) -> str:
        return f"step {self.index} ({self.tool}) of run {self.run_id}"

    def scalar_results(self) -> list[tuple[str, object]]:
        """The result's plain numbers and strings, for the timeline's table."""
        return [
            (key, value)
            for key, value in self.result.items()
            if isinstance(value, (int, float, str, bool)) or value is None
        ]


#: How each kind of artifact is served (images inline, everything else as an attachment).
CONTENT_TYPES = {
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".cif": "chemical/x-cif",
    ".json": "application/json",
    ".npy": "application/octet-stream",
}


class StepArtifact(models.Model):
    """A file a step wrote (denoised image, overlay, residual map, CIF), stored once under
    its SHA-256 in the blob store."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=128)
    sha256 = models.CharField(max_length=64)
    suffix = models.CharField(max_length=16, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["step", "name"]
        constraints = [
            models.UniqueConstraint(fields=["step", "name"], name="runs_artifact_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.suffix}"

    def get_absolute_url(self) -> str:
        return reverse("runs:artifact", args=[self.step.run_id, self.pk])

    @property
    def path(self) -> Path:
        return blob_store().path(self.sha256, self.suffix)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.suffix.lower(), "application/octet-stream")

    @property
    def is_image(self) -> bool:
        return self.suffix.lower() == ".png"

    @property
    def filename(self) -> str:
        return f"run-{self.step.run_id}-step-{self.step.index}-{self.name}{self.suffix}"
