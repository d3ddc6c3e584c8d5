"""The labs' audit trail: who changed what, when (membership, roles, sharing)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Group
from django.db.models import Q, QuerySet

from automat_web.accounts.models import LabEvent

#: Rows a page or the API shows at most (the newest).
SHOWN = 200


def record(
    group: Group,
    actor: AbstractBaseUser | None,
    action: LabEvent.Action,
    *,
    target: str = "",
    detail: str = "",
    other_group: Group | None = None,
    sample_id: int | None = None,
) -> LabEvent:
    """Add a row to ``group``'s trail (call it inside the transaction of the change)."""
    return LabEvent.objects.create(
        group=group,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        target=target[:255],
        detail=detail[:255],
        other_group=other_group,
        sample_id=sample_id,
    )


def events(group: Group) -> QuerySet[LabEvent]:
    """The lab's trail, newest first: its own changes, and its being given (or losing)
    read access to another lab's samples."""
    return (
        LabEvent.objects.filter(Q(group=group) | Q(other_group=group))
        .select_related("group", "other_group")
        .order_by("-created", "-id")
    )
