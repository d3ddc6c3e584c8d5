"""Lab groups are Django auth groups: a user sees the samples of the groups they belong to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import QuerySet


def lab_groups(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Group]:
    """The lab groups whose samples ``user`` may see and upload to."""
    if not user.is_authenticated:
        return Group.objects.none()
    return Group.objects.filter(user=user).order_by("name")
