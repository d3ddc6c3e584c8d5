"""Turning a file's scale and unit into a pixel size in ångström.

A file's scale is accepted only when it is a positive finite number with a length unit.
A missing scale, a scale of exactly 1.0 with no unit (what most writers put when they know
nothing), or a unit that is not a length (``1/nm`` for diffraction, ``eV``) leaves the image
*uncalibrated*: it cannot be processed until a person enters a pixel size.
"""

from __future__ import annotations

import math

from .errors import InvalidCalibration
from .types import PLAUSIBLE_PIXEL_SIZE_A, Calibration

#: Length units [Å per unit], keyed by the spellings found in DM, Velox, SER, MRC,
#: ImageJ and OME files (compared after ``.strip()``; case matters for ``m`` vs ``M``).
_ANGSTROM_PER_UNIT: dict[str, float] = {
    "m": 1e10,
    "meter": 1e10,
    "meters": 1e10,
    "metre": 1e10,
    "cm": 1e8,
    "mm": 1e7,
    "um": 1e4,
    "µm": 1e4,
    "μm": 1e4,
    "micron": 1e4,
    "microns": 1e4,
    "micrometer": 1e4,
    "micrometre": 1e4,
    "nm": 10.0,
    "nanometer": 10.0,
    "nanometers": 10.0,
    "nanometre": 10.0,
    "A": 1.0,
    "\u00c5": 1.0,  # Å, LATIN CAPITAL LETTER A WITH RING ABOVE
    "A\u030a": 1.0,  # 'A' + combining ring, as some writers produce
    "\u212b": 1.0,  # ANGSTROM SIGN
    "angstrom": 1.0,
    "angstroms": 1.0,
    "Angstrom": 1.0,
    "Angstroms": 1.0,
    "ang": 1.0,
    "pm": 0.01,
    "picometer": 0.01,
}


def angstrom_per_unit(unit: str | None) -> float | None:
    """Length of one ``unit`` in Å, or ``None`` when ``unit`` is not a length unit."""
    if unit is None:
        return None
    u = str(unit).strip()
    if u in _ANGSTROM_PER_UNIT:
        return _ANGSTROM_PER_UNIT[u]
    return _ANGSTROM_PER_UNIT.get(u.lower())


def calibration_from_scale(scale: float | None, unit: str | None, *, tag: str) -> Calibration:
    """Judge a file's pixel scale.

    Parameters
    ----------
    scale : float or None
        Size of one pixel in ``unit`` as stored in the file.
    unit : str or None
        The unit as stored in the file (``"nm"``, ``"Å"``, ``"m"``, ``"1/nm"``, ``""``...).
    tag : str
        Where in the file the scale was read, e.g. ``"dm.ImageData.Calibrations"``;
        recorded as ``source="file:<tag>"``.

    Returns
    -------
    Calibration
        Calibrated in Å when the scale is a positive length, otherwise uncalibrated with
        a ``note`` that says why.
    """
    if scale is None:
        return Calibration(None, None, note=f"no pixel size in the file ({tag})")
    try:
        value = float(scale)
    except (TypeError, ValueError):
        return Calibration(None, None, note=f"pixel size {scale!r} is not a number ({tag})")
    unit_text = "" if unit is None else str(unit).strip()
    if unit_text in ("", "<undefined>", "pixel", "pixels", "px", "Undefined"):
        if value == 1.0:
            return Calibration(None, None, note=f"scale 1.0 with no unit ({tag})")
        return Calibration(None, None, note=f"scale {value:g} has no unit ({tag})")
    factor = angstrom_per_unit(unit_text)
    if factor is None:
        return Calibration(None, None, note=f"unit {unit_text!r} is not a length ({tag})")
    if not math.isfinite(value) or value <= 0:
        return Calibration(
            None, None, note=f"pixel size {value:g} {unit_text} is not positive ({tag})"
        )
    return Calibration(value * factor, f"file:{tag}")


def user_calibration(pixel_size_A: float) -> Calibration:
    """A pixel size entered by a person [Å/px]; raises InvalidCalibration if not usable:
    not a positive number, or outside :data:`PLAUSIBLE_PIXEL_SIZE_A` (a file may carry such
    a value, and it is shown flagged; a person entering one has mistyped the unit)."""
    try:
        value = float(pixel_size_A)
    except (TypeError, ValueError):
        raise InvalidCalibration(f"pixel size {pixel_size_A!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidCalibration(f"pixel size must be a positive length in Å/px, got {value:g}")
    lo, hi = PLAUSIBLE_PIXEL_SIZE_A
    if not lo <= value <= hi:
        raise InvalidCalibration(
            f"pixel size {value:g} Å/px is outside {lo:g}–{hi:g} Å/px, the range of "
            "atomic-resolution images (is it in nm, or pm?)"
        )
    return Calibration(value, "user")
