"""Getting micrographs in: the one path used by the upload page, the API and the CLI.

The file is read completely (headers checked first, then every pixel decoded) before
anything is stored, so a rejected file leaves nothing behind. Stored: the original under
its SHA-256, the float32 working image, a PNG thumbnail, the metadata as JSON.

One sample per file and lab group is a unique constraint of the database, not a check made
first: of concurrent uploads of one file, one inserts the row and the others wait for it on
the constraint, then answer with its sample. The files are written after the rows are
inserted and before they commit, so the loser of such a race writes none, and a failure
while writing leaves neither rows nor the files this upload added.
"""

from __future__ import annotations

import hashlib
import io
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction

from automat_web.lib.blobstore import sha256_file
from automat_web.samples.models import (
    ORIGINAL_SUFFIX,
    THUMBNAIL_SUFFIX,
    WORKING_SUFFIX,
    Micrograph,
    Sample,
    blob_store,
)
from reconstruction.chemistry import UnknownElement, parse_elements
from reconstruction.io import parse_stack_choice, probe, read_micrograph, thumbnail_png
from reconstruction.io.calibration import user_calibration
from reconstruction.io.errors import IngestError
from reconstruction.io.modes import DEFAULT_MODE, check_mode, mode_from_signal
from reconstruction.io.types import Calibration, FileInfo


class UploadRejected(Exception):
    """The upload cannot be accepted; ``str(error)`` is the message to show, ``field`` the
    input it is about (the form's and the API's field name; ``file`` for the file itself)."""

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class UploadOutcome:
    sample: Sample
    created: bool
    message: str


@dataclass(frozen=True)
class _Rendition:
    """The derived products of one (signal, stack) choice, not yet in the blob store."""

    working_npy: bytes
    thumbnail_png: bytes
    shape: tuple[int, int]
    calibration: Calibration
    metadata: dict
    working_sha256: str = field(init=False)
    thumbnail_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "working_sha256", hashlib.sha256(self.working_npy).hexdigest())
        thumbnail = hashlib.sha256(self.thumbnail_png).hexdigest()
        object.__setattr__(self, "thumbnail_sha256", thumbnail)


def ingest_upload(
    *,
    path: Path,
    filename: str,
    owner: AbstractBaseUser,
    group: Group,
    name: str = "",
    notes: str = "",
    elements: str | list[str] = "",
    pixel_size_A: float | None = None,
    signal: int | str | None = None,
    stack: str | None = None,
    mode: str | None = None,
) -> UploadOutcome:
    """Check, read and store an uploaded micrograph as a new sample of ``group``.

    Re-uploading a file already in ``group`` returns the existing sample (``created`` is
    False), also when the uploads run at the same time; the same file uploaded into another
    group is stored once and linked.
    ``mode``: the imaging mode (``haadf``, ``idpc``, ``abf``); None takes it from the
    signal's name, or assumes iDPC when the file does not say.
    Raises UploadRejected with a message for the user (and the field it is about) when the
    file or an option cannot be used; nothing is stored then.
    """
    if not owner.groups.filter(pk=group.pk).exists():
        raise UploadRejected(f"you are not a member of the lab group {group.name!r}", field="group")
    name = _checked_name(name, filename)
    try:
        element_list = parse_elements(elements)
    except UnknownElement as exc:
        raise UploadRejected(str(exc), field="elements") from None
    user_mode = _checked_mode(mode) if mode else None
    if pixel_size_A is not None:
        _user_cal(pixel_size_A)
    if stack:
        _check_stack(stack)
    size = path.stat().st_size
    _check_size(size)
    sha256 = sha256_file(path)
    existing = _sample_of(sha256, group)
    if existing is not None:
        return _already_uploaded(existing)
    micrograph = Micrograph.objects.filter(sha256=sha256).first()
    try:
        info = micrograph.info if micrograph else _probe(path)
        signal_index = _signal_index(info, signal)
        rendition = _render(path, info, signal_index, stack, pixel_size_A)
    except UploadRejected as exc:
        message = _name_the_file(str(exc), path, filename)
        raise UploadRejected(message, field=exc.field) from None
    written: list[Path] = []
    try:
        with transaction.atomic():
            micrograph, _ = Micrograph.objects.get_or_create(
                sha256=sha256,
                defaults={
                    "size_bytes": size,
                    "format": info.format,
                    "file_info": info.as_dict(),
                    "metadata": rendition.metadata if rendition else {},
                },
            )
            sample = Sample(
                name=name,
                original_filename=Path(filename).name[:255],
                notes=notes,
                owner=owner,
                group=group,
                micrograph=micrograph,
                elements=element_list,
            )
            _apply(sample, info, signal_index, stack, rendition, pixel_size_A)
            _apply_mode(sample, user_mode)
            sample.save()  # a concurrent upload of this file waits here, then fails
            suffix = ORIGINAL_SUFFIX[info.format]
            if _missing_blob(sha256, suffix, written):
                blob_store().put_file(path, sha256=sha256, suffix=suffix)
            _store_rendition(rendition, written)
    except IntegrityError:
        _remove(written)
        existing = _sample_of(sha256, group)
        if existing is None:
            raise
        return _already_uploaded(existing)
    except BaseException:
        _remove(written)
        raise
    _start_processing(sample, owner)
    return UploadOutcome(sample, True, f"Uploaded “{sample.name}”.")


def set_pixel_size(sample: Sample, pixel_size_A: float | None, *, note: str = "") -> Sample:
    """Set the pixel size a user entered [Å/px], or go back to the file's (None); ``note``
    says where an entered one came from (e.g. a suggested template's lattice)."""
    if pixel_size_A is None:
        cal = sample.signal.calibration
    else:
        cal = replace(_user_cal(pixel_size_A), note=note)
    sample.pixel_size_A = cal.pixel_size_A
    sample.calibration_source = cal.source or ""
    sample.calibration_note = cal.note[:255]
    sample.save(update_fields=["pixel_size_A", "calibration_source", "calibration_note", "updated"])
    _start_processing(sample)
    return sample


def set_imaging_mode(sample: Sample, mode: str | None) -> Sample:
    """Set the imaging mode a user chose, or go back to the file's (None). Applies to the
    runs started from now on (a finished run keeps the mode it ran with)."""
    _apply_mode(sample, _checked_mode(mode) if mode else None)
    sample.save(update_fields=["imaging_mode", "imaging_mode_source", "updated"])
    _start_processing(sample)
    return sample


def choose_signal(sample: Sample, signal: int | str, stack: str | None) -> Sample:
    """Re-derive the working image from another signal of the file or another stack choice."""
    micrograph = sample.micrograph
    info = micrograph.info
    signal_index = _signal_index(info, signal)
    keep_user = sample.calibration_source == "user"
    user_px = sample.pixel_size_A if keep_user else None
    rendition = _render(micrograph.original_path, info, signal_index, stack, user_px)
    _apply(sample, info, signal_index, stack, rendition, user_px)
    if sample.imaging_mode_source != "user":  # the new signal may say another mode
        _apply_mode(sample, None)
    written: list[Path] = []
    try:
        with transaction.atomic():
            sample.save()
            if rendition is not None and not micrograph.metadata:
                micrograph.metadata = rendition.metadata
                micrograph.save(update_fields=["metadata"])
            _store_rendition(rendition, written)
    except BaseException:
        _remove(written)
        raise
    _start_processing(sample)
    return sample


def pixel_size_suggestions(sample: Sample, *, limit: int = 5) -> list[dict]:
    """Pixel sizes under which a known monolayer of the sample's elements fits the lattice
    its image shows (``PixelSizeSuggestion.as_dict()``, best first); [] without elements,
    a working image, a template of those elements or a lattice in the image."""
    from reconstruction.stem2cif.suggest import suggest_pixel_sizes
    from templates_lib.models import Template

    if not sample.elements or sample.working_path is None:
        return []
    rows = Template.objects.filter(elements=sorted(set(sample.elements))).values(
        "source_id", "formula", "a_A", "b_A", "gamma_deg", "formation_energy_per_atom"
    )
    templates = [
        {"id": r["source_id"], "formula": r["formula"], "a": r["a_A"], "b": r["b_A"],
         "gamma": r["gamma_deg"], "e_form": r["formation_energy_per_atom"]}
        for r in rows
    ]  # fmt: skip
    if not templates:
        return []
    try:
        image = load_working_image(sample)
    except (UploadRejected, OSError, ValueError):  # help, not a page that fails to show
        return []
    found = suggest_pixel_sizes(image, templates, mode=sample.imaging_mode, limit=limit)
    return [s.as_dict() for s in found]


def load_working_image(sample: Sample) -> np.ndarray:
    """The float32 working image of a ready sample, shape (ny, nx)."""
    if sample.working_path is None:
        raise UploadRejected("this sample has no working image yet: choose how to read the stack")
    return np.load(sample.working_path, allow_pickle=False)


# --- helpers -------------------------------------------------------------------------------


def _start_processing(sample: Sample, user: AbstractBaseUser | None = None) -> None:
    """Queue the agent once a sample has a pixel size, a working image and its elements."""
    from automat_web.runs.lifecycle import start_if_ready  # runs builds on samples

    start_if_ready(sample, requested_by=user)


def _sample_of(sha256: str, group: Group) -> Sample | None:
    """The sample of the file with this digest in ``group``, if it was uploaded there."""
    return Sample.objects.filter(micrograph__sha256=sha256, group=group).first()


def _already_uploaded(sample: Sample) -> UploadOutcome:
    return UploadOutcome(
        sample,
        False,
        f"This file was already uploaded to {sample.group.name} as "
        f"“{sample.name}”; nothing was stored twice.",
    )


def _checked_name(name: str, filename: str) -> str:
    """The sample's name: as entered, else the file's name without its suffix."""
    limit = Sample._meta.get_field("name").max_length
    name = name.strip()
    if len(name) > limit:
        raise UploadRejected(
            f"the name is {len(name)} characters long; at most {limit} are allowed",
            field="name",
        )
    return name or Path(filename).stem[:limit] or "micrograph"


def _check_stack(stack: str) -> None:
    """Refuse a stack choice that is none of the choices, whether or not the file turns
    out to hold a stack (the frame's index is checked against the file's frames later)."""
    try:
        parse_stack_choice(stack, sys.maxsize)
    except IngestError as exc:
        raise UploadRejected(str(exc), field="stack") from None


def _missing_blob(sha256: str, suffix: str, written: list[Path]) -> bool:
    """Whether the blob store lacks this file; if so its path goes on ``written``, the files
    this call adds (a failed upload removes those and no others)."""
    path = blob_store().path(sha256, suffix)
    if path.exists():
        return False
    written.append(path)
    return True


def _store_rendition(rendition: _Rendition | None, written: list[Path]) -> None:
    if rendition is None:
        return
    for data, sha256, suffix in (
        (rendition.working_npy, rendition.working_sha256, WORKING_SUFFIX),
        (rendition.thumbnail_png, rendition.thumbnail_sha256, THUMBNAIL_SUFFIX),
    ):
        if _missing_blob(sha256, suffix, written):
            blob_store().put_bytes(data, suffix=suffix)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _name_the_file(message: str, path: Path, filename: str) -> str:
    """Say ``filename`` (what the user uploaded) where a message names the stored path."""
    message = message.replace(str(path), filename).replace(path.name, filename)
    return message if filename in message else f"{filename}: {message}"


def _check_size(size: int) -> None:
    if size == 0:
        raise UploadRejected("the file is empty (0 bytes)")
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if size > limit:
        raise UploadRejected(
            f"the file is {size / 1024**2:.1f} MB, over the limit of {settings.MAX_UPLOAD_MB} MB"
        )


def _probe(path: Path) -> FileInfo:
    try:
        return probe(path, max_pixels=settings.MAX_PIXELS)
    except IngestError as exc:
        raise UploadRejected(str(exc)) from None


def _signal_index(info: FileInfo, signal: int | str | None) -> int:
    if signal is None or signal == "":
        return info.default_signal
    if isinstance(signal, str) and not signal.isdigit():
        for s in info.signals:
            if s.name.lower() == signal.lower():
                return s.index
    elif 0 <= int(signal) < len(info.signals):
        return int(signal)
    names = ", ".join(f"{s.index}: {s.name}" for s in info.signals)
    raise UploadRejected(f"the file has no signal {signal!r}; it holds {names}", field="signal")


def _render(
    path: Path, info: FileInfo, signal_index: int, stack: str | None, pixel_size_A: float | None
) -> _Rendition | None:
    """Decode the chosen signal and store its working image and thumbnail.

    Returns None for a stack whose reduction has not been chosen yet.
    """
    if info.signals[signal_index].is_stack and not stack:
        if pixel_size_A is not None:
            _user_cal(pixel_size_A)
        return None
    try:
        micro = read_micrograph(
            path,
            signal=signal_index,
            stack=stack or None,
            pixel_size_A=pixel_size_A,
            max_pixels=settings.MAX_PIXELS,
        )
    except IngestError as exc:
        raise UploadRejected(str(exc)) from None
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(micro.data, dtype=np.float32), allow_pickle=False)
    return _Rendition(
        buffer.getvalue(),
        thumbnail_png(micro.data),
        micro.shape,
        micro.calibration,
        micro.metadata,
    )


def _checked_mode(mode: str) -> str:
    try:
        return check_mode(mode)
    except ValueError as exc:
        raise UploadRejected(str(exc), field="mode") from None


def _apply_mode(sample: Sample, user_mode: str | None) -> None:
    """The user's imaging mode, else the one the signal's name states, else the default."""
    if user_mode:
        sample.imaging_mode, sample.imaging_mode_source = user_mode, "user"
        return
    name = sample.signal.name
    stated = mode_from_signal(name)
    sample.imaging_mode = stated or DEFAULT_MODE
    sample.imaging_mode_source = f"file:{name}"[:128] if stated else ""


def _user_cal(pixel_size_A: float) -> Calibration:
    try:
        return user_calibration(pixel_size_A)
    except IngestError as exc:
        raise UploadRejected(str(exc), field="pixel_size_A") from None


def _apply(
    sample: Sample,
    info: FileInfo,
    signal_index: int,
    stack: str | None,
    rendition: _Rendition | None,
    pixel_size_A: float | None,
) -> None:
    """Copy a rendition's products and calibration onto ``sample`` (not saved)."""
    sample.signal_index = signal_index
    sample.stack_mode = stack or "" if info.signals[signal_index].is_stack else ""
    if rendition is None:
        cal = _user_cal(pixel_size_A) if pixel_size_A else info.signals[signal_index].calibration
        sample.working_sha256 = sample.thumbnail_sha256 = ""
        sample.height_px, sample.width_px = info.signals[signal_index].shape[-2:]
    else:
        cal = rendition.calibration
        sample.working_sha256 = rendition.working_sha256
        sample.thumbnail_sha256 = rendition.thumbnail_sha256
        sample.height_px, sample.width_px = rendition.shape
    sample.pixel_size_A = cal.pixel_size_A
    sample.calibration_source = cal.source or ""
    sample.calibration_note = cal.note[:255]
