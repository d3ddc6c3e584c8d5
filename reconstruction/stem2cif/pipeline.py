"""STEM2CIF: one micrograph + elements + pixel size in, a periodic layer structure out.

Stages (each timed): ``filter`` (difference of Gaussians), ``lattice`` (autocorrelation),
``motif`` (cell-averaged image, sites), ``blur`` (the effective source size, fitted on
the cell average; the sites are then found again with columns that wide), ``refine``
(every column, least squares of lattice + motif; a pseudo-lattice is replaced by its true
supercell), ``elements`` (site contents from the population contrast), ``structure``
(heights, symmetry: a scan-sheared cell is taken back to the higher symmetry it is close
to, CIF).
Measuring the lattice and sites lives in :mod:`reconstruction.stem2cif.measure`; using a
retrieved template in :mod:`reconstruction.stem2cif.prior`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from ase import Atoms

from reconstruction.chemistry import UnknownElement, parse_elements
from reconstruction.detection import lattice as lattice_mod
from reconstruction.detection import motif as motif_mod
from reconstruction.detection import peaks
from reconstruction.errors import (
    ElementsInconsistent,
    ImplausiblePixelSize,
    NoLatticeFound,
    ReconstructionError,
)
from reconstruction.records import check_keys
from reconstruction.stem2cif import blurred_templates, measure, symmetry, zcoords
from reconstruction.stem2cif import elements as elements_mod
from reconstruction.stem2cif import prior as prior_mod
from reconstruction.stem2cif.scale import check_pixel_size

#: Below this fitted source sigma [Å] the columns are measured as from a point source.
MIN_SOURCE_SIGMA_A = 0.03


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
    #: Effective source size (Gaussian sigma) [Å]; None: fitted on the image.
    source_sigma_A: float | None = None

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
    source_sigma_A : float
        Effective source size (Gaussian sigma) [Å] the columns were measured with:
        fitted on the image unless the config gave one; 0 for a point source.
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
    source_sigma_A: float = 0.0

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
            "source_sigma_A": self.source_sigma_A,
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
            source_sigma_A=float(d.get("source_sigma_A", 0.0)),
        )


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        # A stage measured twice (the sites again at the fitted source size) adds up.
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self._t, 4)
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
    prior: prior_mod.TemplatePrior | Sequence[prior_mod.TemplatePrior] | None = None,
    known_formulas: Collection[str] | None = None,
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
    prior : TemplatePrior or sequence of TemplatePrior, optional
        A retrieved template: when it fits the measured cell and sites (see
        :mod:`reconstruction.stem2cif.prior`), the structure takes its symmetry, sites,
        elements and heights on the measured lattice; otherwise the result is the
        template-free one and ``result.prior["reason"]`` says why. Several retrieved
        templates, nearest first: the one that fits and whose column contrasts follow
        the image best (:func:`reconstruction.stem2cif.prior.choose_prior`).
    known_formulas : collection of str, optional
        Stoichiometries (reduced formulas) the template-free element assignment prefers:
        those of the template library in use for these elements. Default: every monolayer
        of the data set (:func:`reconstruction.stem2cif.elements.known_formulas`).

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
    origin = np.array(filtered.shape[::-1], float) / 2.0
    priors = [prior] if isinstance(prior, prior_mod.TemplatePrior) else list(prior or [])
    blur, response, (basis, uv, residual, first) = _measure_with_blur(
        filtered, origin, px, config, clock, priors[0] if priors else None, warnings, symbols, mode
    )
    priors[:1] = [first] if priors else []
    if blur >= MIN_SOURCE_SIGMA_A:
        priors = blurred_templates.redescribed(
            priors, data, pixel_size_A=px, mode=mode, source_sigma_A=blur, warnings=warnings
        )
        priors = blurred_templates.widened(priors, blur)
        clock.lap("templates")
    uv, intensity, average = measure.measure_sites(
        filtered, basis, origin, px, config, response, uv=uv
    )
    measured = measure.Measured(basis, uv, intensity, average, residual)
    context = (filtered, origin, px, config, response, symbols, mode)
    fit, measured, assignment = _contents(priors, measured, context, warnings, known_formulas)
    basis, uv, intensity, average, residual = measured
    columns, column_site = measure.lattice_columns(filtered, basis, uv, origin, px, config)
    raw = motif_mod.site_values(average, uv)
    explained = measure.fraction_explained(filtered, columns, raw.min(), px)
    if explained < 0.8:
        warnings.append(
            f"only {explained:.0%} of the bright spots lie on the lattice: defects, a second "
            "grain or a wrong lattice"
        )
    lattice = lattice_mod.Lattice2D.from_basis(basis, px, residual)
    clock.lap("elements")
    if fit is not None and fit.accepted:
        assignment = _prior_assignment(fit, intensity)
        atoms, spg, cif = _prior_structure(lattice, fit, config, warnings)
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
        prior=None if fit is None else fit.as_dict(),
        source_sigma_A=round(blur, 3),
    )


def _measure_with_blur(filtered, origin, px, config, clock, prior, warnings, symbols, mode):
    """Lattice and sites measured with columns as wide as the image shows them.

    With ``config.source_sigma_A`` given, the sites are measured once at that blur.
    Otherwise they are first found with a point source's column shape, the effective
    source size is fitted on the cell average and, when it is not negligible, the sites are
    found again on the same lattice with columns that wide: (source sigma [Å], responses,
    what :func:`measure.lattice_and_motif` gives)."""
    basis, prior = measure.find_lattice_or_prior(filtered, px, config, prior, warnings)
    given = config.source_sigma_A
    response = measure.responses(symbols, mode, px, config, given or 0.0)
    if given is not None:
        found = measure.lattice_and_motif(
            filtered, origin, px, config, response, clock, prior, warnings, basis=basis
        )
        return float(given), response, found
    first_pass: list[str] = []
    found = measure.lattice_and_motif(
        filtered, origin, px, config, response, clock, prior, first_pass, basis=basis
    )
    blur = measure.source_blur(filtered, found[0], found[1], origin, px, config, response, mode)
    clock.lap("blur")
    if blur < MIN_SOURCE_SIGMA_A:
        warnings.extend(first_pass)
        return 0.0, response, found
    response = measure.responses(symbols, mode, px, config, blur)
    found = measure.lattice_and_motif(
        filtered, origin, px, config, response, clock, prior, warnings, basis=basis
    )
    return blur, response, found


def _contents(priors, measured, context, warnings, known_formulas=None):
    """The template's sites and elements if one fits, else the assignment from contrast:
    (the template's fit or None, what was measured, site assignment or None)."""
    _, _, _, config, response, symbols, mode = context
    prior = priors[0] if priors else None
    if prior is not None:
        outcome = prior_mod.choose_prior(priors, measured, context, warnings)
        if outcome.fit.accepted:
            return outcome.fit, outcome.measured, None
    try:
        assignment = _assign(measured.intensity, symbols, mode, config, response, known_formulas)
    except ElementsInconsistent:
        # The template-free reading failed; a template refused for its descriptor distance
        # alone is tried at any distance, as without a lattice: the fit decides.
        if prior is None or prior.usable:
            raise
        retry = prior_mod.try_prior(prior.at_any_distance(), measured, context, [])
        if not retry.fit.accepted:
            raise
        warnings.append(
            f"the image alone was not enough ({retry.fit.id} is far by descriptor but fits)"
        )
        return retry.fit, retry.measured, None
    if prior is None:
        return None, measured, assignment
    warnings.append(f"template {outcome.fit.id} not used: {outcome.fit.reason}")
    return outcome.fit, measured, assignment


def _assign(
    intensity, symbols, mode, config, response, known_formulas=None
) -> elements_mod.SiteAssignment:
    assignment = elements_mod.assign_elements(
        intensity, symbols, mode=mode, response={e: r.peak for e, r in response.items()},
        known=known_formulas,
    )  # fmt: skip
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
    basis_A = measure.cell_A(lattice)
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
        # A scan's distortion can hide a higher symmetry: the nearest ideal cell is kept
        # when its structure has more symmetry than the measured one (and reported below).
        measured = atoms
        order = symmetry.symmetry_order(atoms, symprec_A=config.symprec_A)
        for ideal in symmetry.ideal_cells(atoms):
            if symmetry.symmetry_order(ideal, symprec_A=config.symprec_A) > order:
                atoms = ideal
                break
        sym = symmetry.symmetrize(atoms, symprec_A=config.symprec_A)
        cellpar, before = sym.cell.cellpar(), measured.cell.cellpar()
        strain = np.abs(np.array(cellpar[:2]) / before[:2] - 1).max()
        dgamma = abs(cellpar[5] - before[5])
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
