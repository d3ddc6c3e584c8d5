"""Sharing a sample read-only with another lab group, or with every logged-in user.

The sample's owner (while a member of its lab) or an admin of its lab may share, unshare
and make it public or private; every change is a row in the lab's audit trail
(``automat_web.accounts.audit``). What a share lets others see is decided in one place,
``Sample.objects.visible_to``; what they may change (nothing) in ``editable_by``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from automat_web.accounts import audit
from automat_web.accounts.models import LabEvent
from automat_web.samples.access import can_share
from automat_web.samples.models import Sample, SampleShare


class SharingError(ValueError):
    """A share that is refused (no such lab, the sample's own lab); says why."""


class NotAllowedToShare(PermissionDenied):
    """Only the sample's owner or an admin of its lab may share it (a 403)."""


def shared_with(sample: Sample) -> QuerySet[Group]:
    """The lab groups the sample is shared with, by name."""
    return Group.objects.filter(shared_samples__sample=sample).order_by("name")


def find_lab(key: str) -> Group:
    """The lab group named ``key``, else the one whose id it is."""
    key = key.strip()
    group = Group.objects.filter(name=key).first() if "\x00" not in key else None
    if group is None and key.isdecimal() and int(key) < 2**31:  # auth groups: 32-bit ids
        group = Group.objects.filter(pk=int(key)).first()
    if group is None:
        raise SharingError(f"there is no lab group {key!r}")
    return group


def require_sharer(user: AbstractBaseUser, sample: Sample) -> None:
    if not can_share(user, sample):
        raise NotAllowedToShare(
            f"only the owner of “{sample.name}” or an admin of {sample.group.name} may share it"
        )


@transaction.atomic
def share(sample: Sample, group: Group, *, by: AbstractBaseUser) -> bool:
    """Let the members of ``group`` see ``sample`` read-only; False if they already could.

    Raises
    ------
    NotAllowedToShare
        ``by`` is neither the owner nor an admin of the sample's lab.
    SharingError
        ``group`` is the sample's own lab.
    """
    require_sharer(by, sample)
    if group.pk == sample.group_id:
        raise SharingError(f"“{sample.name}” belongs to {group.name} already")
    _, created = SampleShare.objects.get_or_create(
        sample=sample, group=group, defaults={"shared_by": by}
    )
    if created:
        _record(sample, by, LabEvent.Action.SAMPLE_SHARED, other_group=group)
    return created


@transaction.atomic
def unshare(sample: Sample, group: Group, *, by: AbstractBaseUser) -> bool:
    """End ``group``'s read access to ``sample``; False if it had none."""
    require_sharer(by, sample)
    deleted, _ = SampleShare.objects.filter(sample=sample, group=group).delete()
    if deleted:
        _record(sample, by, LabEvent.Action.SAMPLE_UNSHARED, other_group=group)
    return bool(deleted)


@transaction.atomic
def set_public(sample: Sample, public: bool, *, by: AbstractBaseUser) -> bool:
    """Make ``sample`` visible read-only to every logged-in user (``public``) or to its
    lab and the labs it is shared with only; False if it already was."""
    require_sharer(by, sample)
    changed = Sample.objects.filter(pk=sample.pk).exclude(is_public=public).update(is_public=public)
    sample.is_public = public
    if changed:
        action = LabEvent.Action.SAMPLE_PUBLIC if public else LabEvent.Action.SAMPLE_PRIVATE
        _record(sample, by, action)
    return bool(changed)


def _record(
    sample: Sample, by: AbstractBaseUser, action: LabEvent.Action, *, other_group=None
) -> None:
    audit.record(
        sample.group,
        by,
        action,
        target=sample.name,
        detail=other_group.name if other_group is not None else "",
        other_group=other_group,
        sample_id=sample.pk,
    )
