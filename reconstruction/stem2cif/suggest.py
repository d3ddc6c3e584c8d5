"""Pixel-size help for an uncalibrated micrograph: which known lattices fit its repeat?

An image without a calibration still shows its lattice in pixels. Each known monolayer of
the entered elements whose 2D cell has the same shape (angle, ratio of lengths) as the
image's gives a pixel size: the one that makes the cells equal in area. A person chooses
among the suggestions; nothing is applied without them, since a wrong template gives a
wrong scale that every later check would then agree with.

The image's lattice is found by STEM2CIF's own autocorrelation search
(:func:`~reconstruction.detection.lattice.find_lattice`), whose filters need a pixel size:
a provisional one puts the image's strongest Bragg spacing at :data:`TYPICAL_SPACING_A`
(or at half or twice that, when the strongest peak is a higher order or a superstructure).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reconstruction.io.types import PLAUSIBLE_PIXEL_SIZE_A

#: Strongest lattice-plane spacings tried [Å], in order (MoS2's is 2.76 Å; graphene's
#: strongest can be its 1.23 Å second order).
TYPICAL_SPACING_A = (2.5, 1.25, 5.0)
#: Largest difference of cell angle [deg] and of the ratio b/a for a template to fit.
ANGLE_TOLERANCE_DEG = 5.0
RATIO_TOLERANCE = 0.06


@dataclass(frozen=True)
class PixelSizeSuggestion:
    """A pixel size under which a known lattice fits the image's.

    Attributes
    ----------
    pixel_size_A : float
        [Å/px].
    template_id, formula : str
        The known monolayer.
    a_A, b_A, gamma_deg : float
        Its reduced 2D cell [Å, deg].
    image_a_px, image_b_px, image_gamma_deg : float
        The image's reduced cell [px, deg].
    shape_error : float
        How far the shapes differ: relative ratio difference plus angle difference / 60°.
    """

    pixel_size_A: float
    template_id: str
    formula: str
    a_A: float
    b_A: float
    gamma_deg: float
    image_a_px: float
    image_b_px: float
    image_gamma_deg: float
    shape_error: float

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 5) if isinstance(v, float) else v for k, v in asdict(self).items()}


def image_cell_px(image: np.ndarray, *, mode: str = "idpc") -> tuple[float, float, float] | None:
    """The image's reduced 2D cell (a, b [px], gamma [deg]); None when it shows none."""
    from reconstruction.detection.lattice import find_lattice
    from reconstruction.detection.peaks import bandpass
    from reconstruction.errors import ReconstructionError
    from reconstruction.stem2cif.scale import strongest_spacing_px

    spacing = strongest_spacing_px(np.asarray(image, float))  # None: no lattice to see
    if spacing is None:
        return None
    data = np.asarray(image, float)
    for typical in TYPICAL_SPACING_A:
        provisional = typical / spacing
        try:
            filtered = bandpass(data, pixel_size_A=provisional, mode=mode)
            return _cellpar(find_lattice(filtered, pixel_size_A=provisional))
        except ReconstructionError:
            continue
    return None


def suggest_pixel_sizes(
    image: np.ndarray, templates: Iterable[dict[str, Any]], *, mode: str = "idpc", limit: int = 5
) -> list[PixelSizeSuggestion]:
    """Pixel sizes under which the templates' lattices fit the image's, best fit first.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols), uncalibrated.
    templates : iterable of dict
        Known monolayers of the entered elements: ``id``, ``formula``, ``a``, ``b``
        [Å] and ``gamma`` [deg] of a primitive 2D cell, and ``e_form`` [eV/atom] or None
        (of equally fitting shapes, the more stable comes first).
    mode : str
        Imaging mode (``"idpc"``, ``"haadf"``, ``"abf"``).
    limit : int
        Most suggestions; pixel sizes within 1 % of a better one are dropped.

    Returns
    -------
    list of PixelSizeSuggestion
        Empty when the image shows no lattice or no template's shape fits it; only pixel
        sizes within ``PLAUSIBLE_PIXEL_SIZE_A``.
    """
    cell = image_cell_px(image, mode=mode)
    if cell is None:
        return []
    a_px, b_px, g_px = cell
    area_px = a_px * b_px * np.sin(np.radians(g_px))
    found = []
    for t in templates:
        a, b, g = _cellpar(_basis(float(t["a"]), float(t["b"]), float(t["gamma"])))
        ratio_error = abs((b / a) / (b_px / a_px) - 1)
        angle_error = abs(g - g_px)
        if ratio_error > RATIO_TOLERANCE or angle_error > ANGLE_TOLERANCE_DEG:
            continue
        px = float(np.sqrt(a * b * np.sin(np.radians(g)) / area_px))
        lo, hi = PLAUSIBLE_PIXEL_SIZE_A
        if lo <= px <= hi:
            error = ratio_error + angle_error / 60.0
            e_form = t.get("e_form")
            suggestion = PixelSizeSuggestion(
                px, str(t["id"]), str(t["formula"]), a, b, g, a_px, b_px, g_px, error
            )
            found.append((suggestion, np.inf if e_form is None else float(e_form)))
    kept: list[PixelSizeSuggestion] = []
    for s, _ in sorted(found, key=lambda f: (round(f[0].shape_error, 2), f[1], f[0].template_id)):
        if all(abs(s.pixel_size_A / k.pixel_size_A - 1) > 0.01 for k in kept):
            kept.append(s)
    return kept[:limit]


def _basis(a: float, b: float, gamma_deg: float) -> np.ndarray:
    g = np.radians(gamma_deg)
    return np.array([[a, b * np.cos(g)], [0.0, b * np.sin(g)]])


def template_cells(matches: Iterable[Any]) -> list[dict[str, Any]]:
    """The ``templates`` argument of :func:`suggest_pixel_sizes` from retrieved templates
    (:class:`reconstruction.descriptors.retrieval.TemplateMatch`, e.g. ``with_elements``)."""
    cells = []
    for m in matches:
        a, b, _, _, _, gamma = m.structure.cell.cellpar()
        cells.append(
            {"id": m.id, "formula": m.formula, "a": a, "b": b, "gamma": gamma,
             "e_form": m.formation_energy_per_atom}
        )  # fmt: skip
    return cells


def _cellpar(basis: np.ndarray) -> tuple[float, float, float]:
    """(|a|, |b|, angle [deg]) of a basis after Gauss reduction (columns are vectors)."""
    from reconstruction.detection.lattice import Lattice2D, gauss_reduce

    cell = Lattice2D.from_basis(gauss_reduce(np.asarray(basis, float)), 1.0)
    return cell.a_A, cell.b_A, cell.gamma_deg


__all__ = ["PixelSizeSuggestion", "image_cell_px", "suggest_pixel_sizes", "template_cells"]
