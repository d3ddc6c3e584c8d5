"""Micrographs (one per distinct file) and samples (a user's upload of one, in a lab group),
and who else may see a sample: labs it is shared with, or everyone when public."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import models
from django.db.models import Q
from django.urls import reverse

from automat_web.accounts.groups import lab_groups
from automat_web.lib.blobstore import BlobStore
from reconstruction.io.modes import DEFAULT_MODE, IMAGING_MODES
from reconstruction.io.types import PLAUSIBLE_PIXEL_SIZE_A, Calibration, FileInfo

#: File suffix of a stored original, by detected format (for people browsing the store).
ORIGINAL_SUFFIX = {
    "tiff": ".tif",
    "png": ".png",
    "jpeg": ".jpg",
    "dm3": ".dm3",
    "dm4": ".dm4",
    "velox_emd": ".emd",
    "berkeley_emd": ".emd",
    "ser": ".ser",
    "mrc": ".mrc",
    "npy": ".npy",
}
WORKING_SUFFIX = ".npy"
THUMBNAIL_SUFFIX = ".png"


def blob_store() -> BlobStore:
    return BlobStore(settings.DATA_DIR)


class Micrograph(models.Model):
    """One distinct original file, stored once under its SHA-256 however often uploaded."""

    sha256 = models.CharField(max_length=64, unique=True)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=32)
    file_info = models.JSONField(help_text="reconstruction.io FileInfo: the signals in the file.")
    metadata = models.JSONField(default=dict, help_text="The file's own metadata, JSON-safe.")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.format} {self.sha256[:12]}"

    @property
    def info(self) -> FileInfo:
        return FileInfo.from_dict(self.file_info)

    @property
    def original_path(self) -> Path:
        return blob_store().path(self.sha256, ORIGINAL_SUFFIX.get(self.format, ""))


#: A sample with a plausible pixel size and a working image (``Sample.is_ready`` in SQL).
_READY = Q(
    pixel_size_A__gte=PLAUSIBLE_PIXEL_SIZE_A[0],
    pixel_size_A__lte=PLAUSIBLE_PIXEL_SIZE_A[1],
) & ~Q(working_sha256="")


class SampleQuerySet(models.QuerySet["Sample"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> SampleQuerySet:
        """The samples ``user`` may see (none for anonymous users): those of their lab
        groups, those shared with one of their lab groups, and public ones.

        The one rule of read access: runs, structures and every file of a sample follow it.
        """
        if not user.is_authenticated:
            return self.none()
        labs = lab_groups(user)
        shared = SampleShare.objects.filter(group__in=labs).values("sample_id")
        return self.filter(Q(group__in=labs) | Q(pk__in=shared) | Q(is_public=True))

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> SampleQuerySet:
        """The samples ``user`` may change (calibrate, process, rerun, ...): those of their
        own lab groups only. A shared or public sample is read-only to everyone else."""
        return self.filter(group__in=lab_groups(user))

    def needing_input(self) -> SampleQuerySet:
        return self.exclude(_READY)

    def ready(self) -> SampleQuerySet:
        return self.filter(_READY)


class Sample(models.Model):
    """A micrograph uploaded by a user into a lab group, with the choices made for it.

    Ready for processing once it has a pixel size and a working image (for a stack: after
    the user said how to reduce it).
    """

    name = models.CharField(max_length=255)
    original_filename = models.CharField(max_length=255)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="samples"
    )
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="samples")
    micrograph = models.ForeignKey(Micrograph, on_delete=models.PROTECT, related_name="samples")
    elements = models.JSONField(default=list, blank=True, help_text="Element symbols present.")
    signal_index = models.PositiveIntegerField(default=0)
    stack_mode = models.CharField(
        max_length=32, blank=True, help_text='"sum", "align" or "frame:<i>"; "" for one image.'
    )
    imaging_mode = models.CharField(
        max_length=8,
        choices=list(IMAGING_MODES.items()),
        default=DEFAULT_MODE,
        help_text="How the image was recorded; every step of a run reads the contrast so.",
    )
    imaging_mode_source = models.CharField(
        max_length=128,
        blank=True,
        help_text='"user", "file:<signal name>", or "" when assumed (the file does not say).',
    )
    pixel_size_A = models.FloatField(null=True, blank=True, help_text="Pixel size [Å/px].")
    calibration_source = models.CharField(
        max_length=128, blank=True, help_text='"file:<tag>" or "user"; "" if uncalibrated.'
    )
    calibration_note = models.CharField(max_length=255, blank=True)
    working_sha256 = models.CharField(
        max_length=64, blank=True, help_text="float32 working image (.npy) in the blob store."
    )
    thumbnail_sha256 = models.CharField(max_length=64, blank=True)
    height_px = models.PositiveIntegerField(null=True, blank=True)
    width_px = models.PositiveIntegerField(null=True, blank=True)
    is_public = models.BooleanField(
        default=False, help_text="Visible read-only to every logged-in user."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SampleQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["group", "-created"])]
        constraints = [
            # A file uploaded again into the same group is the sample already there; the
            # database holds to it when uploads of the file race (services.ingest_upload).
            models.UniqueConstraint(
                fields=["micrograph", "group"], name="samples_one_sample_per_file_and_group"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("samples:detail", args=[self.pk])

    @property
    def calibration(self) -> Calibration:
        return Calibration(
            self.pixel_size_A, self.calibration_source or None, self.calibration_note
        )

    @property
    def signal(self):  # -> SignalInfo
        return self.micrograph.info.signals[self.signal_index]

    @property
    def needs(self) -> list[str]:
        """What a person still has to provide before the sample can be processed."""
        missing = []
        if not self.working_sha256 and self.signal.is_stack:
            missing.append("stack")
        if self.pixel_size_A is None or not self.pixel_size_plausible:
            missing.append("pixel_size")
        return missing

    @property
    def pixel_size_plausible(self) -> bool:
        """Whether the pixel size is one at which atomic columns can be resolved (a file's
        5 Å/px is a wrong calibration to correct, not one to process)."""
        lo, hi = PLAUSIBLE_PIXEL_SIZE_A
        return self.pixel_size_A is not None and lo <= self.pixel_size_A <= hi

    @property
    def imaging_mode_label(self) -> str:
        return IMAGING_MODES.get(self.imaging_mode, self.imaging_mode)

    @property
    def imaging_mode_note(self) -> str:
        """Where the imaging mode came from, in words."""
        if self.imaging_mode_source == "user":
            return "entered by a user"
        if self.imaging_mode_source.startswith("file:"):
            return f"from the file's signal “{self.imaging_mode_source[5:]}”"
        return "assumed: the file does not say; change it if the image is not " + (
            self.imaging_mode_label
        )

    @property
    def is_ready(self) -> bool:
        return not self.needs

    @property
    def status_label(self) -> str:
        if self.is_ready:
            return "ready"
        return "needs " + " and ".join(n.replace("_", " ") for n in self.needs)

    @property
    def working_path(self) -> Path | None:
        if not self.working_sha256:
            return None
        return blob_store().path(self.working_sha256, WORKING_SUFFIX)

    @property
    def thumbnail_path(self) -> Path | None:
        if not self.thumbnail_sha256:
            return None
        return blob_store().path(self.thumbnail_sha256, THUMBNAIL_SUFFIX)


class SampleShare(models.Model):
    """Read access to a sample for the members of another lab group (they see it, its
    runs, files and structures; only the sample's own lab changes it)."""

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="shares")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="shared_samples")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sample", "group__name"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "group"], name="samples_share_unique")
        ]

    def __str__(self) -> str:
        return f"sample {self.sample_id} shared with {self.group_id}"
