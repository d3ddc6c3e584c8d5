"""Plain result objects of micrograph reading (frozen dataclasses, JSON round-trip)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Pixel sizes outside this range [Å/px] are allowed but flagged: atomic-resolution
#: images of 2D materials are normally taken between these.
PLAUSIBLE_PIXEL_SIZE_A = (0.02, 1.0)


@dataclass(frozen=True)
class Calibration:
    """Pixel size of an image and where it came from.

    pixel_size_A: float | None
        Size of one pixel [Å]; ``None`` when the image is uncalibrated.
    source: str | None
        ``"file:<tag>"`` naming the metadata field it was read from, ``"user"`` when a
        person entered it, ``None`` when uncalibrated.
    note: str
        Why a file's scale was not accepted (e.g. ``"scale 1.0 with no unit"``), or "".
    """

    pixel_size_A: float | None
    source: str | None
    note: str = ""

    @property
    def is_calibrated(self) -> bool:
        return self.pixel_size_A is not None

    @property
    def warning(self) -> str:
        """A message when the pixel size is outside the plausible range, else ""."""
        if self.pixel_size_A is None:
            return ""
        lo, hi = PLAUSIBLE_PIXEL_SIZE_A
        if not lo <= self.pixel_size_A <= hi:
            return (
                f"pixel size {self.pixel_size_A:.4g} Å/px is outside the usual range "
                f"{lo}–{hi} Å/px for atomic-resolution images; check the calibration"
            )
        return ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        return cls(**d)


@dataclass(frozen=True)
class SignalInfo:
    """One signal (dataset) inside a file, described from its header without decoding.

    index: int
        Position of the signal in the file (what ``read_micrograph(signal=...)`` takes).
    name: str
        Its title in the file, e.g. ``"HAADF"``, ``"iDPC"``, ``"DF4-A"``; a generic name
        (``"image"``) when the format has none.
    shape: tuple[int, ...]
        Array shape, frames first for stacks: ``(ny, nx)`` or ``(n_frames, ny, nx)``.
    dtype: str
        NumPy dtype string of the stored data.
    calibration: Calibration
        Pixel size read from this signal's metadata.
    """

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    calibration: Calibration

    @property
    def is_stack(self) -> bool:
        return len(self.shape) == 3

    @property
    def n_pixels(self) -> int:
        return int(np.prod(self.shape[-2:]))

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SignalInfo:
        d = dict(d)
        d["shape"] = tuple(d["shape"])
        d["calibration"] = Calibration.from_dict(d["calibration"])
        return cls(**d)


@dataclass(frozen=True)
class FileInfo:
    """What a file holds, read from headers only (cheap; safe on huge files).

    format: str
        Detected format: ``tiff``, ``png``, ``jpeg``, ``dm3``, ``dm4``, ``velox_emd``,
        ``berkeley_emd``, ``ser``, ``mrc``, ``npy``.
    signals: tuple[SignalInfo, ...]
        The image-like signals in the file, in file order.
    default_signal: int
        Index of the signal to use when the user does not choose (HAADF or iDPC when
        present, else the first 2D one).
    """

    format: str
    signals: tuple[SignalInfo, ...]
    default_signal: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "signals": [s.as_dict() for s in self.signals],
            "default_signal": self.default_signal,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileInfo:
        return cls(
            format=d["format"],
            signals=tuple(SignalInfo.from_dict(s) for s in d["signals"]),
            default_signal=d["default_signal"],
        )


@dataclass(frozen=True)
class Micrograph:
    """A decoded 2D micrograph ready for processing.

    data: np.ndarray
        float32 array of shape (ny, nx), row 0 at the top of the image.
    calibration: Calibration
        Pixel size and its source (the file's, or the user's override).
    info: FileInfo
        What the file holds.
    signal: int
        Index of the signal that was read.
    stack: str | None
        How a stack was reduced: ``"sum"``, ``"align"``, ``"frame:<i>"``; ``None`` for a
        single image.
    metadata: dict
        The file's original metadata, made JSON-safe (numbers, strings, lists, dicts).
    """

    data: np.ndarray = field(repr=False)
    calibration: Calibration
    info: FileInfo
    signal: int
    stack: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]

    @property
    def warnings(self) -> list[str]:
        return [w for w in (self.calibration.warning,) if w]

    def describe(self) -> dict[str, Any]:
        """Everything but the pixels, as JSON-safe data (stored beside the sample)."""
        return {
            "shape": list(self.shape),
            "calibration": self.calibration.as_dict(),
            "info": self.info.as_dict(),
            "signal": self.signal,
            "stack": self.stack,
            "metadata": self.metadata,
            "warnings": self.warnings,
        }
