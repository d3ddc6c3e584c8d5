"""Sample list filters that need runs and structures: run status, formula, element, owner,
date. Shared by the samples page and the samples API."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.dateparse import parse_date

from automat_web.runs.models import Run
from automat_web.structures.models import Structure

#: Query parameters this module reads (the page keeps them in its pager links).
PARAMS = ("status", "formula", "element", "owner", "date_from", "date_to")


def with_latest_run(samples: QuerySet) -> QuerySet:
    """Annotate ``run_status`` (the state of each sample's latest run) and ``run_formula``
    (the formula of its latest structure)."""
    latest = Run.objects.filter(sample=OuterRef("pk")).order_by("-created", "-id")
    formula = (
        Structure.objects.filter(run__sample=OuterRef("pk"))
        .order_by("-run__created", "-run__id")
        .values("formula")
    )
    return samples.annotate(
        run_status=Subquery(latest.values("status")[:1]),
        run_formula=Subquery(formula[:1]),
    )


def filter_samples(samples: QuerySet, params: Mapping[str, str]) -> tuple[QuerySet, dict]:
    """Apply the filters in ``params``; returns the queryset and the values used.

    ``status`` is one of the run states (the sample's latest run); ``formula`` matches the
    latest structure's formula (case-insensitive); ``element`` a symbol the sample holds;
    ``owner`` a user name; ``date_from``/``date_to`` the upload day (YYYY-MM-DD, inclusive).
    Unknown or malformed values are ignored rather than failing the page.
    """
    samples = with_latest_run(samples)
    used = {key: (params.get(key) or "").strip() for key in PARAMS}
    if used["status"] in Run.Status.values:
        samples = samples.filter(run_status=used["status"])
    if used["formula"]:
        samples = samples.filter(run_formula__iexact=used["formula"])
    if used["element"]:
        symbol = used["element"][:1].upper() + used["element"][1:3].lower()
        samples = samples.filter(elements__contains=[symbol])
    if used["owner"]:
        samples = samples.filter(owner__username=used["owner"])
    for key, lookup in (("date_from", "created__date__gte"), ("date_to", "created__date__lte")):
        day = _date(used[key])
        if day is not None:
            samples = samples.filter(**{lookup: day})
        else:
            used[key] = ""
    return samples, used


def _date(text: str):
    try:
        return parse_date(text) if text else None
    except ValueError:
        return None
