"""Property prediction of one reconstructed structure, as ``automat reconstruct``, the
benchmark and the agent's ``predict_properties`` tool all do it: one loaded potential per
model and process, references from the shipped cache, relaxed or single point."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ase import Atoms

from reconstruction.settings import DEFAULT, ScienceSettings


@dataclass(frozen=True)
class PropertiesOutcome:
    """Energy of one structure, or why there is none.

    Attributes
    ----------
    ok : bool
        Whether an energy was computed.
    energy : dict
        ``formation_energy_per_atom`` and ``total_energy_per_atom`` [eV/atom], ``model``,
        ``references``, ``relaxed``, ``converged``; on failure ``{"error", "model"}``.
    summary : str
        One line for a person (the error when not ``ok``).
    args : dict
        ``model``, ``references``, ``relax`` as used.
    """

    ok: bool
    energy: dict[str, Any]
    summary: str
    args: dict[str, Any]


def energy_cache_dir(settings: ScienceSettings = DEFAULT) -> Path:
    """Where elemental references are cached (``settings.energy_cache_dir``, by default
    ``<repo>/var/energy_refs``), seeded with the shipped ones."""
    from reconstruction.energy.references import seed_cache

    cache = Path(settings.energy_cache_dir)
    seed_cache(cache)
    return cache


@functools.lru_cache(maxsize=2)
def calculator(model: str, checkpoint: Path | None = None, device: str | None = None):
    """One loaded potential per model (and MatterSim checkpoint), device and process (loading
    takes seconds; reuse is safe: ASE calculators recompute whenever the atoms change)."""
    from reconstruction.energy import get_calculator

    return get_calculator(model, device, checkpoint=checkpoint)


def predict_properties(
    structure: Atoms,
    *,
    model: str | None = None,
    references: str | None = None,
    relax: bool = True,
    settings: ScienceSettings = DEFAULT,
    device: str | None = None,
) -> PropertiesOutcome:
    """Relax (unless ``relax`` is False) and score ``structure``.

    Parameters
    ----------
    structure : ase.Atoms
        Monolayer in the xy-plane, vacuum along z.
    model : str, optional
        Potential (default :data:`~reconstruction.energy.DEFAULT_MODEL`).
    references : str, optional
        Reference scheme (default :data:`~reconstruction.energy.DEFAULT_SCHEME`).
    relax : bool
        Relax positions and in-plane cell first; False gives a single point.
    settings : ScienceSettings
        Reference cache, shared data, MatterSim checkpoint and threads (the caller's).
    device : str, optional
        Torch device of the potential ("cpu", "cuda", "cuda:1"); default
        ``settings.torch_device``, else CUDA when torch sees one, else the CPU.
    """
    from reconstruction.energy import DEFAULT_MODEL, DEFAULT_SCHEME, predict_formation_energy
    from reconstruction.energy.errors import EnergyError

    model = model or DEFAULT_MODEL
    scheme = references or DEFAULT_SCHEME
    device = device or settings.torch_device
    args = {"model": model, "references": scheme, "relax": relax}
    try:
        res = predict_formation_energy(
            structure, model=model, scheme=scheme, cache_dir=energy_cache_dir(settings),
            calc=calculator(model, settings.mattersim_checkpoint, device),
            checkpoint=settings.mattersim_checkpoint, data_dir=settings.shared_data_dir,
            threads=settings.energy_threads, **({} if relax else {"max_steps": 0}),
        )  # fmt: skip
    except EnergyError as exc:
        return PropertiesOutcome(False, {"error": str(exc), "model": model}, str(exc), args)
    if not res.ok:
        return PropertiesOutcome(False, {"error": res.failure, "model": model}, res.failure, args)
    energy = {
        "formation_energy_per_atom": round(res.e_form_eV_per_atom, 4),
        "total_energy_per_atom": round(res.energy_eV_per_atom, 4),
        "model": model,
        "references": scheme,
        "relaxed": relax,
        "converged": res.relax.converged,
    }
    summary = f"E_form = {res.e_form_eV_per_atom:.3f} eV/atom ({model}, {scheme} references)"
    return PropertiesOutcome(True, energy, summary, args)
