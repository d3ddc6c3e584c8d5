"""Domain errors of the science, and those of the reconstruction pipeline (STEM2CIF).

Every domain error under ``reconstruction/`` derives from :class:`ScienceError` (keeping
its older bases, e.g. ``ValueError``, so existing handlers still catch it): services turn
one into a failed run whose message a scientist understands; anything else is a bug and
keeps its traceback.

    ScienceError
    ├── ReconstructionError (NoLatticeFound, ElementsInconsistent, ImplausiblePixelSize)
    ├── IngestError (reconstruction.io.errors: EmptyFile, UnsupportedFormat, ...)
    ├── EnergyError (reconstruction.energy.errors: UnknownModel, CheckpointNotFound, ...)
    ├── SimulationError, DenoiseError, UnknownElement, SchemaError (also ValueError)
    ├── ToolError (reconstruction.agent.tools.base)
    └── NaiveFailure (reconstruction.bench.naive; also RuntimeError)
"""

from __future__ import annotations


class ScienceError(Exception):
    """The science could not do what it was asked; the message says why, for a scientist."""


class ReconstructionError(ScienceError):
    """A micrograph could not be turned into a crystal structure."""


class NoLatticeFound(ReconstructionError):
    """No 2D periodicity (or too few atom columns) was found in the image."""


class ElementsInconsistent(ReconstructionError):
    """The given elements cannot explain the column contrast classes seen in the image."""


class ImplausiblePixelSize(ReconstructionError):
    """The pixel size is missing, or the lattice it implies is physically impossible."""


__all__ = [
    "ElementsInconsistent",
    "ImplausiblePixelSize",
    "NoLatticeFound",
    "ReconstructionError",
    "ScienceError",
]
