"""Elemental references (chemical potentials) for formation energies, cached per model.

Schemes
-------
``elemental``
    μ_i = the model's energy per atom of element i's relaxed ground state
    (:mod:`.elements`). Compound energies of models trained on MP2020-corrected energies are
    put back on the uncorrected-PBE scale before use (:mod:`.corrections`).
``fitted``
    μ_i fitted by ridge least squares so that E_model/atom - Σ_i x_i μ_i reproduces the DFT
    formation energies of the *training* half of the labelled monolayers (single-point
    energies of the DFT structures), regularised towards the MP PBE elemental energies.
    Elements absent from training keep the MP value. Corrections are absorbed by the fit.
``mp``
    μ_i = the MP GGA elemental energies themselves (no model calculation; a baseline).

Each scheme's references are computed once per model and stored as JSON in a cache
folder given by the caller (``<cache_dir>/<model>__<scheme>.json``).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reconstruction.data import monolayers_path, shared_data_dir

from .backends import model_name_of
from .dataset import load_labelled
from .errors import MissingReference
from .fitting import cross_validated_ridge, fit_rows, prediction_errors

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

_log = logging.getLogger(__name__)
SCHEMES = ("elemental", "fitted", "mp")  # computable on demand; "fitted_relaxed" is cached only


@dataclass(frozen=True)
class ElementalReferences:
    """Chemical potentials of the elements for one model and one scheme.

    Attributes
    ----------
    model : str
        Potential the references belong to.
    scheme : {"elemental", "fitted", "mp"}
        How they were obtained (module docstring).
    mu_eV_per_atom : dict of str to float
        Chemical potential per element [eV/atom].
    details : dict
        Provenance: per-element structures and convergence, or fit statistics.
    """

    model: str
    scheme: str
    mu_eV_per_atom: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)

    def mu(self, symbol: str) -> float:
        """Chemical potential of one element [eV/atom]; MissingReference if absent."""
        try:
            return self.mu_eV_per_atom[symbol]
        except KeyError:
            raise MissingReference(
                f"no {self.scheme} reference for {symbol} with {self.model}"
            ) from None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "scheme": self.scheme,
            "mu_eV_per_atom": dict(sorted(self.mu_eV_per_atom.items())),
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ElementalReferences:
        return cls(
            model=data["model"],
            scheme=data["scheme"],
            mu_eV_per_atom={k: float(v) for k, v in data["mu_eV_per_atom"].items()},
            details=data.get("details", {}),
        )


def cache_path(cache_dir: Path, model: str, scheme: str) -> Path:
    """JSON file that holds one model's references for one scheme."""
    return Path(cache_dir) / f"{model}__{scheme}.json"


SHIPPED_DIR = Path(__file__).with_name("shipped_references")


def seed_cache(cache_dir: Path) -> None:
    """Copy the shipped references (see shipped_references/README.md) into ``cache_dir``
    where it has none yet, so they are not recomputed on a fresh installation."""
    cache_dir = Path(cache_dir)
    for shipped in SHIPPED_DIR.glob("*__*.json"):
        target = cache_dir / shipped.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(shipped.read_text())
            tmp.replace(target)


def load_cached(cache_dir: Path, model: str, scheme: str) -> ElementalReferences | None:
    """Cached references, or None when none were computed yet."""
    path = cache_path(cache_dir, model, scheme)
    if not path.is_file():
        return None
    return ElementalReferences.from_dict(json.loads(path.read_text()))


def save_references(cache_dir: Path, refs: ElementalReferences) -> None:
    """Write references to the cache (atomically)."""
    path = cache_path(cache_dir, refs.model, refs.scheme)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(refs.as_dict(), indent=1) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file


def _instance(calc: Calculator | Callable[[], Calculator]) -> Calculator:
    """The calculator itself, or the one a factory makes (called only when needed)."""
    from ase.calculators.calculator import BaseCalculator

    return calc if isinstance(calc, BaseCalculator) else calc()


def mp_elemental_energies(path: Path | None = None) -> dict[str, float]:
    """MP GGA (uncorrected PBE) energies of the elemental reference entries [eV/atom]
    (``path`` default: ``elemental_refs_mp.json`` of the shared data)."""
    data = json.loads((path or shared_data_dir() / "elemental_refs_mp.json").read_text())
    return {k: float(v) for k, v in data["energy_per_atom"].items()}


def relax_element(symbol: str, calc: Calculator, *, fmax: float = 0.02, max_steps: int = 500):
    """Relax one element's ground state; return (energy [eV/atom], provenance dict)."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    from .elements import ground_state
    from .relax import single_threaded_blas

    atoms, mode, description = ground_state(symbol)
    atoms.calc = calc
    start = time.perf_counter()
    target = FrechetCellFilter(atoms) if mode == "full" else atoms
    optimizer = FIRE(target, logfile=None)
    with single_threaded_blas():
        converged = bool(optimizer.run(fmax=fmax, steps=max_steps))
    energy = float(atoms.get_potential_energy()) / len(atoms)
    if not np.isfinite(energy):
        raise MissingReference(f"{symbol}: the model gave a non-finite energy")
    return energy, {
        "structure": description,
        "relax": mode,
        "n_atoms": len(atoms),
        "converged": converged,
        "steps": int(optimizer.nsteps),
        "volume_A3_per_atom": round(float(atoms.get_volume()) / len(atoms), 3),
        "time_s": round(time.perf_counter() - start, 2),
    }


def elemental_references(
    calc: Calculator | Callable[[], Calculator],
    elements: Iterable[str],
    *,
    cache_dir: Path,
    model: str | None = None,
) -> ElementalReferences:
    """Relaxed elemental ground-state energies, computing only elements not yet cached.

    Parameters
    ----------
    calc : Calculator or callable returning one
        The model; a factory is only called when something must be computed.
    elements : iterable of str
        Elements needed.
    cache_dir : Path
        Folder of the reference cache.
    model : str, optional
        Model name (default: the one recorded on ``calc``).
    """
    name = model or model_name_of(calc)
    cached = load_cached(cache_dir, name, "elemental")
    mu = dict(cached.mu_eV_per_atom) if cached else {}
    details = dict(cached.details) if cached else {}
    missing = sorted(set(elements) - set(mu))
    if not missing and cached is not None:
        return cached
    instance = _instance(calc)
    for symbol in missing:
        mu[symbol], details[symbol] = relax_element(symbol, instance)
    refs = ElementalReferences(name, "elemental", mu, details)
    save_references(cache_dir, refs)
    return refs


def training_energies(calc: Calculator, structures: Sequence[Atoms]) -> list[dict[str, Any]]:
    """Single-point model energies of DFT structures [eV/atom], with their labels."""
    rows = []
    for atoms in structures:
        work = atoms.copy()
        work.calc = calc
        try:
            energy = float(work.get_potential_energy()) / len(work)
        except Exception as exc:  # a structure the model cannot handle is left out of the fit
            _log.warning("left out of the fit: %s (%s)", atoms.info.get("id"), exc)
            continue
        if np.isfinite(energy):
            rows.append(
                {
                    "id": str(atoms.info["id"]),
                    "composition": dict(Counter(atoms.get_chemical_symbols())),
                    "energy_eV_per_atom": energy,
                    "e_form_dft_eV_per_atom": float(atoms.info["e_form_pbe"]),
                }
            )
    return rows


def fitted_references(
    calc: Calculator | Callable[[], Calculator],
    *,
    cache_dir: Path,
    model: str | None = None,
    structures: Sequence[Atoms] | None = None,
    data_dir: Path | None = None,
) -> ElementalReferences:
    """Chemical potentials fitted on the training split (cached; computed once per model).

    The training single-point energies are cached too (``<model>__train_single_points.json``),
    so a refit never recomputes them.

    Parameters
    ----------
    calc : Calculator or callable returning one
        The model; a factory is only called when the energies are not cached.
    cache_dir : Path
        Folder of the reference cache.
    model : str, optional
        Model name (default: the one recorded on ``calc``).
    structures : sequence of ase.Atoms, optional
        Labelled training structures (default: the ``train`` half of the split).
    data_dir : Path, optional
        Shared data folder the default structures come from (default
        :data:`reconstruction.settings.SHARED_DATA_DIR`).
    """
    name = model or model_name_of(calc)
    cached = load_cached(cache_dir, name, "fitted")
    if cached is not None:
        return cached
    rows_path = Path(cache_dir) / f"{name}__train_single_points.json"
    if rows_path.is_file():
        rows = json.loads(rows_path.read_text())
    else:
        if structures is None:
            structures = load_labelled("train", path=monolayers_path(data_dir))
        rows = training_energies(_instance(calc), structures)
        rows_path.parent.mkdir(parents=True, exist_ok=True)
        rows_path.write_text(json.dumps(rows) + "\n")
    refs = references_from_training(name, "fitted", rows)
    refs.details.update(energies="single points of the DFT structures")
    save_references(cache_dir, refs)
    return refs


def references_from_training(
    model: str, scheme: str, rows: Sequence[dict[str, Any]], *, ridge: float | None = None
) -> ElementalReferences:
    """Fit chemical potentials to training rows (``id``, ``composition``,
    ``energy_eV_per_atom``, ``e_form_dft_eV_per_atom``); elements without training data keep
    the MP value. ``ridge`` None: chosen by cross-validation inside the rows."""
    prior = mp_elemental_energies()
    cv_mae: dict[str, float] = {}
    if ridge is None:
        ridge, cv_mae = cross_validated_ridge(rows, prior)
    mu = fit_rows(rows, prior, ridge)
    errors = prediction_errors(rows, {**prior, **mu})
    details = {
        "split": "train",
        "n_train": len(rows),
        "ridge": ridge,
        "cv_mae_eV_per_atom_by_ridge": cv_mae,
        "loss": "Huber (IRLS)",
        "train_mae_eV_per_atom": float(np.mean(np.abs(errors))) if len(errors) else None,
        "fitted_elements": sorted(mu),
        "prior": "MP GGA elemental energies (elemental_refs_mp.json)",
    }
    return ElementalReferences(model, scheme, {**prior, **mu}, details)


def mp_references(model: str, *, data_dir: Path | None = None) -> ElementalReferences:
    """MP PBE elemental energies used as the model's references (baseline, no calculation);
    ``data_dir``: the shared data folder (default: the one next to the repository)."""
    energies = mp_elemental_energies(shared_data_dir(data_dir) / "elemental_refs_mp.json")
    return ElementalReferences(model, "mp", energies, {"source": "MP GGA"})


def get_references(
    model: str,
    scheme: str,
    *,
    cache_dir: Path,
    elements: Iterable[str] = (),
    device: str | None = None,
    calc: Calculator | None = None,
    checkpoint: Path | None = None,
    data_dir: Path | None = None,
) -> ElementalReferences:
    """References of one model and scheme, from the cache or computed (and cached) once.

    The model is only loaded (unless ``calc`` is given) when something must be computed.
    ``checkpoint``: MatterSim's weights; ``data_dir``: the shared data folder (training
    structures, MP energies), as in :class:`reconstruction.settings.ScienceSettings`.
    """
    from .backends import get_calculator

    def factory() -> Calculator:
        return calc or get_calculator(model, device, checkpoint=checkpoint)

    if scheme == "elemental":
        return elemental_references(factory, elements, cache_dir=cache_dir, model=model)
    if scheme == "fitted":
        return fitted_references(factory, cache_dir=cache_dir, model=model, data_dir=data_dir)
    if scheme == "mp":
        return mp_references(model, data_dir=data_dir)
    if scheme == "fitted_relaxed":
        cached = load_cached(cache_dir, model, scheme)
        if cached is None:
            raise MissingReference(
                f"no fitted_relaxed references for {model} in {cache_dir}: relax the training "
                "split first (python -m reconstruction.bench.energy_oracle --split train ...)"
            )
        return cached
    raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
