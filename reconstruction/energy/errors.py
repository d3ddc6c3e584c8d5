"""Errors raised while predicting energies.

Messages are written for a scientist: what went wrong and, where there is one, what to do.
"""

from __future__ import annotations

from reconstruction.errors import ScienceError


class EnergyError(ScienceError):
    """Base class: an energy could not be predicted."""


class UnknownModel(EnergyError):
    """A potential was asked for by a name this module does not know."""


class CheckpointNotFound(EnergyError):
    """A potential needs weights that are not on this machine (nothing is ever downloaded)."""


class MissingReference(EnergyError):
    """A formation energy needs an elemental reference that is not available."""
