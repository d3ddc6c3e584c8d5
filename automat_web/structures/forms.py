"""Forms of the structure page: a review, and a correction read from the site table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from automat_web.structures.models import Structure

State = Structure.Curation


class ReviewForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(State.ACCEPTED, "Accept"), (State.REJECTED, "Reject")], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def edits_from_post(post: Mapping[str, Any], sites: Sequence[dict[str, Any]]) -> list[dict]:
    """The edits a submitted site table asks for: ``element-<i>`` differing from site i's
    element sets it, a ticked ``remove-<i>`` removes the site. Elements are checked later
    (:func:`~automat_web.structures.editing.checked_edits`)."""
    edits: list[dict] = []
    for site in sites:
        i = site["index"]
        if post.get(f"remove-{i}"):
            edits.append({"op": "remove", "site": i})
            continue
        element = (post.get(f"element-{i}") or "").strip()
        if element and element.lower() != site["element"].lower():
            edits.append({"op": "set_element", "site": i, "element": element})
    return edits
