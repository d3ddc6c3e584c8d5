"""STEM2CIF: one micrograph + elements + pixel size in, a periodic layer structure out.

Stages (each timed): ``filter`` (difference of Gaussians), ``lattice`` (autocorrelation),
``motif`` (cell-averaged image, sites), ``refine`` (every column, least squares of lattice
+ motif; a pseudo-lattice is replaced by its true supercell), ``elements`` (site
contents from the population contrast), ``structure`` (heights, symmetry, CIF).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np
from ase import Atoms
from scipy import ndimage
from scipy.spatial import cKDTree

from reconstruction.chemistry import UnknownElement, parse_elements
from reconstruction.errors import (
    ElementsInconsistent,
    ImplausiblePixelSize,
    NoLatticeFound,
    ReconstructionError,
)
from reconstruction.records import check_keys
from reconstruction.stem2cif import contrast, peaks, symmetry, zcoords
from reconstruction.stem2cif import elements as elements_mod
from reconstruction.stem2cif import lattice as lattice_mod
from reconstruction.stem2cif import motif as motif_mod
from reconstruction.stem2cif import prior as prior_mod
from reconstruction.stem2cif.scale import check_pixel_size
from reconstruction.stem2cif.supercell import find_supercell


@dataclass(frozen=True)
class Stem2CifConfig:
    """Settings of :func:`reconstruct` (lengths in Å)."""

    column_sigma_A: float = 0.12
    lattice_sigma_A: float = 0.18
    background_sigma_A: float = 2.5
    max_lattice_A: float = 30.0
    min_lattice_A: float = 1.2
    min_site_distance_A: float = 0.6
    bin_A: float = 0.08
    site_threshold: float = 0.02
    ghost_factor: float = 0.35
    unexplained_fraction: float = 0.15
    hidden_sites: bool = True
    energy_keV: float = 300.0
    semiangle_mrad: float = 21.3
    refine_radius_A: float = 0.3
    symmetrize: bool = True
    symprec_A: float = 0.1
    max_contrast_misfit: float = 0.4

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stem2CifConfig:
        check_keys(cls, d, what="Stem2CifConfig options")
        return cls(**d)


@dataclass(frozen=True)
class Stem2CifResult:
    """What :func:`reconstruct` found.

    Attributes
    ----------
    structure : ase.Atoms
        Primitive cell, layer in xy, a along x, vacuum along c.
    cif : str
        CIF text of ``structure``.
    formula : str
        Reduced formula.
    elements : tuple of str
        Elements given.
    spacegroup : str
        Hermann-Mauguin symbol (spglib at ``symprec_A``).
    lattice : Lattice2D
        Measured lattice in the image frame (before symmetrisation).
    site_frac : np.ndarray
        Fractional in-plane coordinates (K, 2) of the column sites.
    site_intensity : np.ndarray
        Mean column intensity per site (K,) [filtered image units].
    assignment : SiteAssignment
        Column contents and per-site confidence.
    columns_xy_px : np.ndarray
        Every column in the field (N, 2) as (x, y) [px], refined.
    column_site : np.ndarray
        Site index per column (N,).
    fraction_explained : float
        Fraction of bright local maxima within 0.4 Å of a lattice column.
    pixel_size_A : float
        Pixel size used [Å/px].
    mode : str
        Imaging mode.
    timings_s : dict
        Seconds per stage.
    warnings : tuple of str
        Things a scientist should know.
    prior : dict or None
        The template prior offered, if any: id, distance, accepted, reason.
    """

    structure: Atoms
    cif: str
    formula: str
    elements: tuple[str, ...]
    spacegroup: str
    lattice: lattice_mod.Lattice2D
    site_frac: np.ndarray
    site_intensity: np.ndarray
    assignment: elements_mod.SiteAssignment
    columns_xy_px: np.ndarray
    column_site: np.ndarray
    fraction_explained: float
    pixel_size_A: float
    mode: str
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    prior: dict | None = None

    @property
    def column_elements(self) -> list[str]:
        """Label of each column, e.g. ``"Mo"`` or ``"S2"``."""
        labels = [f"{e}{n if n > 1 else ''}" for e, n in self.assignment.contents]
        return [labels[s] for s in self.column_site]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the structure as cell, symbols, positions)."""
        s = self.structure
        return {
            "structure": {
                "cell": np.array(s.cell).tolist(),
                "symbols": s.get_chemical_symbols(),
                "positions": s.positions.tolist(),
            },
            "cif": self.cif,
            "formula": self.formula,
            "elements": list(self.elements),
            "spacegroup": self.spacegroup,
            "lattice": self.lattice.as_dict(),
            "site_frac": self.site_frac.tolist(),
            "site_intensity": self.site_intensity.tolist(),
            "assignment": self.assignment.as_dict(),
            "columns_xy_px": self.columns_xy_px.tolist(),
            "column_site": self.column_site.tolist(),
            "fraction_explained": self.fraction_explained,
            "pixel_size_A": self.pixel_size_A,
            "mode": self.mode,
            "timings_s": dict(self.timings_s),
            "warnings": list(self.warnings),
            "prior": self.prior,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stem2CifResult:
        st = d["structure"]
        atoms = Atoms(symbols=st["symbols"], positions=st["positions"], cell=st["cell"], pbc=True)
        return cls(
            structure=atoms,
            cif=d["cif"],
            formula=d["formula"],
            elements=tuple(d["elements"]),
            spacegroup=d["spacegroup"],
            lattice=lattice_mod.Lattice2D.from_dict(d["lattice"]),
            site_frac=np.asarray(d["site_frac"], float).reshape(-1, 2),
            site_intensity=np.asarray(d["site_intensity"], float),
            assignment=elements_mod.SiteAssignment.from_dict(d["assignment"]),
            columns_xy_px=np.asarray(d["columns_xy_px"], float).reshape(-1, 2),
            column_site=np.asarray(d["column_site"], int),
            fraction_explained=float(d["fraction_explained"]),
            pixel_size_A=float(d["pixel_size_A"]),
            mode=d["mode"],
            timings_s=dict(d["timings_s"]),
            warnings=tuple(d["warnings"]),
            prior=d.get("prior"),
        )


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 4)
        self._t = now


def _validate(image: np.ndarray, pixel_size_A: float | None, elements: Any, mode: str):
    if pixel_size_A is None:
        raise ImplausiblePixelSize(
            "the image has no pixel size: give one in Å per pixel (e.g. --pixel-size 0.1)"
        )
    if not (isinstance(pixel_size_A, int | float) and math.isfinite(pixel_size_A)) or (
        pixel_size_A <= 0
    ):
        raise ImplausiblePixelSize(f"pixel size must be a positive number, got {pixel_size_A!r}")
    if mode not in peaks.MODES:
        raise ValueError(f"mode must be one of {peaks.MODES}, got {mode!r}")
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2 or min(data.shape) < 16:
        raise NoLatticeFound(f"need a 2D image of at least 16x16 pixels, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise NoLatticeFound("the image contains NaN or infinite values")
    if float(data.std()) == 0.0:
        raise NoLatticeFound("the image is blank (constant)")
    try:
        symbols = parse_elements(elements) if elements else []
    except UnknownElement as exc:
        raise ElementsInconsistent(str(exc)) from exc
    if not symbols:
        raise ElementsInconsistent("no elements given: list the elements present (e.g. Mo,S)")
    return data, symbols


def reconstruct(
    image: np.ndarray,
    *,
    pixel_size_A: float | None,
    elements: list[str] | str,
    mode: str = "idpc",
    config: Stem2CifConfig | None = None,
    template: Atoms | None = None,
    prior: prior_mod.TemplatePrior | None = None,
) -> Stem2CifResult:
    """Reconstruct a periodic 2D layer from one atomic-resolution micrograph.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols); columns bright (iDPC, HAADF) or dark (ABF).
    pixel_size_A : float
        Pixel size [Å/px].
    elements : list of str or str
        Elements present, e.g. ``["Mo", "S"]`` or ``"Mo,S"``.
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    config : Stem2CifConfig, optional
        Settings.
    template : ase.Atoms, optional
        A known structure with the same in-plane cell to take heights (z) from.
    prior : TemplatePrior, optional
        A retrieved template: when it fits the measured cell and sites (see
        :mod:`reconstruction.stem2cif.prior`), the structure takes its symmetry, sites,
        elements and heights on the measured lattice; otherwise the result is the
        template-free one and ``result.prior["reason"]`` says why.

    Returns
    -------
    Stem2CifResult

    Raises
    ------
    ImplausiblePixelSize, NoLatticeFound, ElementsInconsistent
        With a message saying what was seen.
    """
    config = config or Stem2CifConfig()
    data, symbols = _validate(image, pixel_size_A, elements, mode)
    clock = _Clock()
    px = float(pixel_size_A)
    warnings: list[str] = []
    check_pixel_size(data, px, mode=mode)
    filtered = peaks.bandpass(
        data,
        pixel_size_A=px,
        column_sigma_A=config.column_sigma_A,
        background_sigma_A=config.background_sigma_A,
        mode=mode,
    )
    clock.lap("filter")
    response = _responses(symbols, mode, px, config)
    origin = np.array(filtered.shape[::-1], float) / 2.0
    basis, uv, residual, prior = _lattice_and_motif(
        filtered, origin, px, config, response, clock, prior, warnings
    )
    uv, intensity, average = _sites(filtered, basis, origin, px, config, response, uv=uv)
    measured = _Measured(basis, uv, intensity, average, residual)
    context = (filtered, origin, px, config, response, symbols, mode)
    fit = None if prior is None else _try_prior(prior, measured, context, warnings)
    if fit is not None and fit.accepted:
        measured = fit.measured
    else:
        try:
            assignment = _assign(intensity, symbols, mode, config, response)
        except ElementsInconsistent:
            # The template-free reading failed; a template refused for its descriptor
            # distance alone is tried at any distance, as without a lattice: the fit decides.
            if prior is None or prior.usable:
                raise
            retry = _try_prior(
                dataclasses.replace(prior, max_distance=math.inf), measured, context, []
            )
            if not retry.accepted:
                raise
            fit, measured = retry, retry.measured
            warnings.append(
                f"the image alone was not enough ({fit.id} is far by descriptor but fits)"
            )
    if fit is not None and not fit.accepted:
        warnings.append(f"template {fit.id} not used: {fit.reason}")
    basis, uv, intensity, average, residual = measured
    columns, column_site = _columns(filtered, basis, uv, origin, px, config)
    raw = motif_mod.site_values(average, uv)
    explained = _fraction_explained(filtered, columns, raw.min(), px)
    if explained < 0.8:
        warnings.append(
            f"only {explained:.0%} of the bright spots lie on the lattice: defects, a second "
            "grain or a wrong lattice"
        )
    lattice = lattice_mod.Lattice2D.from_basis(basis, px, residual)
    clock.lap("elements")
    if fit is not None and fit.accepted:
        assignment = _prior_assignment(fit.fit, intensity)
        atoms, spg, cif = _prior_structure(lattice, fit.fit, config, warnings)
    else:
        atoms, spg, cif = _structure(lattice, uv, assignment, template, config, warnings)
    clock.lap("structure")
    return Stem2CifResult(
        structure=atoms,
        cif=cif,
        formula=assignment.formula,
        elements=tuple(symbols),
        spacegroup=spg,
        lattice=lattice,
        site_frac=uv,
        site_intensity=intensity,
        assignment=assignment,
        columns_xy_px=columns,
        column_site=column_site,
        fraction_explained=explained,
        pixel_size_A=px,
        mode=mode,
        timings_s=clock.timings,
        warnings=tuple(warnings),
        prior=None if fit is None else fit.fit.as_dict(),
    )


def _lattice_and_motif(filtered, origin, px, config, response, clock, prior, warnings):
    """Lattice (autocorrelation), sites (cell average), refinement on every column; a
    pseudo-lattice is replaced by the supercell the contrast shows. Without a lattice of
    its own the image is tried with the prior's cell (then returned usable at any
    distance: the descriptor of such an image is poor, the fit to it decides)."""
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
        prior = dataclasses.replace(prior, max_distance=math.inf)
    _check_lattice(basis, px, config)
    clock.lap("lattice")
    uv, _, _ = _sites(filtered, basis, origin, px, config, response)
    clock.lap("motif")
    basis, uv, residual = _refine(filtered, basis, uv, origin, px, config)
    stride = max(1, round(max(filtered.shape) / 512))
    supercell = find_supercell(filtered, basis, pixel_size_A=px, stride=stride)
    if supercell is not None:
        basis = lattice_mod.gauss_reduce(basis @ supercell)
        uv, _, _ = _sites(filtered, basis, origin, px, config, response)
        basis, uv, residual = _refine(filtered, basis, uv, origin, px, config)
    _check_lattice(basis, px, config)
    clock.lap("refine")
    return basis, uv, residual, prior


class _Measured(NamedTuple):
    """What the image gave on one lattice: basis [px], sites, their amplitudes, the cell
    average, the lattice residual [Å]."""

    basis: np.ndarray
    uv: np.ndarray
    intensity: np.ndarray
    average: Any
    residual: float


@dataclass(frozen=True)
class _PriorOutcome:
    fit: prior_mod.PriorFit
    measured: _Measured

    @property
    def accepted(self) -> bool:
        return self.fit.accepted

    @property
    def id(self) -> str:
        return self.fit.id

    @property
    def reason(self) -> str:
        return self.fit.reason


def _try_prior(prior, measured: _Measured, context, warnings) -> _PriorOutcome:
    """Fit the template to the measured lattice and sites; when the measured cell is a
    sub- or superlattice of the template's, measure the sites again on the template's."""
    filtered, origin, px, config, response, symbols, mode = context
    fit = prior_mod.fit_prior(prior, _cell_A(measured.basis, px), measured.uv, symbols, mode=mode)
    if fit.reason != prior_mod.CELL_DIFFERS:
        return _PriorOutcome(fit, measured)
    basis = prior_mod.template_basis(prior, measured.basis, px)
    if basis is None:
        return _PriorOutcome(fit, measured)
    try:
        uv, _, _ = _sites(filtered, basis, origin, px, config, response)
        basis, uv, residual = _refine(filtered, basis, uv, origin, px, config)
        uv, intensity, average = _sites(filtered, basis, origin, px, config, response, uv=uv)
    except ReconstructionError:
        return _PriorOutcome(fit, measured)
    refit = prior_mod.fit_prior(prior, _cell_A(basis, px), uv, symbols, mode=mode)
    if not refit.accepted:
        return _PriorOutcome(fit, measured)
    warnings.append(
        f"the lattice seen was a pseudo-lattice: re-indexed to template {fit.id}'s cell"
    )
    return _PriorOutcome(refit, _Measured(basis, uv, intensity, average, residual))


def _check_lattice(basis: np.ndarray, px: float, config: Stem2CifConfig) -> None:
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


def _responses(symbols, mode, px, config) -> dict[str, contrast.Response]:
    return {
        e: contrast.single_atom_response(
            e,
            mode=mode,
            pixel_size_A=px,
            column_sigma_A=config.column_sigma_A,
            background_sigma_A=config.background_sigma_A,
            energy_eV=config.energy_keV * 1e3,
            semiangle_mrad=config.semiangle_mrad,
        )
        for e in symbols
    }


def _sites(filtered, basis, origin, px, config, response, *, uv=None):
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


def _refine(filtered, basis, uv, origin, px, config):
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


def _columns(filtered, basis, uv, origin, px, config):
    """Every column of the final lattice + motif in the field, refined, and its site."""
    site_xy = origin + uv @ basis.T
    xy, _, sites = motif_mod.predicted_columns(basis, site_xy, filtered.shape, origin=origin)
    if len(xy):
        radius = _refine_radius(uv, basis, px, config)
        xy, _ = peaks.refine_positions(filtered, xy, pixel_size_A=px, radius_A=radius)
    return xy, sites


def _fraction_explained(filtered, columns, weakest, px) -> float:
    """Share of local maxima (at least half as bright as the weakest site and well above
    the noise) that lie on a lattice column."""
    med = float(np.median(filtered))
    noise = 1.4826 * float(np.median(np.abs(filtered - med)))
    threshold = max(0.5 * weakest, med + 4.0 * noise)
    maxima = peaks.local_maxima(filtered, pixel_size_A=px, threshold=threshold)
    if len(maxima) == 0 or len(columns) == 0:
        return 0.0
    dist, _ = cKDTree(columns).query(maxima)
    return float(np.mean(dist * px <= 0.4))


def _assign(intensity, symbols, mode, config, response) -> elements_mod.SiteAssignment:
    assignment = elements_mod.assign_elements(
        intensity, symbols, mode=mode, response={e: r.peak for e, r in response.items()}
    )
    misfit = math.sqrt(assignment.chi2 / len(intensity)) * 0.12
    if misfit > config.max_contrast_misfit:
        raise ElementsInconsistent(
            f"the column contrasts seen ({len(intensity)} site(s), intensity ratios "
            f"{_ratios(intensity)}) cannot be made from {', '.join(symbols)}"
        )
    return assignment


def _ratios(intensity: np.ndarray) -> str:
    rel = np.sort(intensity)[::-1] / max(float(intensity.max()), 1e-12)
    return ":".join(f"{r:.2f}" for r in rel)


def _cell_A(lattice, px: float | None = None) -> np.ndarray:
    """In-plane cell (2, 2) [Å], vectors as rows, a along x, of a Lattice2D or a basis
    [px, vectors as columns] with its pixel size."""
    if px is not None:
        lattice = lattice_mod.Lattice2D.from_basis(lattice, px)
    g = math.radians(lattice.gamma_deg)
    return np.array([[lattice.a_A, 0.0], [lattice.b_A * math.cos(g), lattice.b_A * math.sin(g)]])


def _prior_assignment(fit, intensity) -> elements_mod.SiteAssignment:
    """Site contents read from the template's columns (the template's formula)."""
    return elements_mod.SiteAssignment(
        contents=fit.site_contents,
        confidence=tuple(1.0 for _ in fit.site_contents),
        formula=fit.formula,
        chi2=float("nan"),
    )


def _prior_structure(lattice, fit, config, warnings):
    """The template's atoms (sites, elements, heights) on the measured lattice."""
    contents = [(s, 1) for s in fit.symbols]
    heights = [[h] for h in fit.heights_A]
    atoms = symmetry.build_layer(
        lattice.a_A, lattice.b_A, lattice.gamma_deg, fit.uv, contents, heights
    )
    return _finish(atoms, config, warnings)


def _structure(lattice, uv, assignment, template, config, warnings):
    contents = list(assignment.contents)
    basis_A = _cell_A(lattice)
    heights = None
    if template is not None:
        heights = zcoords.template_heights(uv, contents, template, cell_A=basis_A)
        if heights is None:
            warnings.append("the template does not fit the measured cell; heights from chemistry")
    if heights is None:
        heights = zcoords.chemical_heights(uv @ basis_A, contents, basis_A)
    atoms = symmetry.build_layer(lattice.a_A, lattice.b_A, lattice.gamma_deg, uv, contents, heights)
    return _finish(atoms, config, warnings)


def _finish(atoms, config, warnings):
    """Symmetrise (reporting a removed distortion), space group, CIF."""
    if config.symmetrize:
        sym = symmetry.symmetrize(atoms, symprec_A=config.symprec_A)
        strain = np.abs(np.array(sym.cell.cellpar()[:2]) / atoms.cell.cellpar()[:2] - 1).max()
        dgamma = abs(sym.cell.cellpar()[5] - atoms.cell.cellpar()[5])
        if strain > 0.003 or dgamma > 0.3:
            warnings.append(
                f"a lattice distortion of {strain:.1%} / {dgamma:.1f}° (scan drift or shear?) "
                "was removed by symmetrisation"
            )
        atoms = sym
    spg, _ = symmetry.spacegroup(atoms, symprec_A=config.symprec_A)
    return atoms, spg, symmetry.to_cif(atoms)


__all__ = [
    "ElementsInconsistent",
    "ImplausiblePixelSize",
    "NoLatticeFound",
    "ReconstructionError",
    "Stem2CifConfig",
    "Stem2CifResult",
    "reconstruct",
]
