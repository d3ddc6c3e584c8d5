"""Domain errors of the reconstruction pipeline (STEM2CIF).

Services turn these into a failed run whose message a scientist understands; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ReconstructionError(Exception):
    """A micrograph could not be turned into a crystal structure."""


class NoLatticeFound(ReconstructionError):
    """No 2D periodicity (or too few atom columns) was found in the image."""


class ElementsInconsistent(ReconstructionError):
    """The given elements cannot explain the column contrast classes seen in the image."""


class ImplausiblePixelSize(ReconstructionError):
    """The pixel size is missing, or the lattice it implies is physically impossible."""


__all__ = ["ElementsInconsistent", "ImplausiblePixelSize", "NoLatticeFound", "ReconstructionError"]
