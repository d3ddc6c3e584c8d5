"""The template prior: how the reconstruction uses the best-matching known structure.

When retrieval found a template close enough (cosine distance at most ``max_distance``,
a threshold measured on the benchmark, see docs/benchmarks/templates.md) and the template
fits what the image shows — the same 2D cell within ``cell_tolerance`` (any choice of
basis, mirrors included) and every measured site within ``site_tolerance_A`` of one of the
template's projected columns, with no template column missing unless it is faint enough
to hide — the structure is the template's: its lattice symmetry, its sites and their
elements, its heights, scaled onto the measured lattice. Otherwise the reconstruction
falls back to what it measured without a template, and says why.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers

from reconstruction.detection.lattice import gauss_reduce
from reconstruction.detection.supercell import hermite_supercells
from reconstruction.errors import ReconstructionError
from reconstruction.stem2cif import measure

#: Largest descriptor distance at which a template is used (measured: see the module doc).
MAX_DISTANCE = 0.05
#: When the nearest template by ``rich`` is farther than MAX_DISTANCE, the nearest by the
#: pair-distance histogram ``rdf`` is offered up to this distance (``rich`` fails when the
#: image's lattice or motif is detected differently from the template's; the histogram
#: of column distances is unaffected). Measured: docs/benchmarks/templates.md.
RDF_MAX_DISTANCE = 0.02
#: A template column with no measured site may hide if it is this faint relative to the
#: brightest column (light atoms beside heavy ones).
HIDDEN_FRACTION = 0.35
#: A measured site this faint relative to the brightest may match no template column.
GHOST_FRACTION = 0.12
#: Template columns this close to a matched one [Å] may have merged with it in the image.
UNRESOLVED_A = 0.7
#: Placements whose worst site error is this close [Å] to the best one's are equally good
#: geometrically; the column contrasts decide between them.
TIE_A = 0.05
CONTRAST_EXPONENT = {"idpc": 0.75, "haadf": 1.7, "abf": 1.0}
#: Largest index of the sub- or superlattice relation tried when re-indexing to a template.
MAX_REINDEX = 12
#: A retrieved template beyond its descriptor threshold replaces the nearer one that fits
#: only if the part of the measured site intensities its column contrasts leave unexplained
#: (1 - r^2) is at most this fraction of the nearer one's (measured:
#: docs/benchmarks/templates.md, "Several templates fit").
CONTRAST_MARGIN = 0.5
#: Below this unexplained part (1 % rms of the site intensities) a template's contrasts
#: explain the image to within its noise: templates under it are equally good (the
#: nearer is used) and are never replaced by a farther one. Measured on HAADF: the right
#: template leaves 0-6e-5, and farther ones with fewer light columns then fit the noise.
CONTRAST_FLOOR = 1e-4
#: Imaging modes whose column intensities follow the atoms' response closely enough to
#: choose between templates that fit (Z-contrast). In iDPC the phase contrast of cations
#: one to three apart in Z differs by a few per cent and the measured intensities follow
#: the response less well than they differ: on the iDPC benchmark sets the choice took a
#: wrong cation ordering for five right ones and fixed none; on HAADF it fixed seven and
#: harmed none (docs/benchmarks/templates.md, "Several templates fit").
CONTRAST_DECIDES = ("haadf",)
CELL_DIFFERS = "the template's cell differs from the measured one"


@dataclass(frozen=True)
class TemplatePrior:
    """A retrieved template offered to :func:`reconstruction.stem2cif.reconstruct`.

    Attributes
    ----------
    structure : ase.Atoms
        The template (layer in xy, c along z).
    id : str
        Template id.
    distance : float
        Descriptor (cosine) distance of the match.
    max_distance : float
        Above this the template is not used.
    vector : str
        The descriptor ``distance`` is of (``"rich"`` or ``"rdf"``).
    cell_tolerance : float
        Relative tolerance on the cell lengths (and on cos gamma).
    site_tolerance_A : float
        Largest distance [Å] between a measured site and the template column it matches.
    """

    structure: Atoms
    id: str = "template"
    distance: float = 0.0
    max_distance: float = MAX_DISTANCE
    cell_tolerance: float = 0.03
    site_tolerance_A: float = 0.35
    vector: str = "rich"

    @property
    def usable(self) -> bool:
        """Close enough to be used at all (the fit to the image is tested separately)."""
        return bool(np.isfinite(self.distance) and self.distance <= self.max_distance)

    def at_any_distance(self) -> TemplatePrior:
        """The same template with no distance threshold: the fit to the image decides
        (used when the image alone gives no reading, so its descriptor is poor too)."""
        return replace(self, max_distance=math.inf)

    @classmethod
    def from_match(cls, match: Any, **options: Any) -> TemplatePrior:
        """From a :class:`reconstruction.descriptors.TemplateMatch` (the threshold of the
        descriptor it was ranked by unless ``max_distance`` is given)."""
        options.setdefault(
            "max_distance", RDF_MAX_DISTANCE if match.vector == "rdf" else MAX_DISTANCE
        )
        return cls(
            structure=match.structure, id=match.id, distance=match.distance,
            vector=match.vector, **options,
        )  # fmt: skip


@dataclass(frozen=True)
class PriorFit:
    """Whether and how the template fits the measured lattice and sites.

    ``uv``, ``symbols``, ``heights_A`` describe every template atom in the measured cell
    (fractional in-plane coordinates, element, z about the mid-plane [Å]);
    ``site_contents`` gives each measured site the (element, count) of its column.
    """

    accepted: bool
    reason: str
    id: str
    distance: float
    uv: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    symbols: tuple[str, ...] = ()
    heights_A: tuple[float, ...] = ()
    site_contents: tuple[tuple[str, int], ...] = ()
    formula: str = ""
    max_site_error_A: float = float("nan")
    vector: str = "rich"
    #: Part of the measured site intensities the template's column contrasts leave
    #: unexplained (0 = every site as bright as its column should be).
    contrast_misfit: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "distance": round(float(self.distance), 6),
            "vector": self.vector,
            "accepted": self.accepted,
            "reason": self.reason,
            "max_site_error_A": None
            if not np.isfinite(self.max_site_error_A)
            else round(float(self.max_site_error_A), 4),
            "contrast_misfit": None
            if not np.isfinite(self.contrast_misfit)
            else round(float(self.contrast_misfit), 5),
        }


def _unimodular() -> list[np.ndarray]:
    mats = [np.array(m).reshape(2, 2) for m in itertools.product((-1, 0, 1), repeat=4)]
    return [m for m in mats if abs(round(np.linalg.det(m))) == 1]


_UNIMODULAR = _unimodular()


def _cell_close(cell: np.ndarray, ref: np.ndarray, tol: float) -> float | None:
    """Worst relative misfit of lengths and cos(angle), or None beyond ``tol``."""
    la, lb = np.linalg.norm(cell, axis=1)
    ra, rb = np.linalg.norm(ref, axis=1)
    cos, rcos = cell[0] @ cell[1] / (la * lb), ref[0] @ ref[1] / (ra * rb)
    worst = max(abs(la / ra - 1), abs(lb / rb - 1), abs(cos - rcos))
    return worst if worst < tol else None


def template_columns(template: Atoms, *, merge_A: float = 0.3):
    """Projected columns of a template: fractional xy (C, 2) and atom indices per column."""
    cell = np.array(template.cell)[:2, :2]
    frac = template.get_scaled_positions(wrap=True)[:, :2]
    columns: list[list[int]] = []
    centres: list[np.ndarray] = []
    for i, f in enumerate(frac):
        for c, centre in enumerate(centres):
            d = f - centre
            d -= np.round(d)
            if np.linalg.norm(d @ cell) < merge_A:
                columns[c].append(i)
                break
        else:
            columns.append([i])
            centres.append(f)
    return np.array(centres).reshape(-1, 2), columns


def _column_contrast(
    template: Atoms, columns: list[list[int]], mode: str, response: dict | None = None
) -> np.ndarray:
    """Expected contrast of each template column: the sum over its atoms of one atom's
    response (``response``: element -> peak, as the element assignment uses), else of
    Z ** :data:`CONTRAST_EXPONENT`."""
    symbols = template.get_chemical_symbols()
    if response and all(s in response for s in symbols):
        per_atom = np.array([response[s] for s in symbols], float)
    else:
        per_atom = template.numbers.astype(float) ** CONTRAST_EXPONENT.get(mode, 0.75)
    return np.array([per_atom[c].sum() for c in columns])


def _contrast_misfit(p: _Placement, contrast: np.ndarray, site_intensity) -> float:
    """Part of the measured site intensities the template's column contrasts, scaled by
    one factor, leave unexplained: ||I - sC||^2 / ||I||^2 over the matched sites."""
    if site_intensity is None:
        return float("nan")
    kept = ~p.dropped
    x, y = np.asarray(site_intensity, float)[kept], contrast[p.nearest[kept]]
    if len(x) == 0 or not np.any(y) or not np.any(x):
        return 1.0
    scale = float(x @ y) / float(y @ y)
    return float(np.sum((x - scale * y) ** 2) / np.sum(x**2))


def _periodic(d: np.ndarray) -> np.ndarray:
    return d - np.round(d)


def _unseen_columns(
    seen_columns: np.ndarray, centres: np.ndarray, t_cell: np.ndarray, contrast: np.ndarray
) -> list[int]:
    """Template columns no measured site matched that the image should show: neither
    fainter than :data:`HIDDEN_FRACTION` of the brightest nor closer to a matched column
    than the detector resolves."""
    seen = sorted(set(seen_columns.tolist()))
    unseen = [c for c in range(len(centres)) if c not in seen]
    if not unseen:
        return []
    d = _periodic(centres[unseen][:, None, :] - centres[seen][None, :, :]) @ t_cell
    resolved = np.linalg.norm(d, axis=-1).min(axis=1) >= UNRESOLVED_A
    bright = contrast[unseen] > HIDDEN_FRACTION * contrast.max()
    return [c for c, r, b in zip(unseen, resolved, bright, strict=True) if r and b]


class _Placement(NamedTuple):
    """One way of laying the template on the measured sites."""

    worst: float  # largest site error of the matched sites [Å]
    m: np.ndarray  # unimodular basis change, measured -> template
    shift: np.ndarray  # template origin in the measured sites' frame (fractional)
    nearest: np.ndarray  # template column of each measured site
    dropped: np.ndarray  # ghost sites left unmatched
    unseen: list[int]  # visible template columns no site matched


def _best_registration(
    placements: list[_Placement], contrast, site_intensity, tolerance_A: float
) -> _Placement:
    """The template placement to judge: one within the site tolerance that leaves no
    visible column unmatched, if any; among those as good as the closest (within
    :data:`TIE_A`) the one whose column contrasts best follow the measured intensities
    (a honeycomb's sites fit either way round; only the contrast tells Au from Be);
    otherwise the closest, for the refusal's reason."""
    good = [p for p in placements if p.worst <= tolerance_A and not p.unseen]
    if not good:
        return min(placements, key=lambda p: (p.worst > tolerance_A, p.worst))
    closest = min(p.worst for p in good)
    near = [p for p in good if p.worst <= closest + TIE_A]
    if site_intensity is None or len(near) == 1:
        return min(near, key=lambda p: p.worst)
    return max(near, key=lambda p: (round(_agreement(p, contrast, site_intensity), 3), -p.worst))


def _agreement(p: _Placement, contrast: np.ndarray, site_intensity) -> float:
    """Correlation of the measured site intensities with the contrasts of the template
    columns they matched (0 when either is flat or fewer than two sites matched)."""
    kept = ~p.dropped
    x, y = np.asarray(site_intensity, float)[kept], contrast[p.nearest[kept]]
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def fit_prior(
    prior: TemplatePrior,
    cell_A: np.ndarray,
    site_frac: np.ndarray,
    elements: Sequence[str],
    *,
    mode: str = "idpc",
    site_intensity: np.ndarray | None = None,
    response: dict[str, float] | None = None,
) -> PriorFit:
    """Test the template against the measured cell and sites; place it if it fits.

    Parameters
    ----------
    prior : TemplatePrior
        The template and its match distance.
    cell_A : np.ndarray
        Measured in-plane cell (2, 2) [Å], vectors as rows.
    site_frac : np.ndarray
        Measured sites (K, 2), fractional in ``cell_A``.
    elements : sequence of str
        Elements given for the image.
    mode : str
        Imaging mode (which template columns could hide).
    site_intensity : np.ndarray, optional
        Fitted amplitude of each measured site: a site fainter than
        :data:`GHOST_FRACTION` of the brightest may match no template column (a ghost of
        the filter or of noise); without it every site must match.
    response : dict, optional
        Contrast of one atom of each element (element -> peak, as for the element
        assignment): how bright each template column should be; default a power of Z.
    """
    base = {"id": prior.id, "distance": float(prior.distance), "vector": prior.vector}
    if not prior.usable:
        return PriorFit(
            False, f"match distance {prior.distance:.3f} > {prior.max_distance:.3f}", **base
        )
    t = prior.structure
    t_symbols = t.get_chemical_symbols()
    if not set(t_symbols) >= set(elements):
        return PriorFit(False, "the template lacks some of the given elements", **base)
    t_cell = np.array(t.cell)[:2, :2]
    centres, columns = template_columns(t)
    # Z ** exponent for which columns could hide and the placement tie-break (measured
    # with it); the element responses for how well the chosen placement's contrasts fit.
    contrast = _column_contrast(t, columns, mode)
    expected = _column_contrast(t, columns, mode, response)
    ghost, first = np.zeros(len(site_frac), bool), 0
    if site_intensity is not None and len(site_intensity) == len(site_frac) > 0:
        relative = np.asarray(site_intensity, float) / max(float(np.max(site_intensity)), 1e-12)
        ghost = relative < GHOST_FRACTION
        first = int(np.argmax(relative))  # anchor on the brightest site, never on a ghost
    placements = []
    for m in _UNIMODULAR:
        misfit = _cell_close(m @ cell_A, t_cell, prior.cell_tolerance)
        if misfit is None:
            continue
        frac_t = (site_frac @ np.linalg.inv(m)) % 1.0  # measured sites in the template basis
        for anchor in range(len(centres)):
            shift = centres[anchor] - frac_t[first]
            for centre in (True, False):  # then the origin that centres the matched sites
                offset = _periodic(frac_t[:, None, :] + shift - centres[None, :, :])
                dist = np.linalg.norm(offset @ t_cell, axis=-1)  # (K, C)
                nearest = dist.argmin(axis=1)
                site_error = dist[np.arange(len(frac_t)), nearest]
                dropped = ghost & (site_error > prior.site_tolerance_A)
                if centre:
                    matched = offset[np.arange(len(frac_t)), nearest][~dropped]
                    shift = shift - matched.mean(axis=0)
            worst = float(site_error[~dropped].max())
            unseen = _unseen_columns(nearest[~dropped], centres, t_cell, contrast)
            placements.append(_Placement(worst, m, shift, nearest, dropped, unseen))
    if not placements:
        return PriorFit(False, CELL_DIFFERS, **base)
    best = _best_registration(placements, contrast, site_intensity, prior.site_tolerance_A)
    worst, m, shift, nearest, dropped, unseen = best
    if worst > prior.site_tolerance_A:
        return PriorFit(
            False, f"a measured site is {worst:.2f} Å from every template column",
            max_site_error_A=worst, **base,
        )  # fmt: skip
    if unseen:
        return PriorFit(
            False, f"{len(unseen)} template column(s) bright enough to see were not found",
            max_site_error_A=worst, **base,
        )  # fmt: skip
    # Template atoms in the measured cell: f_meas = (f_t - shift) @ m.
    frac_atoms = t.get_scaled_positions(wrap=True)[:, :2]
    uv = ((frac_atoms - shift) @ m) % 1.0
    z = t.positions[:, 2] - 0.5 * (t.positions[:, 2].max() + t.positions[:, 2].min())
    site_contents = []
    for c in nearest:
        symbols = [t_symbols[i] for i in columns[c]]
        heaviest = max(set(symbols), key=lambda s: atomic_numbers[s])
        site_contents.append((heaviest, symbols.count(heaviest)))
    from pymatgen.core import Composition

    return PriorFit(
        True,
        "template fits the measured cell and sites",
        uv=uv,
        symbols=tuple(t_symbols),
        heights_A=tuple(float(h) for h in z),
        site_contents=tuple(site_contents),
        formula=Composition(t.get_chemical_formula()).reduced_formula,
        max_site_error_A=worst,
        contrast_misfit=_contrast_misfit(best, expected, site_intensity),
        **base,
    )


def _reindex_matrices(max_index: int) -> tuple[np.ndarray, ...]:
    """Integer supercells of index 2..max_index (every sublattice: ``basis @ H``) and
    every superlattice of those indices (``basis @ inv(H).T``: the duals of the dual
    lattice's sublattices; ``inv(H)`` alone reaches 4 of the 7 of index 4)."""
    supercells = hermite_supercells(max_index)
    return supercells + tuple(np.linalg.inv(m).T for m in supercells)


_REINDEX = _reindex_matrices(MAX_REINDEX)


def template_basis(
    prior: TemplatePrior, basis_px: np.ndarray, pixel_size_A: float
) -> np.ndarray | None:
    """The measured lattice re-indexed to the template's cell, if they are related.

    A noisy image can show a pseudo-lattice: a sublattice of the true one when columns of
    similar contrast make a smaller repeat, or a superlattice when noise or a faint
    modulation survives. If some ``basis_px @ M`` (M an integer supercell of index up to
    :data:`MAX_REINDEX`, or the inverse of one) has the template's reduced cell within
    ``prior.cell_tolerance``, that basis [px, vectors as columns] is returned, reduced;
    else ``None``. The caller measures the sites again on it.
    """
    # Both reduced (|a| <= |b|, a.b <= 0): one comparison of lengths and angle suffices.
    t_cell = gauss_reduce(np.array(prior.structure.cell)[:2, :2].T).T
    best = None
    for m in _REINDEX:
        cand = gauss_reduce(basis_px @ m)
        misfit = _cell_close(cand.T * pixel_size_A, t_cell, prior.cell_tolerance)
        if misfit is not None and (best is None or misfit < best[0]):
            best = (misfit, cand)
    return None if best is None else best[1]


class PriorOutcome(NamedTuple):
    """The fit, and what was measured on the lattice it was tested on."""

    fit: PriorFit
    measured: measure.Measured


def try_prior(prior, measured: measure.Measured, context, warnings) -> PriorOutcome:
    """Fit the template to the measured lattice and sites; when the measured cell is a
    sub- or superlattice of the template's, measure the sites again on the template's."""
    filtered, origin, px, config, response, symbols, mode = context
    peaks = {e: r.peak for e, r in response.items()}
    fit = fit_prior(
        prior, measure.cell_A(measured.basis, px), measured.uv, symbols, mode=mode,
        site_intensity=measured.intensity, response=peaks,
    )  # fmt: skip
    if fit.reason != CELL_DIFFERS:
        return PriorOutcome(fit, measured)
    basis = template_basis(prior, measured.basis, px)
    if basis is None:
        return PriorOutcome(fit, measured)
    try:
        uv, _, _ = measure.measure_sites(filtered, basis, origin, px, config, response)
        basis, uv, residual = measure.refine(filtered, basis, uv, origin, px, config)
        uv, intensity, average = measure.measure_sites(
            filtered, basis, origin, px, config, response, uv=uv
        )
    except ReconstructionError:
        return PriorOutcome(fit, measured)
    refit = fit_prior(
        prior, measure.cell_A(basis, px), uv, symbols, mode=mode, site_intensity=intensity,
        response=peaks,
    )  # fmt: skip
    if not refit.accepted:  # say why it failed on the template's cell, not that it differs
        why = f"{refit.reason} (on the template's cell; the lattice seen is related to it)"
        return PriorOutcome(replace(refit, reason=why), measured)
    warnings.append(
        f"the lattice seen was a pseudo-lattice: re-indexed to template {fit.id}'s cell"
    )
    return PriorOutcome(refit, measure.Measured(basis, uv, intensity, average, residual))


def unexplained(fit: PriorFit) -> float:
    """The fit's :attr:`PriorFit.contrast_misfit` (1 when unknown)."""
    return float(fit.contrast_misfit) if np.isfinite(fit.contrast_misfit) else 1.0


def choose_prior(
    priors: Sequence[TemplatePrior], measured: measure.Measured, context, warnings
) -> PriorOutcome:
    """Of several retrieved templates, the one whose columns follow the image best.

    Every template within its descriptor threshold is fitted (:func:`try_prior`); of those
    that fit, the one whose column contrasts explain the measured site intensities best
    (:func:`unexplained`; the nearer one on a tie or below :data:`CONTRAST_FLOOR`).
    Templates are often alike in geometry and differ in which columns hold which element
    (cation orderings of one lattice: MnCo2O6 and MnCo3O8), and a template whose ordering
    the image shows (a dimmer cation every third column) may describe farther than one
    whose cations look alike at low dose: a template beyond its threshold replaces the
    chosen one when it fits too and leaves at most :data:`CONTRAST_MARGIN` of its
    unexplained contrast (never one that explains the image to within
    :data:`CONTRAST_FLOOR`). With no template that fits, the first one's outcome says why.
    Only in the modes of :data:`CONTRAST_DECIDES`; in the others the first template is
    the one tried.
    """
    mode = context[-1]
    if mode not in CONTRAST_DECIDES:
        return try_prior(priors[0], measured, context, warnings)
    near = _tried([p for p in priors if p.usable], measured, context)
    fitted = [t for t in near if t[0].fit.accepted]
    if not fitted:
        return near[0][0] if near else try_prior(priors[0], measured, context, warnings)
    first = near[0][0]
    best, said = min(fitted, key=lambda t: max(unexplained(t[0].fit), CONTRAST_FLOOR))
    if unexplained(best.fit) > CONTRAST_FLOOR:
        far = [p.at_any_distance() for p in priors if not p.usable]
        farther = [t for t in _tried(far, measured, context) if t[0].fit.accepted]
        if farther:
            alt, alt_said = min(farther, key=lambda t: unexplained(t[0].fit))
            if unexplained(alt.fit) <= CONTRAST_MARGIN * unexplained(best.fit):
                warnings.append(
                    f"template {alt.fit.id} (descriptor distance {alt.fit.distance:.3f}) "
                    f"used over the nearer {best.fit.id}: its columns' contrasts follow the "
                    f"image (unexplained {unexplained(alt.fit):.4f} vs "
                    f"{unexplained(best.fit):.4f})"
                )
                warnings.extend(alt_said)
                return alt
    if best is not first:
        why = (
            f"its columns' contrasts follow the image (unexplained "
            f"{unexplained(best.fit):.4f} vs {unexplained(first.fit):.4f})"
            if first.fit.accepted
            else f"{first.fit.id} does not fit ({first.fit.reason})"
        )
        warnings.append(f"template {best.fit.id} used over the nearer {first.fit.id}: {why}")
    warnings.extend(said)
    return best


def _tried(
    priors: Sequence[TemplatePrior], measured: measure.Measured, context
) -> list[tuple[PriorOutcome, list[str]]]:
    """Each prior's :func:`try_prior` outcome with the warnings it gave (kept apart until
    one is chosen)."""
    tried = []
    for prior in priors:
        said: list[str] = []
        tried.append((try_prior(prior, measured, context, said), said))
    return tried


def nearest_templates(
    retriever: Any,
    descriptor: Any,
    symbols: Sequence[str],
    k: int = 10,
    *,
    allow_subset: bool = False,
    max_distance: float | None = None,
    rdf_max_distance: float | None = None,
) -> list:
    """The ``k`` nearest templates by ``rich``, the one to offer as a prior first: when the
    nearest is farther than ``max_distance`` (:data:`MAX_DISTANCE`), the nearest by the
    ``rdf`` histogram goes first if it lies within ``rdf_max_distance``
    (:data:`RDF_MAX_DISTANCE`; 0 turns this off)."""
    max_distance = MAX_DISTANCE if max_distance is None else max_distance
    rdf_max_distance = RDF_MAX_DISTANCE if rdf_max_distance is None else rdf_max_distance
    matches = retriever.top_k(descriptor, symbols, k, allow_subset=allow_subset)
    if not matches or matches[0].distance <= max_distance or rdf_max_distance <= 0:
        return matches
    by_rdf = retriever.top_k(descriptor, symbols, 1, allow_subset=allow_subset, vector="rdf")
    if not by_rdf or by_rdf[0].distance > rdf_max_distance:
        return matches
    return [by_rdf[0], *(m for m in matches if m.id != by_rdf[0].id)][:k]


def retrieve_prior(
    image: np.ndarray,
    *,
    pixel_size_A: float,
    elements: Sequence[str] | str,
    retriever: Any,
    mode: str = "idpc",
    k: int = 10,
    allow_subset: bool = False,
    max_distance: float | None = None,
    rdf_max_distance: float | None = None,
):
    """Describe the image, ask ``retriever`` (a :class:`reconstruction.descriptors.Retriever`)
    for the nearest templates (:func:`nearest_templates`), and offer the first as a prior
    (used up to the threshold of the descriptor it was ranked by).

    Returns
    -------
    (TemplatePrior or None, list of TemplateMatch, Descriptor)
    """
    from reconstruction.chemistry import parse_elements
    from reconstruction.descriptors import describe_image

    symbols = parse_elements(elements)
    descriptor = describe_image(image, pixel_size_A=pixel_size_A, mode=mode)
    matches = nearest_templates(
        retriever, descriptor, symbols, k, allow_subset=allow_subset,
        max_distance=max_distance, rdf_max_distance=rdf_max_distance,
    )  # fmt: skip
    priors = candidate_priors(matches, max_distance=max_distance, rdf_max_distance=rdf_max_distance)
    return (priors[0] if priors else None), matches, descriptor


def candidate_priors(
    matches: Sequence[Any],
    *,
    max_distance: float | None = None,
    rdf_max_distance: float | None = None,
) -> list[TemplatePrior]:
    """Every match as a prior, in order, each used up to the threshold of the descriptor
    it was ranked by (the measured defaults unless given); for :func:`choose_prior`."""
    priors = []
    for match in matches:
        limit = rdf_max_distance if match.vector == "rdf" else max_distance
        options = {} if limit is None else {"max_distance": limit}  # else the measured one
        priors.append(TemplatePrior.from_match(match, **options))
    return priors
