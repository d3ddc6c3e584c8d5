"""``{% load sample_access %}``: ``{% if sample|changeable_by:user %}`` shows the forms and
buttons that change a sample only to those who may (the views refuse the rest anyway)."""

from __future__ import annotations

from django import template

from automat_web.samples import access

register = template.Library()


@register.filter
def changeable_by(sample, user) -> bool:
    return sample is not None and access.can_change(user, sample)
