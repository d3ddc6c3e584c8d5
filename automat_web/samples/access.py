"""Who may change a sample: the one check every mutating page and API action makes.

Reading follows ``Sample.objects.visible_to`` (own labs, shared, public): a sample a user
cannot see is a 404, so its existence does not leak. Changing follows
``Sample.objects.editable_by`` (own labs only): a sample a user can see but not change
is a 403 with a message saying why.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from automat_web.accounts.labs import is_lab_admin, is_member
from automat_web.samples.models import Sample


class ReadOnly(PermissionDenied):
    """The sample is shared with the user (or public), not theirs to change."""


def can_change(user: AbstractBaseUser | AnonymousUser, sample: Sample) -> bool:
    """Whether ``user`` may calibrate, process, rerun or otherwise change ``sample``."""
    return Sample.objects.editable_by(user).filter(pk=sample.pk).exists()


def require_change(user: AbstractBaseUser | AnonymousUser, sample: Sample) -> None:
    """Raise :class:`ReadOnly` (a 403) unless ``user`` may change ``sample``."""
    if not can_change(user, sample):
        raise ReadOnly(
            f"“{sample.name}” is shared read-only by {sample.group.name}: only its members "
            "may change or process it"
        )


def can_share(user: AbstractBaseUser | AnonymousUser, sample: Sample) -> bool:
    """Whether ``user`` may share ``sample`` or make it public: its owner while still a
    member of its lab, or an admin of its lab."""
    if not user.is_authenticated:
        return False
    if sample.owner_id == user.pk and is_member(user, sample.group):
        return True
    return is_lab_admin(user, sample.group)
