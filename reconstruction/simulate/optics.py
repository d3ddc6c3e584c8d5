"""Electron optics for the fast simulator: wavelength, interaction constant, probe
intensity transfer, detector geometry and electron scattering factors.

References
----------
E. J. Kirkland, *Advanced Computing in Electron Microscopy*, 3rd ed. (Springer, 2020).
I. Lobato, D. Van Dyck, "An accurate parameterization for scattering factors, electron
densities and electrostatic potentials for neutral atoms that obey all physical
constraints", Acta Cryst. A 70, 636 (2014).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from reconstruction.simulate.config import SimulationError

ELECTRON_REST_ENERGY_EV = 510998.95
# h^2 / (2 pi m0 e): turns an electron scattering factor [Å] into a potential Fourier
# coefficient [V Å^3] (Kirkland eq. 5.16).
POTENTIAL_PER_SCATTERING_FACTOR = 47.87801


def wavelength_A(energy_eV: float) -> float:
    """Relativistic electron wavelength [Å] at ``energy_eV`` [eV]."""
    return 12398.419843 / np.sqrt(energy_eV * (2 * ELECTRON_REST_ENERGY_EV + energy_eV))


def interaction_constant(energy_eV: float) -> float:
    """Relativistic interaction constant sigma [rad / (V Å)] (Kirkland eq. 5.6)."""
    lam = wavelength_A(energy_eV)
    m = ELECTRON_REST_ENERGY_EV
    return 2 * np.pi / (lam * energy_eV) * (m + energy_eV) / (2 * m + energy_eV)


def probe_transfer(
    q: np.ndarray, *, energy_eV: float, semiangle_mrad: float, defocus_A: float, n: int = 96
) -> np.ndarray:
    """Fourier transform of the probe intensity |P(r)|^2, normalised to 1 at q = 0.

    The autocorrelation of the aperture function ``A(k) exp(-i chi(k))`` with
    ``chi = -pi lambda defocus k^2``: in closed form (disc overlap) at zero defocus, else
    summed on a k grid of ``n`` points across the aperture radius. The probe is round, so
    the result depends on |q| only; tables are cached per condition.

    Parameters
    ----------
    q : np.ndarray
        Spatial frequencies [1/Å], any shape.
    energy_eV, semiangle_mrad, defocus_A : float
        Beam energy [eV], aperture semi-angle [mrad], defocus [Å].
    n : int
        Grid points per aperture radius.

    Returns
    -------
    np.ndarray
        Real transfer, same shape as ``q``; 0 beyond 2 semi-angles / lambda.
    """
    table_q, table = _transfer_table(float(energy_eV), float(semiangle_mrad), float(defocus_A), n)
    return np.interp(np.abs(q), table_q, table, right=0.0)


@lru_cache(maxsize=32)
def _transfer_table(
    energy_eV: float, semiangle_mrad: float, defocus_A: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    lam = wavelength_A(energy_eV)
    k_ap = semiangle_mrad * 1e-3 / lam
    table_q = np.linspace(0.0, 2 * k_ap, 129)
    if defocus_A == 0:
        # Overlap area of two discs of radius k_ap at distance q, over the disc area.
        u = table_q / (2 * k_ap)
        return table_q, 2 / np.pi * (np.arccos(u) - u * np.sqrt(1 - u**2))
    step = k_ap / n
    k1 = np.arange(-n, n + 1) * step
    kx, ky = np.meshgrid(k1, k1, indexing="ij")
    inside = kx**2 + ky**2 <= k_ap**2
    kx, ky = kx[inside], ky[inside]

    def wave(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        k2 = px**2 + py**2
        return np.where(k2 <= k_ap**2, np.exp(1j * np.pi * lam * defocus_A * k2), 0.0)

    base = wave(kx, ky)
    table = np.array([np.vdot(wave(kx - t, ky), base).real for t in table_q]) / len(kx)
    return table_q, table


def segment_fraction(semiangle_mrad: float, inner_mrad: float, outer_mrad: float) -> float:
    """Fraction of an unscattered uniform probe disc on one of four segments."""
    alpha = semiangle_mrad
    covered = min(alpha, outer_mrad) ** 2 - min(alpha, inner_mrad) ** 2
    return max(covered, 0.0) / (4 * alpha**2)


def annulus_fraction(semiangle_mrad: float, inner_mrad: float, outer_mrad: float) -> float:
    """Fraction of an unscattered uniform probe disc inside an annular detector."""
    alpha = semiangle_mrad
    covered = min(alpha, outer_mrad) ** 2 - min(alpha, inner_mrad) ** 2
    return max(covered, 0.0) / alpha**2


def dpc_gain(semiangle_mrad: float, inner_mrad: float, outer_mrad: float) -> float:
    """Change of (S0 - S2) per unit rigid shift of the probe disc [1/rad].

    A uniform disc of radius alpha whose edge lies on the segments gains
    ``int_{-pi/4}^{pi/4} cos(phi) alpha dphi / (pi alpha^2) = sqrt(2) / (pi alpha)`` on the
    segment it moves towards and loses as much on the opposite one.
    """
    if not inner_mrad < semiangle_mrad <= outer_mrad:
        raise SimulationError(
            "the fast iDPC model needs the probe edge on the segments: "
            f"inner < semiangle <= outer, got {inner_mrad}, {semiangle_mrad}, {outer_mrad} mrad"
        )
    return 2 * np.sqrt(2) / (np.pi * semiangle_mrad * 1e-3)


@lru_cache(maxsize=1)
def lobato_table() -> dict[str, np.ndarray]:
    """Lobato-Van Dyck parameters (a_i [Å], b_i [Å^2]) per element, from abTEM's data."""
    spec = find_spec("abtem")
    if spec is None or spec.origin is None:
        raise SimulationError("the fast simulator reads Lobato parameters from abTEM: install it")
    path = Path(spec.origin).parent / "parametrizations" / "data" / "lobato.json"
    return {k: np.asarray(v, dtype=float) for k, v in json.loads(path.read_text()).items()}


def scattering_factor(symbol: str, g: np.ndarray) -> np.ndarray:
    """Electron scattering factor f_e(g) [Å] of a neutral atom (Lobato-Van Dyck).

    Parameters
    ----------
    symbol : str
        Chemical symbol.
    g : np.ndarray
        Spatial frequency |g| = 2 sin(theta) / lambda [1/Å].
    """
    try:
        a, b = lobato_table()[symbol]
    except KeyError:
        raise SimulationError(f"no scattering factor for element {symbol!r}") from None
    g2 = np.asarray(g, dtype=float)[..., None] ** 2
    return np.sum(a * (2 + b * g2) / (1 + b * g2) ** 2, axis=-1)
