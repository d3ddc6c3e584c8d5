"""Forms of the structure page: a review, and a correction read from the site table (its
element and coordinate fields, remove boxes, one "add a site" row and the lattice fields).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from automat_web.structures.models import Structure

State = Structure.Curation

#: The coordinate fields of a site row: form name -> key of the site / the edit.
COORDINATES = {"x": "x", "y": "y", "z": "z_A"}
LATTICE = ("a", "b", "gamma")


class ReviewForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(State.ACCEPTED, "Accept"), (State.REJECTED, "Reject")], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name) or "").strip()[:64]


def _changed(text: str, shown: float | None) -> bool:
    """Whether a submitted field differs from the value the page showed (text that is not
    a number counts as changed, so the edit's check names it)."""
    try:
        value = float(text)
    except ValueError:
        return True
    return shown is None or not math.isclose(value, shown, rel_tol=0, abs_tol=1e-9)


def edits_from_post(
    post: Mapping[str, Any], sites: Sequence[dict[str, Any]], lattice: Mapping[str, float]
) -> list[dict]:
    """The edits a submitted site table asks for, in the form the API takes:

    - a ticked ``remove-<i>`` removes site i (its other fields are ignored);
    - ``element-<i>`` differing from site i's element sets it;
    - ``x-<i>``, ``y-<i>``, ``z-<i>`` differing from the shown fractions x, y and height
      z [Å] move site i (to all three submitted values);
    - a filled ``add-element`` adds a site at ``add-x``, ``add-y``, ``add-z``;
    - ``lattice-a``, ``lattice-b``, ``lattice-gamma`` differing from ``lattice`` set it.

    Values are checked later (:func:`~automat_web.structures.editing.checked_edits`).
    """
    edits: list[dict] = []
    for site in sites:
        i = site["index"]
        if post.get(f"remove-{i}"):
            edits.append({"op": "remove", "site": i})
            continue
        element = _text(post, f"element-{i}")
        if element and element.lower() != site["element"].lower():
            edits.append({"op": "set_element", "site": i, "element": element})
        texts = {key: _text(post, f"{name}-{i}") for name, key in COORDINATES.items()}
        if any(texts.values()) and any(_changed(texts[k], site[k]) for k in texts):
            edits.append({"op": "move", "site": i, **texts})
    element = _text(post, "add-element")
    if element:
        place = {key: _text(post, f"add-{name}") for name, key in COORDINATES.items()}
        edits.append({"op": "add", "element": element, **place})
    cell = {key: _text(post, f"lattice-{key}") for key in LATTICE}
    if all(cell.values()) and any(_changed(cell[k], lattice.get(k)) for k in LATTICE):
        edits.append({"op": "set_lattice", **cell})
    return edits


def table_rows(
    sites: Sequence[dict[str, Any]], post: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The site table's rows: each site's values, or what was submitted (a refused
    correction shows the curator's input again)."""
    if post is None:
        return [{**site, "remove": False} for site in sites]
    rows = []
    for site in sites:
        i = site["index"]
        row = {**site, "remove": bool(post.get(f"remove-{i}"))}
        row["element"] = _text(post, f"element-{i}") or site["element"]
        for name, key in COORDINATES.items():
            row[key] = _text(post, f"{name}-{i}") or site[key]
        rows.append(row)
    return rows


def submitted(post: Mapping[str, Any] | None, prefix: str, defaults: Mapping[str, Any]) -> dict:
    """``defaults`` overridden by the submitted ``<prefix>-<key>`` fields."""
    if post is None:
        return dict(defaults)
    return {key: _text(post, f"{prefix}-{key}") or value for key, value in defaults.items()}
