"""What a STEM2CIF result looks like to a person: a one-line summary, JSON numbers and an
overlay of the columns on the image (shared by ``automat reconstruct`` and the agent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: Overlay colours per element, in the order the elements were given.
PALETTE = [(230, 60, 60), (60, 140, 255), (60, 200, 90), (240, 200, 40), (200, 80, 220)]


def lattice_dict(result) -> dict[str, float]:
    """``{"a", "b", "gamma"}`` of the final structure's cell [Å, deg]."""
    a, b, _, _, _, gamma = result.structure.cell.cellpar()
    return {"a": round(float(a), 4), "b": round(float(b), 4), "gamma": round(float(gamma), 3)}


def summary(result) -> str:
    """One line: formula, space group, cell, sites, columns, the lattice fit residual and
    the source blur the columns were measured with."""
    cell = lattice_dict(result)
    return (
        f"{result.formula} ({result.spacegroup}), a={cell['a']:.3f} Å b={cell['b']:.3f} Å "
        f"γ={cell['gamma']:.1f}°, {len(result.site_frac)} column site(s), "
        f"{len(result.columns_xy_px)} columns, lattice residual {result.lattice.residual_A:.3f} Å, "
        f"source blur {result.source_sigma_A:.2f} Å"
    )


def details(result) -> dict[str, Any]:
    """Per-site numbers, the lattice in the image frame and the share of spots explained."""
    return {
        "sites": [
            {
                "frac": [round(float(v), 5) for v in uv],
                "element": element,
                "atoms": n,
                "confidence": round(float(c), 4),
                "intensity": round(float(i), 5),
            }
            for uv, (element, n), c, i in zip(
                result.site_frac,
                result.assignment.contents,
                result.assignment.confidence,
                result.site_intensity,
                strict=True,
            )
        ],
        "lattice_image": result.lattice.as_dict(),
        "fraction_explained": result.fraction_explained,
        "n_columns": len(result.columns_xy_px),
        # Every column found on the lattice, in the image's pixels (x, y), and the motif
        # site it belongs to: what the portal draws over the micrograph and exports as
        # annotations (0.01 px is far below the refinement's precision).
        "columns_xy_px": np.round(np.asarray(result.columns_xy_px, float), 2).tolist(),
        "column_site": [int(i) for i in result.column_site],
        # The effective source blur the columns were measured with (Gaussian sigma, Å).
        "source_sigma_A": result.source_sigma_A,
    }


def write_overlay(path: Path, image: np.ndarray, result) -> None:
    """The image in grey with every detected column as a dot coloured by its element
    (``result`` None: the image alone)."""
    from PIL import Image, ImageDraw

    from reconstruction.io.render import stretch_to_unit

    grey = (stretch_to_unit(image) * 255).astype(np.uint8)
    canvas = Image.fromarray(grey).convert("RGB")
    if result is not None:
        draw = ImageDraw.Draw(canvas)
        colours = {e: PALETTE[i % len(PALETTE)] for i, e in enumerate(result.elements)}
        radius = max(2.0, 0.2 / result.pixel_size_A)
        contents = result.assignment.contents
        for (x, y), site in zip(result.columns_xy_px, result.column_site, strict=True):
            element, n = contents[site]
            box = [x - radius, y - radius, x + radius, y + radius]
            # Stacked columns (two atoms along the beam) are drawn as rings.
            if n > 1:
                draw.ellipse(box, outline=colours[element], width=2)
            else:
                draw.ellipse(box, fill=colours[element])
        _legend(draw, colours)
    canvas.save(path)


def _legend(draw, colours: dict[str, tuple[int, int, int]]) -> None:
    for i, (element, colour) in enumerate(colours.items()):
        y = 6 + 16 * i
        draw.rectangle([6, y, 18, y + 12], fill=colour)
        draw.text((24, y), element, fill=(255, 255, 255))
