"""Filters of the structures page and its export: formula, element, review state, lab."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from automat_web.accounts.groups import lab_groups
from automat_web.structures.editing import CorrectionError, normalize_element
from automat_web.structures.models import Structure

#: Query parameters this module reads (the page keeps them in its pager and export links).
PARAMS = ("formula", "element", "state", "lab")


def filter_structures(
    structures: QuerySet[Structure],
    params: Mapping[str, str],
    *,
    user: AbstractBaseUser | AnonymousUser,
) -> tuple[QuerySet[Structure], dict[str, str]]:
    """Apply the filters in ``params``; returns the queryset and the values used.

    ``formula`` matches the reduced formula (case-insensitive); ``element`` a symbol the
    structure holds; ``state`` a review state; ``lab`` the id of one of the user's lab
    groups. Unknown or malformed values are ignored rather than failing the page.
    """
    used = {key: (params.get(key) or "").strip() for key in PARAMS}
    if used["formula"]:
        structures = structures.filter(formula__iexact=used["formula"])
    if used["element"]:
        try:
            used["element"] = normalize_element(used["element"])
            structures = structures.filter(elements__contains=[used["element"]])
        except CorrectionError:
            used["element"] = ""
    if used["state"] in Structure.Curation.values:
        structures = structures.filter(curation_state=used["state"])
    else:
        used["state"] = ""
    labs = lab_groups(user)
    if used["lab"].isdigit() and labs.filter(pk=int(used["lab"])).exists():
        structures = structures.filter(origin_run__sample__group_id=int(used["lab"]))
    else:
        used["lab"] = ""
    return structures, used
