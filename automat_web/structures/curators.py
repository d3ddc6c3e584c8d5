"""The curator role: per lab group, the members who may review and correct its structures.

A role counts only while its holder is still in the group, so removing someone from a lab
also ends their curation there. The Labs page and API (``automat_web.accounts.labs``) and
the management command ``curators`` call these helpers.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import QuerySet

from automat_web.accounts.groups import lab_groups
from automat_web.structures.models import LabCurator


class NotALabMember(ValueError):
    """A curator must be a member of the lab group first."""


def curated_groups(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Group]:
    """The lab groups ``user`` curates (and is still a member of)."""
    return lab_groups(user).filter(curators__user=user)


def is_curator(user: AbstractBaseUser | AnonymousUser, group: Group) -> bool:
    """Whether ``user`` may review and correct the structures of ``group``."""
    return curated_groups(user).filter(pk=group.pk).exists()


def grant_curator(
    user: AbstractBaseUser, group: Group, *, granted_by: AbstractBaseUser | None = None
) -> LabCurator:
    """Make ``user`` a curator of ``group`` (idempotent).

    Raises
    ------
    NotALabMember
        ``user`` is not in ``group``.
    """
    if not user.groups.filter(pk=group.pk).exists():
        raise NotALabMember(f"{user.get_username()} is not a member of {group.name}")
    role, _ = LabCurator.objects.get_or_create(
        group=group, user=user, defaults={"granted_by": granted_by}
    )
    return role


def revoke_curator(user: AbstractBaseUser, group: Group) -> bool:
    """End ``user``'s curator role in ``group``; False if they had none."""
    deleted, _ = LabCurator.objects.filter(group=group, user=user).delete()
    return bool(deleted)
