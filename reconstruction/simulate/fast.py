"""Fast STEM simulator: projected potential convolved with the probe intensity.

Thin-specimen (phase object) model, evaluated directly as Fourier coefficients on the
reciprocal lattice of one orthogonal cell, then laid onto the field with the same code as
the full simulator (:func:`reconstruction.simulate.render.render`).

iDPC. For a phase object the centre of mass of the diffraction pattern is
``<k>(r) = sigma / (2 pi) grad (V * |P|^2)(r)`` [1/Å] (V: projected potential [V Å],
sigma: interaction constant). A rigid shift ``delta = lambda <k>`` [rad] of the uniform
probe disc changes ``S0 - S2`` by ``gain * delta`` (:func:`~.optics.dpc_gain`), so each
segment is modelled as ``S = f +- gain * lambda sigma / (4 pi) d(V * |P|^2)``, with ``f``
the segment's share of the disc. The same Poisson-per-segment noise and Fourier
integration as the full simulator then give an iDPC noise spectrum
``(2 f / N) p^2 / (4 pi^2 k^2)`` that matches the full one by construction (checked by
``validate.py``). ``IDPC_SCALE`` corrects the signal for the segmented detector's
transfer relative to the centre of mass (measured against multislice).

HAADF. ``fraction = kappa * sum_j Z_j^1.7 G(r - r_j) * |P|^2`` with G a Gaussian of
``HAADF_BLUR_A`` standard deviation; ``kappa`` [Å^2] measured against multislice.

ABF. ``fraction = f_ABF - kappa_ABF * sum_j Z_j G(r - r_j) * |P|^2``: columns dark,
``f_ABF`` the detector's share of the probe disc; phenomenological, fitted to multislice
(Z^1 with no blur fitted best among Z^0.3..2 and V * |P|^2).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from reconstruction.simulate import optics
from reconstruction.simulate.cell import (
    Columns,
    OrthoCell,
    PeriodicSignal,
    orthogonal_cell,
    project_columns,
    reciprocal_half_plane,
    rotation_matrix,
)
from reconstruction.simulate.config import ImagingConfig, SimulationResult
from reconstruction.simulate.render import render

# Calibration against the full multislice simulator (MoS2 2H, 300 kV, 21.3 mrad, 0.15 Å
# scan step, no thermal vibrations): least-squares fits of full on fast images; see
# docs/benchmarks/simulator.md for the values on other structures.
IDPC_SCALE = 1.21
HAADF_EXPONENT = 1.7
HAADF_BLUR_A = 0.05
HAADF_KAPPA_A2 = 5.69e-6
ABF_EXPONENT = 1.0
ABF_BLUR_A = 0.0
ABF_KAPPA_A2 = 4.30e-4


def prepare(atoms: Atoms) -> tuple[OrthoCell, Columns]:
    """Orthogonal cell and its projected columns (shared by both simulators)."""
    cell = orthogonal_cell(atoms)
    return cell, project_columns(cell)


def _structure_sum(cell: OrthoCell, g: np.ndarray, weight: dict[str, np.ndarray]) -> np.ndarray:
    """sum_j weight[symbol_j](g) exp(-2 pi i g . r_j) / cell area, shape (G,)."""
    a, b = cell.ab
    out = np.zeros(len(g), dtype=complex)
    symbols = np.array(cell.atoms.get_chemical_symbols())
    xy = cell.atoms.positions[:, :2]
    for symbol, w in weight.items():
        phase = np.exp(-2j * np.pi * xy[symbols == symbol] @ g.T).sum(axis=0)
        out += w * phase
    return out / (a * b)


def projected_potential(cell: OrthoCell, g: np.ndarray) -> np.ndarray:
    """Fourier coefficients of the projected potential [V Å] at g (G, 2) [1/Å]."""
    q = np.hypot(g[:, 0], g[:, 1])
    weight = {
        s: optics.POTENTIAL_PER_SCATTERING_FACTOR * optics.scattering_factor(s, q)
        for s in set(cell.atoms.get_chemical_symbols())
    }
    return _structure_sum(cell, g, weight)


def fast_signal(cell: OrthoCell, config: ImagingConfig) -> PeriodicSignal:
    """Detector fractions of one cell, as Fourier series (fast model).

    Parameters
    ----------
    cell : OrthoCell
        The rectangular cell.
    config : ImagingConfig
        Imaging conditions; the iDPC segments are fixed in the image frame, so they
        depend on ``rotation_deg``.

    Returns
    -------
    PeriodicSignal
        Four segment channels (S0 +x, S1 +y, S2 -x, S3 -y) for iDPC, one channel otherwise.
    """
    lam = optics.wavelength_A(config.energy_eV)
    k_probe = config.semiangle_mrad * 1e-3 / lam
    g = reciprocal_half_plane(cell.ab, 2 * k_probe)
    q = np.hypot(g[:, 0], g[:, 1])
    transfer = optics.probe_transfer(
        q,
        energy_eV=config.energy_eV,
        semiangle_mrad=config.semiangle_mrad,
        defocus_A=config.defocus_A,
    )
    dc = np.all(g == 0, axis=1).astype(float)
    alpha = config.semiangle_mrad
    if config.mode == "haadf":
        atoms = _weighted_atoms(cell, g, HAADF_EXPONENT, HAADF_BLUR_A)
        coeffs = (HAADF_KAPPA_A2 * atoms * transfer)[None]
    elif config.mode == "abf":
        atoms = _weighted_atoms(cell, g, ABF_EXPONENT, ABF_BLUR_A)
        f = optics.annulus_fraction(alpha, *config.abf_mrad) * dc
        coeffs = (f - ABF_KAPPA_A2 * atoms * transfer)[None]
    else:
        phi = projected_potential(cell, g) * transfer
        sigma = optics.interaction_constant(config.energy_eV)
        gain = optics.dpc_gain(alpha, *config.segment_mrad) * lam * sigma / (2 * np.pi)
        h = g @ rotation_matrix(np.radians(config.rotation_deg)).T
        half = 0.5 * IDPC_SCALE * gain * 2j * np.pi * phi
        f = optics.segment_fraction(alpha, *config.segment_mrad) * dc
        coeffs = np.stack(
            [f + half * h[:, 0], f + half * h[:, 1], f - half * h[:, 0], f - half * h[:, 1]]
        )
    return PeriodicSignal(cell_ab=cell.ab, g=g, coeffs=coeffs)


def _weighted_atoms(cell: OrthoCell, g: np.ndarray, exponent: float, blur_A: float) -> np.ndarray:
    """Coefficients of sum_j Z_j^exponent G(r - r_j) [1/Å^2], G a unit Gaussian (blur_A)."""
    damp = np.exp(-2 * np.pi**2 * blur_A**2 * np.sum(g**2, axis=1))
    pairs = set(zip(cell.atoms.get_chemical_symbols(), cell.atoms.numbers.tolist(), strict=True))
    return _structure_sum(cell, g, {s: float(z) ** exponent * damp for s, z in pairs})


def simulate_fast(atoms: Atoms, config: ImagingConfig) -> SimulationResult:
    """Simulate a micrograph of a monolayer with the fast model.

    Parameters
    ----------
    atoms : ase.Atoms
        Monolayer, layer in xy, a along x (any in-plane lattice).
    config : ImagingConfig
        Imaging conditions.

    Returns
    -------
    SimulationResult
        Noisy and clean image (float32) and every atom column in the field.
    """
    cell, columns = prepare(atoms)
    return render(fast_signal(cell, config), columns, config, strain=cell.strain, simulator="fast")
