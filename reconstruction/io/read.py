"""Reading a micrograph file: detect, describe from headers, check, decode, reduce.

:func:`probe` is cheap (headers only) and safe on huge or hostile files; the web layer
calls it on upload. :func:`read_micrograph` returns the float32 image the pipeline uses.
Every failure a person can cause is an :class:`~reconstruction.io.errors.IngestError`
with a message meant for them; a decoder's own exception (ValueError, OSError,
struct.error, zlib.error, ...) becomes :class:`CorruptFile` with the original chained as
``__cause__``, so its traceback is kept for the log.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .calibration import user_calibration
from .detect import FORMAT_LABELS, detect_format
from .errors import (
    CorruptFile,
    IngestError,
    NotTwoDimensional,
    StackChoiceRequired,
    TooManyPixels,
    UnknownSignal,
    UnsupportedFormat,
)
from .stacks import STACK_CHOICES_TEXT, parse_stack_choice, reduce_stack
from .types import FileInfo, Micrograph, SignalInfo

#: Default limit on the pixels of one frame (10,000 × 10,000).
MAX_PIXELS = 100_000_000
#: A whole stack may hold at most this many times ``max_pixels`` pixels.
STACK_PIXEL_FACTOR = 10

#: Format -> (module in reconstruction.io.formats, describe function, load function).
_READERS: dict[str, tuple[str, str, str]] = {
    "tiff": ("tiff", "signals", "load"),
    "png": ("pillow", "signals", "load"),
    "jpeg": ("pillow", "signals", "load"),
    "dm3": ("dm", "signals", "load"),
    "dm4": ("dm", "signals", "load"),
    "velox_emd": ("emd", "velox_signals", "velox_load"),
    "berkeley_emd": ("emd", "berkeley_signals", "berkeley_load"),
    "ser": ("ser", "signals", "load"),
    "mrc": ("mrc", "signals", "load"),
    "npy": ("npy", "signals", "load"),
}
_FORMATS_PACKAGE = "reconstruction.io.formats"
# Names that mark a signal as the one to use by default, best first.
_PREFERRED = (("haadf",), ("idpc",), ("dpc", "integrat"))

T = TypeVar("T")


def probe(path: str | PathLike[str], *, max_pixels: int = MAX_PIXELS) -> FileInfo:
    """Describe a micrograph file from its headers, without decoding pixels.

    Parameters
    ----------
    path : str or path-like
        The uploaded file; its format is detected from its content.
    max_pixels : int
        Most pixels allowed in one frame of the default signal.

    Returns
    -------
    FileInfo
        Format, signals and the default signal (HAADF, else iDPC / integrated DPC, else
        the first 2D image or stack).

    Raises
    ------
    EmptyFile, UnsupportedFormat, CorruptFile
        No bytes; not a supported format; a header that cannot be parsed or promises
        more data than the file holds.
    NotTwoDimensional
        No signal is a 2D image or a stack of 2D frames.
    TooManyPixels
        The default signal's frames exceed ``max_pixels``.
    """
    path = Path(path)
    info, _ = _describe(path)
    _check_pixels(_signal(info, info.default_signal), max_pixels, path.name)
    return info


def read_micrograph(
    path: str | PathLike[str],
    *,
    signal: int | str | None = None,
    stack: str | None = None,
    pixel_size_A: float | None = None,
    max_pixels: int = MAX_PIXELS,
) -> Micrograph:
    """Read one 2D micrograph from a file.

    Parameters
    ----------
    path : str or path-like
        The file; its format is detected from its content.
    signal : int, str or None
        Signal index, or its name (case-insensitive); ``None`` takes the default signal.
    stack : str or None
        For a stack of frames: ``"sum"`` (mean of the frames), ``"align"``
        (align-and-average) or ``"frame:<i>"``. Required for stacks, ignored otherwise.
    pixel_size_A : float or None
        Pixel size [Å/px] entered by a person; overrides the file's calibration.
    max_pixels : int
        Most pixels allowed in one frame; a stack may hold ``STACK_PIXEL_FACTOR`` times
        as many in all. Checked from the header, before decoding.

    Returns
    -------
    Micrograph
        float32 image (ny, nx), calibration (``source="user"`` when overridden),
        file description and metadata.

    Raises
    ------
    IngestError
        A subclass saying what is wrong: see :func:`probe`, plus UnknownSignal,
        StackChoiceRequired, InvalidCalibration, and CorruptFile for undecodable or
        non-finite pixel data.
    """
    path = Path(path)
    override = None if pixel_size_A is None else user_calibration(pixel_size_A)
    info, metadata = _describe(path)
    chosen = _signal(info, _select(info, signal, path.name))
    _require_image(chosen, path.name)
    _check_pixels(chosen, max_pixels, path.name)
    choice = _stack_choice(chosen, stack, path.name)
    _, load = _reader(info.format)
    raw = _guarded(lambda: load(path, chosen.index), path.name, info.format)
    data = _to_image(_conform(np.asarray(raw), chosen, path.name), choice, path.name)
    label = None if choice is None else _choice_text(choice)
    return Micrograph(
        data=data,
        calibration=override or chosen.calibration,
        info=info,
        signal=chosen.index,
        stack=label,
        metadata=metadata,
    )


def is_image_shape(shape: tuple[int, ...]) -> bool:
    """Whether a signal of this shape is a 2D image (ny, nx) or a stack (n, ny, nx)."""
    return len(shape) in (2, 3) and min(shape) >= 1 and min(shape[-2:]) >= 2


def _describe(path: Path) -> tuple[FileInfo, dict[str, Any]]:
    fmt = detect_format(path)
    describe, _ = _reader(fmt)
    found, metadata = _guarded(lambda: describe(path), path.name, fmt)
    signals = tuple(found)
    if not signals:
        raise NotTwoDimensional(f"{path.name}: this {FORMAT_LABELS[fmt]} file holds no images")
    return FileInfo(fmt, signals, _default_signal(signals, path.name)), dict(metadata)


def _reader(fmt: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    module_name, describe, load = _READERS[fmt]
    full_name = f"{_FORMATS_PACKAGE}.{module_name}"
    try:
        module = importlib.import_module(full_name)
    except ModuleNotFoundError as exc:
        if exc.name != full_name:
            raise
        raise UnsupportedFormat(
            f"{FORMAT_LABELS[fmt]} files are recognised, but this installation cannot read them"
        ) from exc
    return getattr(module, describe), getattr(module, load)


def _guarded(call: Callable[[], T], name: str, fmt: str) -> T:
    """Run a format module's function; its decoder's exceptions become CorruptFile."""
    try:
        return call()
    except IngestError:
        raise
    except Exception as exc:  # any decoder failure on a bad file: ValueError, OSError, ...
        reason = f"{type(exc).__name__}: {exc}"
        if len(reason) > 300:
            reason = reason[:300] + "..."
        raise CorruptFile(
            f"{name}: this {FORMAT_LABELS[fmt]} file could not be decoded: {reason}"
        ) from exc


def _default_signal(signals: tuple[SignalInfo, ...], name: str) -> int:
    images = [s for s in signals if is_image_shape(s.shape)]
    if not images:
        listed = ", ".join(f"{s.name!r} {_shape_text(s.shape)}" for s in signals)
        raise NotTwoDimensional(
            f"{name}: no signal is a 2D image or a stack of 2D frames ({listed})"
        )
    for words in _PREFERRED:
        for s in images:
            if all(w in s.name.lower() for w in words):
                return s.index
    return images[0].index


def _select(info: FileInfo, signal: int | str | None, name: str) -> int:
    if signal is None:
        return info.default_signal
    if isinstance(signal, str):
        wanted = signal.strip().casefold()
        for s in info.signals:
            if s.name.strip().casefold() == wanted:
                return s.index
        if wanted.isdigit():
            signal = int(wanted)
    if isinstance(signal, int) and not isinstance(signal, bool):
        for s in info.signals:
            if s.index == signal:
                return s.index
    listed = ", ".join(f"{s.index} {s.name!r} {_shape_text(s.shape)}" for s in info.signals)
    raise UnknownSignal(f"{name} has no signal {signal!r}; available: {listed}")


def _signal(info: FileInfo, index: int) -> SignalInfo:
    return next(s for s in info.signals if s.index == index)


def _require_image(signal: SignalInfo, name: str) -> None:
    if is_image_shape(signal.shape):
        return
    kind = {1: "a 1D signal (a spectrum or profile)", 4: "4D data (e.g. 4D-STEM)"}.get(
        len(signal.shape), f"{len(signal.shape)}D data"
    )
    raise NotTwoDimensional(
        f"{name}: signal {signal.name!r} has shape {_shape_text(signal.shape)}, {kind}; "
        "only 2D images and stacks of 2D frames can be read"
    )


def _check_pixels(signal: SignalInfo, max_pixels: int, name: str) -> None:
    ny, nx = signal.shape[-2:]
    if signal.n_pixels > max_pixels:
        raise TooManyPixels(
            f"{name}: signal {signal.name!r} has {ny:,} × {nx:,} = {signal.n_pixels:,} "
            f"pixels per frame, more than the limit of {max_pixels:,}"
        )
    total = int(np.prod(signal.shape, dtype=np.int64))
    if total > STACK_PIXEL_FACTOR * max_pixels:
        raise TooManyPixels(
            f"{name}: signal {signal.name!r} holds {total:,} pixels in all, more than the "
            f"limit of {STACK_PIXEL_FACTOR * max_pixels:,} for a stack"
        )


def _stack_choice(signal: SignalInfo, stack: str | None, name: str) -> str | int | None:
    if not signal.is_stack or signal.shape[0] == 1:
        return None
    n = signal.shape[0]
    if stack is None:
        raise StackChoiceRequired(
            f"{name}: signal {signal.name!r}: this signal is a stack of {n} frames; "
            f"choose {STACK_CHOICES_TEXT}"
        )
    return parse_stack_choice(stack, n)


def _conform(raw: np.ndarray, signal: SignalInfo, name: str) -> np.ndarray:
    """The decoded array in the header's shape (only axes of length 1 may differ)."""
    if raw.shape == signal.shape:
        return raw
    if [n for n in raw.shape if n != 1] == [n for n in signal.shape if n != 1]:
        return raw.reshape(signal.shape)
    raise CorruptFile(
        f"{name}: the decoded pixels have shape {_shape_text(raw.shape)} but the header says "
        f"{_shape_text(signal.shape)}"
    )


def _to_image(raw: np.ndarray, choice: str | int | None, name: str) -> np.ndarray:
    if raw.dtype.kind not in "biuf":
        raise CorruptFile(f"{name}: the pixel values are {raw.dtype}, not real numbers")
    _require_finite(raw, name)
    if raw.ndim == 3:
        image = raw[0] if choice is None else reduce_stack(raw, _choice_text(choice))
    else:
        image = raw
    with np.errstate(over="ignore"):
        data = np.ascontiguousarray(image, dtype=np.float32)
    if not np.isfinite(data).all():  # float64 beyond the float32 range overflowed
        raise CorruptFile(
            f"{name}: pixel values exceed the float32 range (±3.4e38); the file is corrupt"
        )
    return data


def _choice_text(choice: str | int) -> str:
    return f"frame:{choice}" if isinstance(choice, int) else choice


def _require_finite(data: np.ndarray, name: str) -> None:
    if data.dtype.kind != "f":
        return
    bad = data.size - int(np.count_nonzero(np.isfinite(data)))
    if bad:
        raise CorruptFile(
            f"{name}: {bad:,} of {data.size:,} pixels are NaN or infinite; the file is corrupt "
            "or holds the output of a failed computation"
        )


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + " × ".join(str(n) for n in shape) + ")"
