"""Reading atomic-resolution STEM micrographs from the files microscopes write.

Pure functions, no Django. The usual calls::

    info = probe(path)                       # headers only: format, signals, default
    micrograph = read_micrograph(path, stack="align", pixel_size_A=None)
    png = thumbnail_png(micrograph.data)

Formats are detected from content (see :func:`detect_format`); per-format readers live in
:mod:`reconstruction.io.formats` and are imported only when a file of their kind is read.
"""

from __future__ import annotations

from .calibration import angstrom_per_unit, calibration_from_scale, user_calibration
from .detect import FORMAT_LABELS, SUPPORTED_TEXT, detect_format
from .errors import (
    CorruptFile,
    EmptyFile,
    IngestError,
    InvalidCalibration,
    NotTwoDimensional,
    StackChoiceRequired,
    TooManyPixels,
    UnknownSignal,
    UnsupportedFormat,
)
from .metadata import json_safe
from .read import MAX_PIXELS, STACK_PIXEL_FACTOR, is_image_shape, probe, read_micrograph
from .render import stretch_to_unit, thumbnail_png, to_png_preview
from .stacks import STACK_CHOICES_TEXT, align_frames, parse_stack_choice, reduce_stack
from .types import PLAUSIBLE_PIXEL_SIZE_A, Calibration, FileInfo, Micrograph, SignalInfo

__all__ = [
    "FORMAT_LABELS",
    "MAX_PIXELS",
    "PLAUSIBLE_PIXEL_SIZE_A",
    "STACK_CHOICES_TEXT",
    "STACK_PIXEL_FACTOR",
    "SUPPORTED_TEXT",
    "Calibration",
    "CorruptFile",
    "EmptyFile",
    "FileInfo",
    "IngestError",
    "InvalidCalibration",
    "Micrograph",
    "NotTwoDimensional",
    "SignalInfo",
    "StackChoiceRequired",
    "TooManyPixels",
    "UnknownSignal",
    "UnsupportedFormat",
    "align_frames",
    "angstrom_per_unit",
    "calibration_from_scale",
    "detect_format",
    "is_image_shape",
    "json_safe",
    "parse_stack_choice",
    "probe",
    "read_micrograph",
    "reduce_stack",
    "stretch_to_unit",
    "thumbnail_png",
    "to_png_preview",
    "user_calibration",
]
