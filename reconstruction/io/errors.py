"""Errors raised while reading a micrograph.

Each carries a message written for a microscopist: what is wrong with the file and,
where there is one, what to do about it. The web layer shows ``str(error)`` as is.
"""

from __future__ import annotations

from reconstruction.errors import ScienceError


class IngestError(ScienceError):
    """Base class: the file cannot be turned into a 2D micrograph."""


class EmptyFile(IngestError):
    """The file has no bytes."""


class UnsupportedFormat(IngestError):
    """The content is not one of the supported formats (detected by content, not name)."""


class CorruptFile(IngestError):
    """The content looks like a supported format but cannot be decoded (corrupt or truncated)."""


class NotTwoDimensional(IngestError):
    """The selected signal is not an image (1D spectrum, 4D-STEM data set, ...)."""


class TooManyPixels(IngestError):
    """The image has more pixels than allowed; raised from the header, before decoding."""


class UnknownSignal(IngestError):
    """A signal index or name was asked for that the file does not hold."""


class StackChoiceRequired(IngestError):
    """A stack of frames was read without saying how to reduce it (sum, align, one frame)."""


class InvalidCalibration(IngestError):
    """A pixel size given by the user is not a positive finite length."""
