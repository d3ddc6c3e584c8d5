"""Lay a periodic cell signal onto the image grid, add dose noise, form the image.

Shared by the full (multislice) and fast simulators: both produce a
:class:`~reconstruction.simulate.cell.PeriodicSignal` whose channels are detector
fractions (the four segments in the image frame for iDPC, one annular fraction for
HAADF/ABF); everything after that is here.

Noise model: a pixel receives ``N = dose * pixel_size**2`` electrons; each detector
channel counts ``Poisson(N * fraction)``. For iDPC the normalised differences
``Dx = (n0 - n2) / N`` and ``Dy = (n1 - n3) / N`` are integrated in Fourier space,
``phi = F^-1[(kx Dx + ky Dy) / (2 pi i |k|^2)]``. The count noise on Dx, Dy is white with
variance ``(S0 + S2) / N`` per pixel, so the iDPC noise power spectrum is
``PSD(k) = (S0 + S2) / N * p**2 / (4 pi**2 |k|**2)``: it rises as 1/k^2 at low frequency.
"""

from __future__ import annotations

import numpy as np

from reconstruction.simulate.cell import (
    Columns,
    PeriodicSignal,
    field_to_specimen,
    rotation_matrix,
    tile_columns,
)
from reconstruction.simulate.config import ImagingConfig, SimulationResult

FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def blur_source(signal: PeriodicSignal, source_size_A: float) -> PeriodicSignal:
    """Convolve every channel with a Gaussian of FWHM ``source_size_A`` [Å] (exact)."""
    if source_size_A == 0:
        return signal
    sigma = source_size_A / FWHM_PER_SIGMA
    damp = np.exp(-2 * np.pi**2 * sigma**2 * np.sum(signal.g**2, axis=1))
    return PeriodicSignal(signal.cell_ab, signal.g, signal.coeffs * damp)


def evaluate(
    signal: PeriodicSignal,
    *,
    shape_px: tuple[int, int],
    pixel_size_A: float,
    rotation_deg: float,
    line_shift_A: np.ndarray | None = None,
) -> np.ndarray:
    """Evaluate the Fourier series at the pixel centres of a rotated field of view.

    Pixel (row, col) sits at image position (x, y) = (col, row) * pixel_size_A; the
    specimen position is ``R(-theta) ((x, y) - centre)``. The phase of each term is linear
    in row and col, so the sum is one matrix product (rows x G) @ (G x cols): exact for
    any rotation and pixel size.

    Parameters
    ----------
    signal : PeriodicSignal
        Channels (C) as Fourier series.
    shape_px : tuple of int
        Field (rows, cols) [px].
    pixel_size_A : float
        Pixel size [Å].
    rotation_deg : float
        Specimen rotation in the image [deg].
    line_shift_A : np.ndarray, optional
        Shift (rows,) of each scan line along x [Å] (scan jitter).

    Returns
    -------
    np.ndarray
        Real values (C, rows, cols), float64.
    """
    rows, cols = shape_px
    h = signal.g @ rotation_matrix(np.radians(rotation_deg)).T  # image-frame g (G, 2)
    cx, cy = field_to_specimen(shape_px, pixel_size_A)
    # Conjugate half of the spectrum: 2 Re(.) for g != 0, once for g = 0.
    weight = np.where(np.all(signal.g == 0, axis=1), 1.0, 2.0)
    y = np.arange(rows) * pixel_size_A - cy
    x = np.arange(cols) * pixel_size_A - cx
    row_phase = np.exp(2j * np.pi * np.outer(y, h[:, 1]))
    if line_shift_A is not None:
        row_phase = row_phase * np.exp(2j * np.pi * np.outer(line_shift_A, h[:, 0]))
    col_phase = np.exp(2j * np.pi * np.outer(h[:, 0], x)).astype(np.complex64)
    out = np.empty((len(signal.coeffs), rows, cols))
    for c, coeffs in enumerate(signal.coeffs):
        left = (row_phase * (coeffs * weight)).astype(np.complex64)
        out[c] = (left @ col_phase).real
    return out


def integrate_dpc(dx: np.ndarray, dy: np.ndarray, pixel_size_A: float) -> np.ndarray:
    """Fourier integration of a gradient field (iDPC), zero mean.

    Parameters
    ----------
    dx, dy : np.ndarray
        Gradient components (rows, cols) along x (cols) and y (rows) [1/Å times units].
    pixel_size_A : float
        Pixel size [Å].

    Returns
    -------
    np.ndarray
        ``phi`` with ``grad phi = (dx, dy)`` in the least-squares sense (periodic).
    """
    rows, cols = dx.shape
    kx = np.fft.fftfreq(cols, d=pixel_size_A)[None, :]
    ky = np.fft.fftfreq(rows, d=pixel_size_A)[:, None]
    k2 = kx**2 + ky**2
    k2[0, 0] = 1.0
    spectrum = (kx * np.fft.fft2(dx) + ky * np.fft.fft2(dy)) / (2j * np.pi * k2)
    spectrum[0, 0] = 0.0
    return np.fft.ifft2(spectrum).real


def form_image(fractions: np.ndarray, config: ImagingConfig) -> np.ndarray:
    """Image from detector fractions (C, rows, cols): iDPC integral or the annular signal."""
    if config.mode == "idpc":
        dx = fractions[0] - fractions[2]
        dy = fractions[1] - fractions[3]
        return integrate_dpc(dx, dy, config.pixel_size_A)
    return fractions[0]


def count(fractions: np.ndarray, config: ImagingConfig, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts per channel, returned as fractions of the electrons per pixel."""
    n = config.electrons_per_pixel
    if not np.isfinite(n):
        return fractions
    return rng.poisson(n * np.clip(fractions, 0.0, None)) / n


def render(
    signal: PeriodicSignal,
    columns: Columns,
    config: ImagingConfig,
    *,
    strain: float,
    simulator: str,
) -> SimulationResult:
    """Lay a cell signal onto the field of view, add noise and return the result.

    Parameters
    ----------
    signal : PeriodicSignal
        Detector fractions of one cell (4 segments in the image frame for iDPC, else 1).
    columns : Columns
        Atom columns of the same cell.
    config : ImagingConfig
        Imaging conditions (field, pixel size, rotation, dose, source size, jitter, seed).
    strain : float
        Strain applied to make the cell orthogonal (reported).
    simulator : str
        ``"full"`` or ``"fast"`` (reported).

    Returns
    -------
    SimulationResult
        Noisy and clean image, ground-truth column positions.
    """
    rng = np.random.default_rng(config.seed)
    signal = blur_source(signal, config.source_size_A)
    geometry = dict(
        shape_px=config.shape_px, pixel_size_A=config.pixel_size_A, rotation_deg=config.rotation_deg
    )
    clean_fractions = evaluate(signal, **geometry)
    noisy_fractions = clean_fractions
    if config.scan_jitter_A > 0:
        shift = rng.normal(0.0, config.scan_jitter_A, size=config.shape_px[0])
        noisy_fractions = evaluate(signal, line_shift_A=shift, **geometry)
    clean = form_image(clean_fractions, config)
    image = form_image(count(noisy_fractions, config, rng), config)
    xy_A, index = tile_columns(columns, signal.cell_ab, **geometry)
    return SimulationResult(
        image=image.astype(np.float32),
        clean=clean.astype(np.float32),
        pixel_size_A=config.pixel_size_A,
        columns_xy_A=xy_A,
        columns_xy_px=xy_A / config.pixel_size_A,
        column_species=tuple(columns.species[i] for i in index),
        column_z=columns.z[index],
        cell_A=signal.cell_ab,
        strain=strain,
        simulator=simulator,
        config=config,
    )
