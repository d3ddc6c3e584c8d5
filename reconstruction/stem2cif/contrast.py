"""Expected contrast of one atom column, and site amplitudes fitted with it.

The response of a single atom (its point-spread function after the same filter as the
data) is computed once per element, mode and pixel size with the fast simulator's
contrast model (projected potential or Z^n convolved with the nominal probe). The
cell-averaged image is then modelled as a sum of such responses at the sites
(periodic), and the amplitudes are fitted by linear least squares: the tails and rings
of bright columns are explained by them, so faint ghost maxima get zero amplitude and
light atoms next to heavy ones are measured without their neighbours' halo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ase.data import atomic_numbers
from scipy import ndimage

from reconstruction.detection.motif import CellAverage

CELL_A = 12.0
PSF_RADIUS_A = 3.5


@dataclass(frozen=True)
class Response:
    """Filtered image of one atom: ``patch`` [filtered units] centred at ``centre`` (x, y) [px]."""

    patch: np.ndarray
    centre: tuple[float, float]
    peak: float


#: Contrast model per mode: (exponent of Z, Gaussian blur [Å]); iDPC uses the potential.
_ANNULAR = {"haadf": (1.7, 0.05), "abf": (1.0, 0.0)}


def probe_transfer(q: np.ndarray, *, energy_eV: float, semiangle_mrad: float) -> np.ndarray:
    """Fourier transform of an aberration-free probe's intensity (disc autocorrelation).

    Parameters
    ----------
    q : np.ndarray
        Spatial frequency [1/Å].
    energy_eV : float
        Beam energy [eV].
    semiangle_mrad : float
        Probe-forming semi-angle [mrad].

    Returns
    -------
    np.ndarray
        Transfer, 1 at q = 0, 0 beyond twice the aperture.
    """
    from reconstruction.simulate.optics import wavelength_A

    k_ap = semiangle_mrad * 1e-3 / wavelength_A(energy_eV)
    s = np.clip(np.abs(q) / (2 * k_ap), 0, 1)
    return (2 / np.pi) * (np.arccos(s) - s * np.sqrt(1 - s**2))


@lru_cache(maxsize=64)
def single_atom_response(
    element: str,
    *,
    mode: str,
    pixel_size_A: float,
    column_sigma_A: float,
    background_sigma_A: float,
    energy_eV: float = 300e3,
    semiangle_mrad: float = 21.3,
    source_sigma_A: float = 0.0,
) -> Response:
    """Noise-free filtered response of one atom of ``element`` (cached).

    The fast simulator's contrast model (iDPC: projected potential; HAADF: Z^1.7; ABF:
    Z, inverted) times the transfer of an aberration-free probe and the filter of
    :func:`reconstruction.detection.peaks.bandpass`, on a periodic grid of ``CELL_A``.

    Parameters
    ----------
    element : str
        Chemical symbol.
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    pixel_size_A : float
        Pixel size [Å/px].
    column_sigma_A, background_sigma_A : float
        The filter of :func:`reconstruction.detection.peaks.bandpass` [Å].
    energy_eV, semiangle_mrad : float
        Nominal beam energy [eV] and probe semi-angle [mrad].
    source_sigma_A : float
        Standard deviation [Å] of the effective source's Gaussian (the incoherent blur a
        real microscope adds to the probe; FWHM = 2.355 sigma), see :func:`estimate_blur`.

    Returns
    -------
    Response
        Patch of radius ``PSF_RADIUS_A`` centred on the atom; relative scale between
        elements of one mode is meaningful, the absolute one is not.
    """
    n = 2 * int(np.ceil(CELL_A / (2 * pixel_size_A)))
    ky = np.fft.fftfreq(n, d=pixel_size_A)[:, None]
    kx = np.fft.fftfreq(n, d=pixel_size_A)[None, :]
    q = np.hypot(kx, ky)
    if mode == "idpc":
        from reconstruction.simulate.optics import scattering_factor

        form = scattering_factor(element, q.ravel()).reshape(q.shape)
    else:
        exponent, blur = _ANNULAR[mode]
        form = atomic_numbers[element] ** exponent * np.exp(-2 * np.pi**2 * blur**2 * q**2)
    dog = np.exp(-2 * np.pi**2 * column_sigma_A**2 * q**2)
    dog -= np.exp(-2 * np.pi**2 * background_sigma_A**2 * q**2)
    transfer = probe_transfer(q, energy_eV=energy_eV, semiangle_mrad=semiangle_mrad)
    transfer = transfer * np.exp(-2 * np.pi**2 * source_sigma_A**2 * q**2)
    image = np.fft.fftshift(np.fft.ifft2(form * transfer * dog).real)
    r = int(np.ceil(PSF_RADIUS_A / pixel_size_A))
    c = n // 2
    patch = image[c - r : c + r + 1, c - r : c + r + 1]
    patch = patch - np.median(image)
    return Response(patch=patch, centre=(float(r), float(r)), peak=float(patch[r, r]))


def fit_amplitudes(
    average: CellAverage,
    basis: np.ndarray,
    uv: np.ndarray,
    response: Response,
    *,
    pixel_size_A: float,
    return_model: bool = False,
    cache: dict | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Amplitude of every site in a cell-averaged image, in units of ``response``.

    Parameters
    ----------
    average : CellAverage
        Cell-averaged filtered image on a (nu, nv) fractional grid.
    basis : np.ndarray
        Lattice (2, 2) [px], vectors as columns.
    uv : np.ndarray
        Site fractional coordinates (K, 2).
    response : Response
        Single-atom response used as the shape of every column.
    pixel_size_A : float
        Pixel size [Å/px].
    return_model : bool
        Also return the fitted model on the (nu, nv) grid.
    cache : dict, optional
        Design columns by site, reused between calls on the same average and basis.

    Returns
    -------
    np.ndarray
        Amplitudes (K,); 1 means one atom of the response's element. With
        ``return_model``, (amplitudes, model).
    """
    nu, nv = average.mean.shape
    gu, gv = np.meshgrid((np.arange(nu) + 0.5) / nu, (np.arange(nv) + 0.5) / nv, indexing="ij")
    grid = np.stack([gu.ravel(), gv.ravel()], axis=1)
    reach = int(np.ceil(PSF_RADIUS_A / (pixel_size_A * np.linalg.norm(basis, axis=0).min()))) + 1
    images = np.array([[i, j] for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)])
    design = np.zeros((len(grid), len(uv) + 1))
    design[:, -1] = 1.0
    half = (response.patch.shape[0] - 1) / 2
    for k, site in enumerate(uv):
        key = (round(float(site[0]), 7), round(float(site[1]), 7))
        if cache is not None and key in cache:
            design[:, k] = cache[key]
            continue
        d = grid[:, None, :] - site[None, None, :] - images[None, :, :]
        xy = d @ basis.T  # (P, I, 2) [px]
        p_idx, _ = near = np.nonzero(np.all(np.abs(xy) < half, axis=2))
        pts = xy[near]
        coords = np.stack([pts[:, 1] + response.centre[1], pts[:, 0] + response.centre[0]])
        values = ndimage.map_coordinates(response.patch, coords, order=1, cval=0.0)
        design[:, k] = np.bincount(p_idx, weights=values, minlength=len(grid))
        if cache is not None:
            cache[key] = design[:, k].copy()
    sol, *_ = np.linalg.lstsq(design, average.mean.ravel(), rcond=None)
    if return_model:
        return sol[:-1], (design @ sol).reshape(average.mean.shape)
    return sol[:-1]


#: Effective source sizes tried [Å, Gaussian sigma]: from a point source to 0.4 Å (FWHM
#: 0.94 Å, blurrier than any aberration-corrected instrument at atomic resolution).
BLUR_GRID_A = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def estimate_blur(
    average: CellAverage,
    basis: np.ndarray,
    uv: np.ndarray,
    response_at: Callable[[float], Response],
    *,
    pixel_size_A: float,
    grid_A: tuple[float, ...] = BLUR_GRID_A,
) -> tuple[float, float]:
    """The effective source size that explains the cell-averaged image best.

    Each candidate blur gives every column the shape ``response_at(sigma)``; the site
    amplitudes are fitted (:func:`fit_amplitudes`) and the blur whose model leaves the
    least residual wins, refined between grid points by a parabola. A real microscope's
    source is never a point: fitting the columns with a too-narrow shape lends a light
    column its heavy neighbour's tail and hides it altogether in HAADF.

    Parameters
    ----------
    average : CellAverage
        Cell-averaged filtered image.
    basis : np.ndarray
        Lattice (2, 2) [px], vectors as columns.
    uv : np.ndarray
        Site fractional coordinates (K, 2).
    response_at : callable
        Column shape for a source sigma [Å] (the heaviest element's response).
    pixel_size_A : float
        Pixel size [Å/px].
    grid_A : tuple of float
        Source sigmas to try [Å], increasing.

    Returns
    -------
    tuple of float
        (sigma [Å], fraction of the cell average's variance left unexplained at it).
    """
    var = float(np.sum((average.mean - average.mean.mean()) ** 2)) or 1.0
    left = []
    for sigma in grid_A:
        _, model = fit_amplitudes(
            average, basis, uv, response_at(sigma), pixel_size_A=pixel_size_A, return_model=True
        )
        left.append(float(np.sum((average.mean - model) ** 2)) / var)
    i = int(np.argmin(left))
    sigma = float(grid_A[i])
    if 0 < i < len(grid_A) - 1:
        y0, y1, y2 = left[i - 1 : i + 2]
        curvature = y0 - 2 * y1 + y2
        if curvature > 0:
            step = grid_A[i + 1] - grid_A[i]
            sigma += float(np.clip(0.5 * (y0 - y2) / curvature, -0.5, 0.5)) * step
    return sigma, left[i]
