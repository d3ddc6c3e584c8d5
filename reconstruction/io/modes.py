"""The imaging mode of a signal, from what its file calls it.

The mode decides how every later step reads the contrast (which templates an image is
compared with, what the check simulates, which denoiser expert applies), so it is shown
with where it came from and a person can always change it. Files name their signals after
the detector: Velox writes ``HAADF``, ``iDPC``, ``DPC``, ``ABF``, ``BF``, ``DF4-A``; DM and
TIFF files rarely say anything, and then nothing is guessed.
"""

from __future__ import annotations

import re

#: Imaging modes the pipeline simulates, with their labels.
IMAGING_MODES = {"haadf": "HAADF", "idpc": "iDPC", "abf": "ABF"}
#: The mode assumed when a file does not say (the benchmark's and the paper's).
DEFAULT_MODE = "idpc"

# Checked in this order: "ABF" before "BF", "iDPC"/"DPC"/"iCoM" before the "DF" of ADF.
_PATTERNS = (
    ("abf", re.compile(r"(?<![a-z])abf(?![a-z])")),
    ("idpc", re.compile(r"(?<![a-z])(i?dpc|i?com)(?![a-z])")),
    ("haadf", re.compile(r"(?<![a-z])(ha|ma|la)?adf(?![a-z])")),
)


def mode_from_signal(name: str | None) -> str | None:
    """The imaging mode a signal's name states (``"haadf"``, ``"idpc"``, ``"abf"``), or None.

    ``HAADF``, ``ADF``, ``MAADF`` -> haadf; ``iDPC``, ``DPC``, ``iCoM`` -> idpc; ``ABF`` ->
    abf. Bright field (``BF``), a single DPC segment (``DF4-A``) and generic names
    (``image``, ``Channel 0``) state no mode the pipeline can simulate: None.
    """
    text = (name or "").lower().replace("_", " ").replace("-", " ")
    for mode, pattern in _PATTERNS:
        if pattern.search(text):
            return mode
    return None


def check_mode(mode: str) -> str:
    """``mode`` lower-cased if it is one of :data:`IMAGING_MODES`, else ValueError."""
    key = str(mode).strip().lower()
    if key not in IMAGING_MODES:
        raise ValueError(
            f"imaging mode must be one of {', '.join(IMAGING_MODES.values())}, got {mode!r}"
        )
    return key
