"""Relaxation of a 2D monolayer: positions and the in-plane cell, vacuum kept.

The cell degrees of freedom go through ASE's ``FrechetCellFilter`` with the Voigt mask
``[1, 1, 0, 0, 0, 1]`` (xx, yy, xy free; zz, yz, xz fixed), so the out-of-plane vector and
with it the vacuum stay as they were; FIRE moves positions and the in-plane cell together.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .backends import model_name_of
from .stability import StabilityLimits, blow_up_reason

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

IN_PLANE_MASK = (1, 1, 0, 0, 0, 1)
STOP_REASONS = ("converged", "max_steps", "time_limit", "blew_up", "calculator_error")


def atoms_to_dict(atoms: Atoms) -> dict[str, Any]:
    """A JSON-ready description of a structure: symbols, positions [Å], cell [Å], pbc."""
    return {
        "symbols": atoms.get_chemical_symbols(),
        "positions_A": np.asarray(atoms.positions, dtype=float).round(6).tolist(),
        "cell_A": np.asarray(atoms.cell, dtype=float).round(6).tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
    }


def atoms_from_dict(data: dict[str, Any]) -> Atoms:
    """Inverse of :func:`atoms_to_dict`."""
    from ase import Atoms

    return Atoms(
        symbols=data["symbols"], positions=data["positions_A"], cell=data["cell_A"], pbc=data["pbc"]
    )


@dataclass(frozen=True)
class RelaxResult:
    """Outcome of :func:`relax_2d`.

    Attributes
    ----------
    model : str
        Potential that computed the energies.
    converged : bool
        Max force (atoms and in-plane cell) fell below ``fmax``.
    stop_reason : str
        One of ``converged``, ``max_steps``, ``time_limit``, ``blew_up``, ``calculator_error``.
    steps : int
        FIRE steps taken.
    time_s : float
        Wall time of the relaxation [s].
    n_atoms : int
        Atoms in the cell.
    energy_eV : float or None
        Total energy of the relaxed structure [eV]; None when the relaxation failed.
    initial_energy_eV : float or None
        Total energy of the starting structure [eV].
    max_force_eV_per_A : float or None
        Largest final generalised force (atoms and cell) [eV/Å].
    structure : dict
        Final structure as :func:`atoms_to_dict` (the blown-up one on failure, to inspect).
    failure : str or None
        Why there is no energy (blow-up or calculator error); None on success.
    """

    model: str
    converged: bool
    stop_reason: str
    steps: int
    time_s: float
    n_atoms: int
    energy_eV: float | None
    initial_energy_eV: float | None
    max_force_eV_per_A: float | None
    structure: dict[str, Any] = field(repr=False)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        """True when the relaxation gave an energy (converged or stopped early)."""
        return self.failure is None

    @property
    def energy_eV_per_atom(self) -> float | None:
        """Relaxed total energy per atom [eV/atom], None on failure."""
        return None if self.energy_eV is None else self.energy_eV / self.n_atoms

    def atoms(self) -> Atoms:
        """The final structure as ASE Atoms."""
        return atoms_from_dict(self.structure)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "converged": self.converged,
            "stop_reason": self.stop_reason,
            "steps": self.steps,
            "time_s": self.time_s,
            "n_atoms": self.n_atoms,
            "energy_eV": self.energy_eV,
            "initial_energy_eV": self.initial_energy_eV,
            "max_force_eV_per_A": self.max_force_eV_per_A,
            "structure": self.structure,
            "failure": self.failure,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelaxResult:
        return cls(**data)


def relax_2d(
    atoms: Atoms,
    calc: Calculator,
    *,
    fmax: float = 0.05,
    max_steps: int = 300,
    max_time_s: float = 60.0,
    limits: StabilityLimits | None = None,
    threads: int = 1,
) -> RelaxResult:
    """Relax a monolayer's positions and in-plane cell with FIRE, keeping the vacuum.

    Parameters
    ----------
    atoms : ase.Atoms
        Monolayer in the xy-plane, vacuum along z. Not modified.
    calc : ase.calculators.calculator.Calculator
        Gives energy, forces and stress; attached to a copy of ``atoms``.
    fmax : float
        Convergence threshold on the largest force (atoms and cell) [eV/Å].
    max_steps : int
        Most FIRE steps.
    max_time_s : float
        Wall-time budget [s], checked after every step.
    limits : StabilityLimits, optional
        What counts as a blow-up.
    threads : int
        Torch threads of the potential inside the relaxation (>= 1; the caller passes
        ``ScienceSettings.energy_threads``). A monolayer cell is a graph of a few dozen
        atoms: one thread evaluates SevenNet-0 on MoS2 in 0.1 s, while two threads on a busy
        2-core machine took 0.3-7.8 s per call. Raise it for big cells on an idle machine.

    Returns
    -------
    RelaxResult
        ``failure`` set (and no energy) when the structure blew up or the calculator failed;
        an unconverged but sane result keeps its energy with ``converged=False``.
    """
    if fmax <= 0 or max_steps < 0 or max_time_s <= 0:
        raise ValueError("fmax and max_time_s must be > 0 and max_steps >= 0")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number >= 1, got {threads!r}")
    limits = limits or StabilityLimits()
    with single_threaded_blas(), torch_threads(threads):
        return _relax(atoms, calc, fmax, max_steps, max_time_s, limits)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch's intra-op pool on ``n`` threads inside the block (if torch is loaded)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread: the cell filter's 3x3 matrix functions gain nothing from
    threads, and on a busy machine spinning BLAS threads made each step 40x slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only a speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _relax(
    atoms: Atoms,
    calc: Calculator,
    fmax: float,
    max_steps: int,
    max_time_s: float,
    limits: StabilityLimits,
) -> RelaxResult:
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    work = atoms.copy()
    work.calc = calc
    start_time = time.perf_counter()
    cell_filter = FrechetCellFilter(work, mask=list(IN_PLANE_MASK))
    optimizer = FIRE(cell_filter, logfile=None)
    stop, failure, initial_energy = "max_steps", None, None
    try:
        initial_energy = float(work.get_potential_energy())
        for converged in optimizer.irun(fmax=fmax, steps=max_steps):
            if converged:
                stop = "converged"
                break
            if not _sane_energy(work, limits):
                stop = "blew_up"
                break
            if time.perf_counter() - start_time > max_time_s:
                stop = "time_limit"
                break
        energy = float(work.get_potential_energy())
        max_force = float(np.linalg.norm(cell_filter.get_forces(), axis=1).max())
    except Exception as exc:  # any failure inside a potential becomes a reported reason
        stop, failure = "calculator_error", f"calculator failed: {type(exc).__name__}: {exc}"
        energy = max_force = None
    if failure is None:
        failure = blow_up_reason(atoms, work, energy / len(work), limits)
        if failure is not None:
            stop, energy = "blew_up", None
    return RelaxResult(
        model=model_name_of(calc),
        converged=stop == "converged",
        stop_reason=stop,
        steps=int(optimizer.nsteps),
        time_s=time.perf_counter() - start_time,
        n_atoms=len(work),
        energy_eV=energy,
        initial_energy_eV=initial_energy,
        max_force_eV_per_A=max_force,
        structure=atoms_to_dict(work),
        failure=failure,
    )


def _sane_energy(atoms: Atoms, limits: StabilityLimits) -> bool:
    low, high = limits.energy_per_atom_range_eV
    e = float(atoms.get_potential_energy()) / len(atoms)
    return math.isfinite(e) and low <= e <= high
