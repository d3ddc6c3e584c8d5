"""Energies of 2D monolayers from universal machine-learned interatomic potentials.

- :func:`get_calculator` — an ASE calculator for "chgnet-0.3.0", "sevennet-0" or "mattersim".
- :func:`relax_2d` — relax positions and the in-plane cell, vacuum kept; blow-ups fail.
- :func:`get_references` — elemental chemical potentials per model, cached as JSON.
- :func:`predict_formation_energy` — relax and score a structure in one call.

Importing this package does not import torch or any potential.
"""

from .backends import MODELS, available_models, get_calculator, select_device
from .errors import CheckpointNotFound, EnergyError, MissingReference, UnknownModel
from .formation import (
    DEFAULT_MODEL,
    DEFAULT_SCHEME,
    FormationEnergyResult,
    formation_energy_eV_per_atom,
    predict_formation_energy,
    score_relaxed,
)
from .references import SCHEMES, ElementalReferences, get_references
from .relax import RelaxResult, relax_2d
from .stability import StabilityLimits

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_SCHEME",
    "MODELS",
    "SCHEMES",
    "CheckpointNotFound",
    "ElementalReferences",
    "EnergyError",
    "FormationEnergyResult",
    "MissingReference",
    "RelaxResult",
    "StabilityLimits",
    "UnknownModel",
    "available_models",
    "formation_energy_eV_per_atom",
    "get_calculator",
    "get_references",
    "predict_formation_energy",
    "relax_2d",
    "score_relaxed",
    "select_device",
]
