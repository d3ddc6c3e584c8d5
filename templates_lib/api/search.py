"""Template search for the API: by formula, by element set, or by a micrograph (its
descriptor, as the reconstruction computes it, ranked by the pgvector retriever).

Every refusal a caller can cause is a :class:`SearchRefused` naming the request field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from typing import Any

from pgvector.django import CosineDistance

from reconstruction.descriptors.retrieval import element_key
from templates_lib.models import Template, vector_column
from templates_lib.services import described, retriever

#: Most results one search returns.
MAX_K = 50
#: Most pixels of a searched image (a search describes it while the caller waits).
MAX_SEARCH_PIXELS = 4096 * 4096


class SearchRefused(ValueError):
    """A search that cannot be done; ``field`` is the request field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def hit(template: Template, distance: float | None = None) -> dict[str, Any]:
    """One result: the template's id, chemistry, lattice [Å, deg] and energy [eV/atom]."""
    return {
        "id": template.source_id,
        "source": template.source,
        "formula": template.formula,
        "elements": list(template.elements),
        "spacegroup": template.spacegroup,
        "distance": _finite(distance),
        "lattice": {"a": template.a_A, "b": template.b_A, "gamma": template.gamma_deg},
        "formation_energy_per_atom": _finite(template.formation_energy_per_atom),
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def parse_elements(text: str) -> tuple[str, ...]:
    """``"Mo,S"`` -> ``("Mo", "S")``; SearchRefused naming ``elements`` otherwise."""
    try:
        return element_key(text)
    except ValueError as exc:
        raise SearchRefused("elements", str(exc)) from None


def reduced_formula(text: str) -> dict[str, int]:
    """Element counts of ``text`` divided by their greatest common divisor."""
    from ase.formula import Formula

    try:
        counts = {el: n for el, n in Formula(text.strip()).count().items() if n}
    except ValueError:
        counts = {}
    if not counts:
        raise SearchRefused("formula", f"{text!r} is not a chemical formula (e.g. MoS2)")
    try:
        element_key(list(counts))  # real element symbols only
    except ValueError as exc:
        raise SearchRefused("formula", str(exc)) from None
    divisor = reduce(math.gcd, counts.values())
    return {el: n // divisor for el, n in counts.items()}


def by_formula(formula: str, *, k: int) -> list[dict[str, Any]]:
    """Templates of this composition (any order or multiple of it: S2Mo finds MoS2)."""
    wanted = reduced_formula(formula)
    candidates = Template.objects.filter(elements=sorted(wanted)).order_by("source_id")
    found = [t for t in candidates if _reduced_or_none(t.formula) == wanted]
    return [hit(t) for t in found[:k]]


def _reduced_or_none(formula: str) -> dict[str, int] | None:
    try:
        return reduced_formula(formula)
    except SearchRefused:
        return None


def by_elements(elements: str, *, k: int) -> list[dict[str, Any]]:
    """Templates of exactly these elements."""
    key = list(parse_elements(elements))
    return [hit(t) for t in Template.objects.filter(elements=key).order_by("source_id")[:k]]


def by_image(
    path: Path,
    *,
    pixel_size_A: float | None,
    mode: str | None,
    elements: str,
    k: int,
) -> tuple[dict | None, list[dict[str, Any]]]:
    """The lattice measured on the micrograph at ``path`` (``{"a", "b" [Å], "gamma"
    [deg]}`` or None) and its ``k`` nearest templates by the descriptor's cosine distance,
    compared in ``mode`` (None: as the file's signal says, else iDPC); with ``elements``
    only templates of exactly those elements (the retriever the runs use), else all."""
    from reconstruction.descriptors import describe_image
    from reconstruction.io import IngestError, InvalidCalibration, read_micrograph
    from reconstruction.io.modes import DEFAULT_MODE, mode_from_signal

    key = parse_elements(elements) if elements.strip() else ()
    try:
        micrograph = read_micrograph(
            path, stack="sum", pixel_size_A=pixel_size_A, max_pixels=MAX_SEARCH_PIXELS
        )
    except InvalidCalibration as exc:
        raise SearchRefused("pixel_size_A", str(exc)) from None
    except IngestError as exc:
        raise SearchRefused("file", str(exc)) from None
    px = micrograph.calibration.pixel_size_A
    if px is None:
        raise SearchRefused("pixel_size_A", "the file has no pixel size: give it [Å/px]")
    signal = micrograph.info.signals[micrograph.signal]
    mode = mode or mode_from_signal(signal.name) or DEFAULT_MODE
    try:
        descriptor = describe_image(micrograph.data, pixel_size_A=px, mode=mode)
    except ValueError as exc:  # too small, or not finite
        raise SearchRefused("file", str(exc)) from None
    if key:
        try:
            matches = retriever().top_k(descriptor, key, k=k)
        except LookupError as exc:  # the library is not described in this mode
            raise SearchRefused("mode", str(exc)) from None
        rows = Template.objects.in_bulk([m.id for m in matches], field_name="source_id")
        return descriptor.lattice, [hit(rows[m.id], m.distance) for m in matches]
    return descriptor.lattice, _nearest(descriptor, k=k)


def _nearest(descriptor, *, k: int) -> list[dict[str, Any]]:
    """The ``k`` nearest templates of any elements described in the descriptor's mode."""
    if not described(descriptor.mode).exists():
        raise SearchRefused("mode", f"the template library has no {descriptor.mode} descriptors")
    column = vector_column("rich", descriptor.mode)
    rows: Sequence[Template] = (
        described(descriptor.mode)
        .annotate(distance=CosineDistance(column, descriptor.rich))
        .order_by("distance")[:k]
    )
    return [hit(t, _nonnegative(t.distance)) for t in rows]


def _nonnegative(distance: float | None) -> float | None:
    value = _finite(distance)
    return None if value is None else max(0.0, value)
