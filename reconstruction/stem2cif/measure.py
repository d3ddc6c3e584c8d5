"""Measuring a lattice and its sites on the filtered image.

The lattice from the autocorrelation (or, without one, a template's cell oriented on it),
the sites from the image averaged over unit cells, their amplitudes by a fit of the
single-atom response, and every column of the field refined for the least squares of
lattice + motif. Used by :mod:`reconstruction.stem2cif.pipeline` and, to measure again on
a template's cell, by :mod:`reconstruction.stem2cif.prior`. ``config`` is a
:class:`reconstruction.stem2cif.Stem2CifConfig`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from reconstruction.detection import lattice as lattice_mod
from reconstruction.detection import motif as motif_mod
from reconstruction.detection import peaks
from reconstruction.detection.supercell import find_supercell
from reconstruction.errors import ElementsInconsistent, ImplausiblePixelSize, NoLatticeFound
from reconstruction.stem2cif import contrast


def lattice_and_motif(filtered, origin, px, config, response, clock, prior, warnings, basis=None):
    """Lattice (autocorrelation), sites (cell average), refinement on every column; a
    pseudo-lattice is replaced by the supercell the contrast shows. Without a lattice of
    its own the image is tried with the prior's cell (then returned usable at any
    distance: the descriptor of such an image is poor, the fit to it decides). A
    ``basis`` [px] already found is measured again without searching for it."""
    if basis is None:
        basis, prior = find_lattice_or_prior(filtered, px, config, prior, warnings)
    basis = _plausible(basis, px, config, prior, warnings)
    clock.lap("lattice")
    uv, _, _ = measure_sites(filtered, basis, origin, px, config, response)
    clock.lap("motif")
    basis, uv, residual = refine(filtered, basis, uv, origin, px, config)
    stride = max(1, round(max(filtered.shape) / 512))
    supercell = find_supercell(filtered, basis, pixel_size_A=px, stride=stride)
    if supercell is not None:
        basis = lattice_mod.gauss_reduce(basis @ supercell)
        uv, _, _ = measure_sites(filtered, basis, origin, px, config, response)
        basis, uv, residual = refine(filtered, basis, uv, origin, px, config)
        reindexed = _plausible(basis, px, config, prior, warnings)
        if reindexed is not basis:
            basis = reindexed
            uv, _, _ = measure_sites(filtered, basis, origin, px, config, response)
            basis, uv, residual = refine(filtered, basis, uv, origin, px, config)
    clock.lap("refine")
    return basis, uv, residual, prior


def find_lattice_or_prior(filtered, px, config, prior, warnings):
    """The image's lattice basis [px] (autocorrelation), or the prior's cell oriented on
    it, and the prior (usable at any distance in that case)."""
    # The lattice needs no detail finer than the columns: smoothing to their width makes
    # the autocorrelation robust at low dose (ABF, 1e4 e/Å²).
    extra = np.sqrt(max(config.lattice_sigma_A**2 - config.column_sigma_A**2, 0.0)) / px
    smooth = ndimage.gaussian_filter(filtered, extra) if extra > 0.3 else filtered
    try:
        basis = lattice_mod.find_lattice(
            smooth, pixel_size_A=px, max_lattice_A=config.max_lattice_A
        )
    except NoLatticeFound as exc:
        # An image without a clear lattice also gives a poor descriptor, so the nearest
        # template is tried whatever its distance; it must still fit the cell and sites.
        if prior is None:
            raise
        basis = lattice_mod.lattice_from_template(
            smooth, np.array(prior.structure.cell)[:2, :2], pixel_size_A=px
        )
        warnings.append(f"{exc}; the lattice is template {prior.id}'s cell, oriented on the image")
        prior = prior.at_any_distance()
    return basis, prior


def _plausible(basis, px, config, prior, warnings) -> np.ndarray:
    """``basis`` if it is a plausible cell, else re-indexed to a matching template's.

    Columns closer than any crystal's cell can still be a real projection (B in
    borophene: 0.8 Å apart, the cell is twice that with the atoms at two heights), and a
    faint modulation can make a supercell longer than any. A template that matches by
    descriptor and whose cell is related to the repeat says so; without one the pixel size
    is the likelier error (ImplausiblePixelSize)."""
    try:
        check_lattice(basis, px, config)
        return basis
    except ImplausiblePixelSize:
        reindexed = _template_cell(prior, basis, px, warnings)
        check_lattice(reindexed, px, config)
        return reindexed


def _template_cell(prior, basis: np.ndarray, px: float, warnings: list[str]) -> np.ndarray:
    """``basis`` re-indexed to a usable prior's cell when they are related (a sub- or
    superlattice of it), else ``basis`` unchanged."""
    if prior is None or not prior.usable:
        return basis
    from reconstruction.stem2cif.prior import template_basis

    reindexed = template_basis(prior, basis, px)
    if reindexed is None:
        return basis
    lengths = np.linalg.norm(basis, axis=0) * px
    warnings.append(
        f"the image's repeat ({lengths.min():.2f} x {lengths.max():.2f} Å) is no plausible "
        f"cell; template {prior.id}'s cell is related to it and is used"
    )
    return reindexed


class Measured(NamedTuple):
    """What the image gave on one lattice: basis [px], sites, their amplitudes, the cell
    average, the lattice residual [Å]."""

    basis: np.ndarray
    uv: np.ndarray
    intensity: np.ndarray
    average: Any
    residual: float


def check_lattice(basis: np.ndarray, px: float, config: Any) -> None:
    lengths = np.linalg.norm(basis, axis=0) * px
    if lengths.min() < config.min_lattice_A:
        raise ImplausiblePixelSize(
            f"at {px:g} Å/px the lattice would be {lengths.min():.2f} Å, shorter than any "
            f"crystal ({config.min_lattice_A} Å): check the pixel size"
        )
    if lengths.max() > config.max_lattice_A:
        raise ImplausiblePixelSize(
            f"at {px:g} Å/px the lattice would be {lengths.max():.1f} Å, longer than "
            f"{config.max_lattice_A:g} Å: check the pixel size"
        )


def responses(
    symbols, mode, px, config, source_sigma_A: float = 0.0
) -> dict[str, contrast.Response]:
    """Filtered single-atom response of each element under a source of ``source_sigma_A``."""
    return {
        e: contrast.single_atom_response(
            e,
            mode=mode,
            pixel_size_A=px,
            column_sigma_A=config.column_sigma_A,
            background_sigma_A=config.background_sigma_A,
            energy_eV=config.energy_keV * 1e3,
            semiangle_mrad=config.semiangle_mrad,
            source_sigma_A=round(float(source_sigma_A), 3),
        )
        for e in symbols
    }


def source_blur(filtered, basis, uv, origin, px, config, response, mode) -> float:
    """Effective source sigma [Å] that the columns' shape shows (see
    :func:`reconstruction.stem2cif.contrast.estimate_blur`), measured on the cell average
    with the column shape of the heaviest element of ``response`` (element -> Response)."""
    average = motif_mod.cell_average(
        filtered, basis, pixel_size_A=px, origin=origin, bin_A=config.bin_A
    )
    heaviest = max(response, key=lambda e: response[e].peak)

    def response_at(sigma: float) -> contrast.Response:
        return responses([heaviest], mode, px, config, sigma)[heaviest]

    sigma, _ = contrast.estimate_blur(average, basis, uv, response_at, pixel_size_A=px)
    return sigma


def measure_sites(filtered, basis, origin, px, config, response, *, uv=None):
    """Sites (fractional, K x 2) and their fitted amplitudes; faint ghost maxima dropped.

    Ghosts (probe rings, filter ripples) are maxima whose fitted amplitude is below
    ``ghost_factor`` times what the lightest given element could give at the brightest
    site's scale.
    """
    average = motif_mod.cell_average(
        filtered, basis, pixel_size_A=px, origin=origin, bin_A=config.bin_A
    )
    if uv is None:
        uv, _ = motif_mod.find_sites(
            average,
            basis,
            pixel_size_A=px,
            min_distance_A=config.min_site_distance_A,
            relative_threshold=config.site_threshold,
        )
    if len(uv) == 0:
        raise NoLatticeFound("no atom columns found in the unit cell")
    peaks_by_element = {e: r.peak for e, r in response.items() if e != "H"} or {
        e: r.peak for e, r in response.items()
    }
    heaviest = max(peaks_by_element, key=peaks_by_element.get)
    ratio = min(peaks_by_element.values()) / peaks_by_element[heaviest]
    unit = response[heaviest].peak
    searching = config.hidden_sites
    cache: dict = {}
    for _ in range(6):
        amp, model = contrast.fit_amplitudes(
            average, basis, uv, response[heaviest], pixel_size_A=px, return_model=True, cache=cache
        )
        keep = amp >= config.ghost_factor * ratio * amp.max()
        if not keep.all():
            _check_dropped(amp[~keep] / amp.max(), ratio, heaviest, response, config)
            uv = uv[keep]
            searching = False  # a site just found was a ghost after all: stop looking
            continue
        threshold = config.ghost_factor * ratio * amp.max() * unit
        hidden = (
            _hidden_site(average, model, basis, uv, px, config, threshold) if searching else None
        )
        if hidden is None:
            break
        uv = np.concatenate([uv, hidden[None]])
    if len(amp) != len(uv):
        amp = contrast.fit_amplitudes(
            average, basis, uv, response[heaviest], pixel_size_A=px, cache=cache
        )
    return uv, amp / unit, average


def _hidden_site(average, model, basis, uv, px, config, threshold):
    """The strongest maximum of the fit residual, if it is a column hidden in the tail of
    brighter ones: at least ``threshold`` high and ``min_site_distance_A`` from every site."""
    residual = motif_mod.CellAverage(average.mean - model, average.count, average.sem)
    cand, _ = motif_mod.find_sites(
        residual,
        basis,
        pixel_size_A=px,
        min_distance_A=config.min_site_distance_A,
        relative_threshold=0.0,
    )
    if len(cand) == 0:
        return None
    cand = cand[motif_mod.site_values(residual, cand) >= threshold]
    if len(cand) == 0:
        return None
    dist = motif_mod.periodic_distances(np.concatenate([uv, cand]), basis * px)
    far = dist[len(uv) :, : len(uv)].min(axis=1) >= config.min_site_distance_A
    return cand[far][0] if far.any() else None


def _check_dropped(relative, ratio, heaviest, response, config) -> None:
    """Columns too faint for any given element but far above rings and noise: wrong elements."""
    strong = relative[relative >= config.unexplained_fraction]
    if len(strong):
        lightest = min(response, key=lambda e: response[e].peak)
        raise ElementsInconsistent(
            f"columns at {strong.max():.0%} of the brightest are too faint for the elements "
            f"given ({', '.join(response)}): one atom of {lightest} would give at least "
            f"{ratio / 2:.0%}; an element is missing"
        )


def refine(filtered, basis, uv, origin, px, config):
    """Measure every column near its predicted place; least squares of lattice + motif."""
    k = len(uv)
    radius = _refine_radius(uv, basis, px, config)
    margin = radius / px + 2
    field_px = max(filtered.shape)
    residual = np.zeros((0, 2))
    for reach in (0.15, 0.35, 10.0):
        site_xy = origin + uv @ basis.T
        xy, cells, sites = motif_mod.predicted_columns(
            basis, site_xy, filtered.shape, origin=origin, margin_px=margin
        )
        near = np.linalg.norm(xy - origin, axis=1) <= reach * field_px
        if near.sum() < 3 * k + 3 or len(np.unique(sites[near])) < k:
            continue
        xy, cells, sites = xy[near], cells[near], sites[near]
        measured, _ = peaks.refine_positions(filtered, xy, pixel_size_A=px, radius_A=radius)
        basis, site_xy, residual = lattice_mod.fit_lattice_and_motif(measured, cells, sites, k)
        dist = np.linalg.norm(residual, axis=1)
        good = dist <= max(4 * np.median(dist), 0.2 / px)
        basis, site_xy, residual = lattice_mod.fit_lattice_and_motif(
            measured[good], cells[good], sites[good], k
        )
        uv = motif_mod.fractional(site_xy, basis, origin)
    rms = float(np.sqrt(np.mean(np.sum(residual**2, axis=1)))) * px if len(residual) else np.nan
    # Two sites that converged onto one column are one site.
    dist = motif_mod.periodic_distances(uv % 1.0, basis * px)
    keep = [
        i for i in range(k) if all(dist[i, j] >= 0.5 * config.min_site_distance_A for j in range(i))
    ]
    return basis, uv[keep] % 1.0, rms


def _refine_radius(uv, basis, px, config) -> float:
    """Search radius [Å] for one column: less than half the closest site distance."""
    if len(uv) < 2:
        return config.refine_radius_A
    nearest = motif_mod.periodic_distances(uv, basis * px) + np.eye(len(uv)) * 1e9
    return min(config.refine_radius_A, 0.45 * float(nearest.min()))


def lattice_columns(filtered, basis, uv, origin, px, config):
    """Every column of the final lattice + motif in the field, refined, and its site."""
    site_xy = origin + uv @ basis.T
    xy, _, sites = motif_mod.predicted_columns(basis, site_xy, filtered.shape, origin=origin)
    if len(xy):
        radius = _refine_radius(uv, basis, px, config)
        xy, _ = peaks.refine_positions(filtered, xy, pixel_size_A=px, radius_A=radius)
    return xy, sites


def fraction_explained(filtered, columns, weakest, px) -> float:
    """Share of local maxima (at least half as bright as the weakest site and well above
    the noise) that lie on a lattice column; 1 when no spot stands out of the noise (light
    columns at low dose): then nothing bright is left unexplained."""
    med = float(np.median(filtered))
    noise = 1.4826 * float(np.median(np.abs(filtered - med)))
    threshold = max(0.5 * weakest, med + 4.0 * noise)
    maxima = peaks.local_maxima(filtered, pixel_size_A=px, threshold=threshold)
    if len(maxima) == 0:
        return 1.0
    if len(columns) == 0:
        return 0.0
    dist, _ = cKDTree(columns).query(maxima)
    return float(np.mean(dist * px <= 0.4))


def cell_A(lattice, px: float | None = None) -> np.ndarray:
    """In-plane cell (2, 2) [Å], vectors as rows, a along x, of a Lattice2D or a basis
    [px, vectors as columns] with its pixel size."""
    if px is not None:
        lattice = lattice_mod.Lattice2D.from_basis(lattice, px)
    g = math.radians(lattice.gamma_deg)
    return np.array([[lattice.a_A, 0.0], [lattice.b_A * math.cos(g), lattice.b_A * math.sin(g)]])
