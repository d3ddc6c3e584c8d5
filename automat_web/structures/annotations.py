"""Annotations of a structure's micrograph: the reconstruction's atomic columns in Å in the
image frame with their elements, the lattice and the provenance, as JSON beside a link to
the image they belong to (for training or checking other methods on curated data).

The frame is the run's working image (the float32 image the reconstruction read): x to
the right, y down, in the reconstruction's own pixel coordinates, and
``x_A = x_px * pixel_size_A``.

Column positions come from the run's stored STEM2CIF numbers (``Run.result["stem2cif"]``:
``columns_xy_px`` and ``column_site``, one row per column, and ``sites``, one per column
site). Runs that stored no column positions give an empty ``columns`` list and say so in
``columns_note``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.http import HttpRequest
from django.urls import reverse

from automat_web.structures.export import provenance
from automat_web.structures.models import Structure

FORMAT = "automat-annotations/1"
#: How close (fractions of a and b) a structure site must be to a column site to give it
#: its element.
FRACTION_TOLERANCE = 0.02
NOT_STORED = (
    "this run stored no column positions (only the per-site numbers of STEM2CIF): "
    "see the overlay image of its stem2cif step"
)


def image_shape(structure: Structure) -> list[int] | None:
    """``[ny, nx]`` of the sample's working image [px] (read from the .npy header only)."""
    path = structure.origin_run.sample.working_path
    if path is None or not path.exists():
        return None
    try:
        return [int(n) for n in np.load(path, mmap_mode="r").shape[-2:]]
    except (OSError, ValueError):
        return None


def pixel_size_A(structure: Structure) -> float | None:
    """The pixel size the run used [Å/px] (the sample's, for runs that did not record it)."""
    run = structure.origin_run
    value = (run.result or {}).get("pixel_size_A") or run.sample.pixel_size_A
    return float(value) if value else None


def _version_contents(atoms, frac: list[float]) -> tuple[str, int] | None:
    """(element, atoms) of the sites of ``atoms`` on the column at fractions ``frac``."""
    scaled = atoms.get_scaled_positions(wrap=True)[:, :2]
    delta = scaled - np.asarray(frac[:2], dtype=float) % 1.0
    delta -= np.round(delta)
    on_column = np.flatnonzero(np.abs(delta).max(axis=1) < FRACTION_TOLERANCE)
    if not len(on_column):
        return None
    symbols = sorted({atoms[int(i)].symbol for i in on_column})
    return "".join(symbols), len(on_column)


def columns(structure: Structure, pixel_A: float | None) -> list[dict[str, Any]]:
    """One entry per stored column: ``x_px``, ``y_px``, ``x_A``, ``y_A`` [Å], ``site`` (the
    column site), ``element`` and ``count`` (atoms along the beam) of this version where
    its sites lie on the column, else the reconstruction's (``element_source`` says)."""
    stem = (structure.origin_run.result or {}).get("stem2cif") or {}
    xy, which = stem.get("columns_xy_px"), stem.get("column_site")
    if not xy or which is None or len(xy) != len(which):
        return []
    site_rows = stem.get("sites") or []
    atoms = structure.atoms()
    contents: dict[int, tuple[str | None, int | None, str]] = {}
    for index, row in enumerate(site_rows):
        found = _version_contents(atoms, row["frac"]) if row.get("frac") else None
        if found is not None:
            contents[index] = (found[0], found[1], "structure")
        else:
            contents[index] = (row.get("element"), row.get("atoms"), "reconstruction")
    entries = []
    for (x, y), site in zip(xy, which, strict=True):
        element, count, source = contents.get(int(site), (None, None, "reconstruction"))
        entries.append(
            {
                "x_px": round(float(x), 3),
                "y_px": round(float(y), 3),
                "x_A": round(float(x) * pixel_A, 4) if pixel_A else None,
                "y_A": round(float(y) * pixel_A, 4) if pixel_A else None,
                "site": int(site),
                "element": element,
                "count": count,
                "element_source": source,
            }
        )
    return entries


def annotations(structure: Structure, *, image_url: str, preview_url: str) -> dict[str, Any]:
    """The annotation document of ``structure`` (see the module docstring); ``image_url``
    is the working image (.npy) the positions refer to, ``preview_url`` its PNG rendition."""
    run = structure.origin_run
    stem = (run.result or {}).get("stem2cif") or {}
    pixel_A = pixel_size_A(structure)
    found = columns(structure, pixel_A)
    return {
        "format": FORMAT,
        "structure_id": structure.pk,
        "version": structure.version,
        "formula": structure.formula,
        "image": {
            "url": image_url,
            "preview_url": preview_url,
            "shape": image_shape(structure),
            "pixel_size_A": pixel_A,
            "mode": (run.result or {}).get("mode") or run.mode,
            "frame": "x right, y down, from the working image's first pixel; "
            "x_A = x_px * pixel_size_A",
        },
        "columns": found,
        "columns_stored": bool(found),
        "columns_note": "" if found else NOT_STORED,
        "lattice": {
            "a": structure.a,
            "b": structure.b,
            "gamma": structure.gamma,
            "image": stem.get("lattice_image"),
        },
        "provenance": provenance(structure),
    }


def document(request: HttpRequest, structure: Structure) -> dict[str, Any]:
    """:func:`annotations` with absolute links to the sample's working image and preview
    (both take a session or an ``Authorization: Token`` header)."""
    sample_pk = structure.origin_run.sample_id
    return annotations(
        structure,
        image_url=request.build_absolute_uri(reverse("samples:working", args=[sample_pk])),
        preview_url=request.build_absolute_uri(reverse("samples:thumbnail", args=[sample_pk])),
    )
