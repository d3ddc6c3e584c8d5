"""Templates compared with the image as the image's own microscope would show them.

The library's descriptors are made from templates rendered with a point source, and
retrieval compares them with the image as it is. A real microscope's effective source
(0.2-0.35 Å sigma is common) blurs a light column into its heavy neighbour's tail, so the
image's motif, and with it its descriptor, drifts away from the in-focus template's: the
right structure is often still the nearest template but beyond the distance at which it
is used (docs/benchmarks/realistic-optics.md, "The misses"). Once the pipeline has fitted
the source size on the image (:func:`reconstruction.stem2cif.contrast.estimate_blur`),
the few nearest templates are rendered again under that blur and described by the same
detector, and each is compared with the image again: like with like. The distance
thresholds stay the ones measured in focus; only what is compared changes.

The blur also moves what is measured: a faint column in the tail of a bright neighbour
peaks off its true place, by more the wider the columns are. The largest distance at
which a measured site matches a template column (``TemplatePrior.site_tolerance_A``, set
for a point source) grows with the source size, in quadrature (:func:`widened`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from reconstruction.stem2cif.prior import TemplatePrior

#: How many of the nearest templates are rendered again (each render and description
#: takes about as long as describing the image once).
REDESCRIBE_COUNT = 5


def redescribed(
    priors: Sequence[TemplatePrior],
    image: np.ndarray,
    *,
    pixel_size_A: float,
    mode: str,
    source_sigma_A: float,
    warnings: list[str] | None = None,
    count: int = REDESCRIBE_COUNT,
) -> list[TemplatePrior]:
    """``priors`` with the distances of the ``count`` nearest measured under the blur.

    Nothing is done when the nearest prior is already within its threshold (the image
    looks like the in-focus template) or there is no prior. Otherwise each of the first
    ``count`` priors is described again, rendered with a Gaussian source of
    ``source_sigma_A`` (sigma [Å]), and keeps the smaller of its two distances to the
    image's descriptor (by the vector it was ranked by); the list is then ordered by
    distance, nearest first.

    Parameters
    ----------
    priors : sequence of TemplatePrior
        Retrieved templates, nearest first.
    image : np.ndarray
        The micrograph the priors were retrieved for (rows, cols).
    pixel_size_A : float
        Its pixel size [Å/px].
    mode : str
        Its imaging mode.
    source_sigma_A : float
        Effective source size fitted on the image (Gaussian sigma [Å]).
    warnings : list of str, optional
        Receives one line naming the distances that changed.
    count : int
        How many priors to describe again.

    Returns
    -------
    list of TemplatePrior
    """
    priors = list(priors)
    if not priors or priors[0].usable or source_sigma_A <= 0:
        return priors
    from reconstruction.descriptors import describe_image, describe_structure
    from reconstruction.descriptors.retrieval import cosine_distance
    from reconstruction.simulate.render import FWHM_PER_SIGMA

    query = describe_image(image, pixel_size_A=pixel_size_A, mode=mode)
    fwhm = float(source_sigma_A) * FWHM_PER_SIGMA
    changed = []
    for i, prior in enumerate(priors[:count]):
        if not np.isfinite(prior.distance):
            continue
        template = describe_structure(prior.structure, mode=mode, source_size_A=fwhm)
        vector = np.asarray(getattr(template, prior.vector), float)[None, :]
        distance = max(0.0, float(cosine_distance(vector, getattr(query, prior.vector))[0]))
        if distance < prior.distance:
            changed.append(f"{prior.id} {prior.distance:.3f} -> {distance:.3f}")
            priors[i] = replace(prior, distance=distance)
    if changed and warnings is not None:
        warnings.append(
            f"templates described again under the fitted source blur (sigma "
            f"{source_sigma_A:.2f} Å): " + ", ".join(changed)
        )
    return sorted(priors, key=lambda p: p.distance if np.isfinite(p.distance) else np.inf)


def widened(priors: Sequence[TemplatePrior], source_sigma_A: float) -> list[TemplatePrior]:
    """``priors`` whose site tolerance [Å] is ``hypot(tolerance, source_sigma_A)``: a
    site measured under a source of that sigma [Å] may sit that much farther from its
    column (0.35 -> 0.47 Å at 0.32 Å sigma)."""
    sigma = max(float(source_sigma_A), 0.0)
    return [replace(p, site_tolerance_A=math.hypot(p.site_tolerance_A, sigma)) for p in priors]
