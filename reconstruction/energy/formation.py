"""Formation energy per atom of a monolayer: relax with a potential, subtract references.

e_form = E/atom - Σ_i x_i μ_i, with E the relaxed total energy and x_i the atomic fractions.
For the ``elemental`` scheme, energies of models trained on MP2020-corrected data are first
put back on the uncorrected-PBE scale (:mod:`.corrections`), like the DFT labels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .corrections import CORRECTED_MODELS, mp2020_correction_eV
from .references import ElementalReferences, get_references
from .relax import RelaxResult, relax_2d

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

# Chosen by the oracle benchmark (docs/benchmarks/energy.md): lowest MAE vs DFT.
DEFAULT_MODEL = "sevennet-0"
DEFAULT_SCHEME = "fitted"
# A formation energy beyond this is not physical for a solid: the relaxation went wrong.
MAX_ABS_E_FORM_EV = 5.0


def formation_energy_eV_per_atom(
    symbols: list[str], energy_eV_per_atom: float, references: ElementalReferences
) -> float:
    """E/atom - Σ_i x_i μ_i [eV/atom] for a structure with the given atom symbols."""
    counts = Counter(symbols)
    return energy_eV_per_atom - sum(n * references.mu(s) for s, n in counts.items()) / len(symbols)


def needs_correction_removal(model: str, scheme: str) -> bool:
    """Whether the model's compound energies must be de-corrected under this scheme."""
    return scheme == "elemental" and model in CORRECTED_MODELS


@dataclass(frozen=True)
class FormationEnergyResult:
    """Formation energy of one structure with one model and reference scheme.

    Attributes
    ----------
    model, scheme : str
        Potential and reference scheme used.
    formula : str
        Reduced formula.
    e_form_eV_per_atom : float or None
        Formation energy [eV/atom]; None on failure.
    energy_eV_per_atom : float or None
        Relaxed total model energy [eV/atom] (as predicted, before any correction removal).
    correction_eV_per_atom : float
        MP2020 correction removed from the energy [eV/atom] (0 when none applies).
    mu_eV_per_atom : dict
        References used [eV/atom].
    relax : RelaxResult
        The relaxation.
    failure : str or None
        Why there is no formation energy.
    """

    model: str
    scheme: str
    formula: str
    e_form_eV_per_atom: float | None
    energy_eV_per_atom: float | None
    correction_eV_per_atom: float
    mu_eV_per_atom: dict[str, float]
    relax: RelaxResult
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "scheme": self.scheme,
            "formula": self.formula,
            "e_form_eV_per_atom": self.e_form_eV_per_atom,
            "energy_eV_per_atom": self.energy_eV_per_atom,
            "correction_eV_per_atom": self.correction_eV_per_atom,
            "mu_eV_per_atom": self.mu_eV_per_atom,
            "relax": self.relax.as_dict(),
            "failure": self.failure,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormationEnergyResult:
        return cls(**{**data, "relax": RelaxResult.from_dict(data["relax"])})


def score_relaxed(
    relax: RelaxResult, references: ElementalReferences, *, scheme: str | None = None
) -> FormationEnergyResult:
    """Formation energy of an already relaxed structure."""
    scheme = scheme or references.scheme
    atoms = relax.atoms()
    symbols = atoms.get_chemical_symbols()
    formula = atoms.get_chemical_formula(mode="metal", empirical=True)
    mu = {s: references.mu_eV_per_atom.get(s) for s in sorted(set(symbols))}
    common = {"model": relax.model, "scheme": scheme, "formula": formula, "relax": relax}
    if not relax.ok:
        return FormationEnergyResult(
            **common, e_form_eV_per_atom=None, energy_eV_per_atom=None,
            correction_eV_per_atom=0.0, mu_eV_per_atom=mu, failure=relax.failure,
        )  # fmt: skip
    correction = 0.0
    if needs_correction_removal(relax.model, scheme) and len(set(symbols)) > 1:
        correction = mp2020_correction_eV(atoms) / len(atoms)
    energy = relax.energy_eV_per_atom
    e_form = formation_energy_eV_per_atom(symbols, energy - correction, references)
    failure = None
    if abs(e_form) > MAX_ABS_E_FORM_EV:
        failure, e_form = f"absurd formation energy {e_form:.2f} eV/atom", None
    return FormationEnergyResult(
        **common, e_form_eV_per_atom=e_form, energy_eV_per_atom=energy,
        correction_eV_per_atom=correction, mu_eV_per_atom=mu, failure=failure,
    )  # fmt: skip


def predict_formation_energy(
    atoms: Atoms,
    *,
    model: str = DEFAULT_MODEL,
    scheme: str = DEFAULT_SCHEME,
    cache_dir: Path,
    calc: Calculator | None = None,
    device: str | None = None,
    checkpoint: Path | None = None,
    data_dir: Path | None = None,
    **relax_kwargs: Any,
) -> FormationEnergyResult:
    """Relax a monolayer and return its formation energy per atom.

    Parameters
    ----------
    atoms : ase.Atoms
        Monolayer in the xy-plane, vacuum along z.
    model : str
        Potential name (:data:`.backends.MODELS`).
    scheme : {"fitted", "elemental", "mp"}
        Reference scheme (:mod:`.references`).
    cache_dir : Path
        Folder of the reference cache (references are computed once per model).
    calc : Calculator, optional
        An already loaded calculator for ``model`` (default: loaded here).
    device : str, optional
        Torch device (default: CUDA when available, else CPU).
    checkpoint : Path, optional
        MatterSim's weights (``ScienceSettings.mattersim_checkpoint``).
    data_dir : Path, optional
        Shared data folder for references computed here (``ScienceSettings.shared_data_dir``).
    **relax_kwargs
        ``fmax``, ``max_steps``, ``max_time_s``, ``limits``, ``threads`` of
        :func:`.relax.relax_2d`.
    """
    from .backends import get_calculator

    elements = sorted(set(atoms.get_chemical_symbols()))
    references = get_references(
        model, scheme, cache_dir=cache_dir, elements=elements, device=device,
        checkpoint=checkpoint, data_dir=data_dir,
    )  # fmt: skip
    calc = calc or get_calculator(model, device, checkpoint=checkpoint)
    return score_relaxed(relax_2d(atoms, calc, **relax_kwargs), references, scheme=scheme)
