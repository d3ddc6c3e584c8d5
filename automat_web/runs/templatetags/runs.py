"""``{% latest_run sample as run %}`` for the sample page (no change to its view needed)."""

from __future__ import annotations

from django import template

from automat_web.runs.models import Run

register = template.Library()


@register.simple_tag
def latest_run(sample) -> Run | None:
    return sample.runs.select_related("sample").first()


@register.filter
def artifact_named(artifacts, prefix: str):
    """The first artifact whose name starts with ``prefix`` (e.g. the residual map)."""
    for item in artifacts:
        if item.name.startswith(prefix):
            return item
    return None


@register.filter
def num(value, digits: int = 4):
    """Floats to ``digits`` significant figures; everything else unchanged."""
    if isinstance(value, float):
        return f"{value:.{int(digits)}g}"
    return value
