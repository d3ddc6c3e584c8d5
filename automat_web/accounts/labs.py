"""Managing a lab: its name, its members and their roles (member, curator, admin), with an
audit row for every change. The Labs page, the API and the tests call these services.

Rules:

- a superuser creates a lab, optionally with a first admin; a lab admin (or a superuser)
  renames it. Names are unique regardless of case: the database refuses an exact clash
  (``Group.name`` is unique) and a lock serialises naming, so two people creating "Lab X"
  and "lab x" at once cannot both succeed;
- a lab admin (or a superuser: admin of every lab) adds and removes members and grants
  and revokes roles; other members see the member list only;
- a role counts only while its holder is a member, and removing a member ends their roles;
- a lab keeps at least one admin: removing or demoting the last one is refused. Changes
  to one lab's roles take a lock on its row, so two admins demoting each other at once
  cannot leave it with none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from automat_web.accounts import audit
from automat_web.accounts.groups import lab_groups
from automat_web.accounts.models import LabAdmin, LabEvent
from automat_web.structures.curators import grant_curator, revoke_curator
from automat_web.structures.models import LabCurator

#: The roles a member may hold on top of membership.
ROLES = ("curator", "admin")

#: The longest lab name (``Group.name``).
NAME_MAX = Group._meta.get_field("name").max_length

#: Key of the PostgreSQL advisory lock held while a lab is named (created or renamed).
_NAMING_LOCK = 0x6C61_6273  # "labs"


class LabError(ValueError):
    """A change to a lab that is refused; the message says why, for a person."""


class NoSuchUser(LabError):
    pass


class NotAMember(LabError):
    pass


class LastAdmin(LabError):
    """Removing or demoting the lab's only admin."""


class BadLabName(LabError):
    """A blank, too long or otherwise unusable lab name."""


class NameTaken(LabError):
    """Another lab has this name (regardless of case)."""


class NotALabAdmin(PermissionDenied):
    """Only the lab's admins may do this (a 403 on the pages and in the API)."""


class NotASuperuser(PermissionDenied):
    """Only a site administrator may do this (a 403 on the pages and in the API)."""


@dataclass(frozen=True)
class Member:
    """A member of a lab and the roles they hold there."""

    user: AbstractBaseUser
    curator: bool
    admin: bool

    @property
    def username(self) -> str:
        return self.user.get_username()

    @property
    def roles(self) -> list[str]:
        return ["member"] + [role for role in ROLES if getattr(self, role)]


def visible_labs(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Group]:
    """The labs whose page ``user`` may open: their own, or every lab for a superuser."""
    if user.is_authenticated and user.is_superuser and user.is_active:
        return Group.objects.order_by("name")
    return lab_groups(user)


def is_member(user: AbstractBaseUser, group: Group) -> bool:
    return user.is_authenticated and user.groups.filter(pk=group.pk).exists()


def is_lab_admin(user: AbstractBaseUser | AnonymousUser, group: Group) -> bool:
    """Whether ``user`` manages ``group``: a superuser, or a member holding the admin role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return LabAdmin.objects.filter(group=group, user=user, group__user=user).exists()


def roles_of(user: AbstractBaseUser, group: Group) -> list[str]:
    """``user``'s roles in ``group`` (empty when not a member)."""
    found = members(group).filter(pk=user.pk).first()
    return _member(found).roles if found is not None else []


def members(group: Group) -> QuerySet:
    """The lab's users by name, annotated ``is_curator`` and ``is_admin``."""
    return (
        get_user_model()
        .objects.filter(groups=group)
        .annotate(
            is_curator=Exists(LabCurator.objects.filter(group=group, user=OuterRef("pk"))),
            is_admin=Exists(LabAdmin.objects.filter(group=group, user=OuterRef("pk"))),
        )
        .order_by("username")
    )


def member_list(group: Group) -> list[Member]:
    return [_member(user) for user in members(group)]


def _member(user: AbstractBaseUser) -> Member:
    return Member(user=user, curator=user.is_curator, admin=user.is_admin)


def find_user(username: str) -> AbstractBaseUser:
    # A NUL is no user name, and PostgreSQL refuses it in a query.
    user = (
        get_user_model().objects.filter(username=username.strip()).first()
        if "\x00" not in username
        else None
    )
    if user is None:
        raise NoSuchUser(f"there is no user named {username.strip()!r}")
    return user


def find_member(group: Group, username: str) -> AbstractBaseUser:
    user = members(group).filter(username=username).first() if "\x00" not in username else None
    if user is None:
        raise NotAMember(f"{username!r} is not a member of {group.name}")
    return user


def require_admin(user: AbstractBaseUser, group: Group) -> None:
    if not is_lab_admin(user, group):
        raise NotALabAdmin(f"only the admins of {group.name} may change its members and roles")


def can_create_labs(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` may create labs: an active superuser."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def require_superuser(user: AbstractBaseUser | AnonymousUser) -> None:
    if not can_create_labs(user):
        raise NotASuperuser("only a site administrator may create labs")


def users_to_choose() -> QuerySet:
    """The active users, by name: whom a superuser may make a new lab's first admin."""
    return get_user_model().objects.filter(is_active=True).order_by("username")


def clean_lab_name(name: str) -> str:
    """``name`` without surrounding white space.

    Raises
    ------
    BadLabName
        It is blank, longer than ``NAME_MAX`` characters or holds a NUL.
    """
    name = name.strip()
    if not name:
        raise BadLabName("a lab needs a name")
    if len(name) > NAME_MAX:
        raise BadLabName(f"a lab name has at most {NAME_MAX} characters (this has {len(name)})")
    if "\x00" in name:  # PostgreSQL refuses a NUL in text
        raise BadLabName("a lab name cannot hold a NUL character")
    return name


@transaction.atomic
def create_lab(name: str, *, by: AbstractBaseUser, admin: AbstractBaseUser | None = None) -> Group:
    """Create the lab ``name`` (a superuser only); ``admin`` becomes its first member and
    admin. Every step is a row of the new lab's audit trail.

    Raises
    ------
    NotASuperuser
        ``by`` is not a site administrator.
    BadLabName, NameTaken
        The name is unusable, or another lab has it (regardless of case).
    """
    require_superuser(by)
    name = clean_lab_name(name)
    _lock_naming()
    _refuse_taken(name)
    group = _saved(Group(name=name))
    audit.record(group, by, LabEvent.Action.LAB_CREATED, target=name)
    if admin is not None:
        add_member(group, admin, by=by)
        set_role(group, admin, "admin", True, by=by)
    return group


@transaction.atomic
def rename_lab(group: Group, name: str, *, by: AbstractBaseUser) -> bool:
    """Rename ``group`` (its admins or a superuser); False if the name is unchanged.

    Raises
    ------
    NotALabAdmin
        ``by`` does not administer the lab.
    BadLabName, NameTaken
        The name is unusable, or another lab has it (regardless of case).
    """
    require_admin(by, group)
    name = clean_lab_name(name)
    _lock_naming()
    _lock(group)
    old = Group.objects.values_list("name", flat=True).get(pk=group.pk)
    if name == old:
        return False
    _refuse_taken(name, but=group)
    group.name = name
    try:
        _saved(group)
    except NameTaken:
        group.name = old
        raise
    audit.record(group, by, LabEvent.Action.LAB_RENAMED, target=name, detail=old)
    return True


def _refuse_taken(name: str, *, but: Group | None = None) -> None:
    others = Group.objects.filter(name__iexact=name)
    if but is not None:
        others = others.exclude(pk=but.pk)
    taken = others.values_list("name", flat=True).first()
    if taken is not None:
        raise NameTaken(f"there is already a lab named {taken!r}: choose another name")


def _saved(group: Group) -> Group:
    """Save ``group``; the unique name in the database is the last word on a clash."""
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise NameTaken(
            f"there is already a lab named {group.name!r}: choose another name"
        ) from None
    return group


def _lock_naming() -> None:
    """Serialise the naming of labs until the transaction ends: the case-insensitive clash
    check reads every name, and the database's unique index only sees exact clashes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NAMING_LOCK])


@transaction.atomic
def add_member(group: Group, user: AbstractBaseUser, *, by: AbstractBaseUser) -> bool:
    """Make ``user`` a member of ``group``; False if they already were."""
    require_admin(by, group)
    _lock(group)
    if is_member(user, group):
        return False
    user.groups.add(group)
    audit.record(group, by, LabEvent.Action.MEMBER_ADDED, target=user.get_username())
    return True


@transaction.atomic
def remove_member(group: Group, user: AbstractBaseUser, *, by: AbstractBaseUser) -> None:
    """Take ``user`` out of ``group``, ending their roles there.

    Raises
    ------
    NotAMember
        ``user`` is not in the group.
    LastAdmin
        ``user`` is the lab's only admin.
    """
    require_admin(by, group)
    _lock(group)
    if not is_member(user, group):
        raise NotAMember(f"{user.get_username()} is not a member of {group.name}")
    _keep_an_admin(group, user, "remove")
    LabAdmin.objects.filter(group=group, user=user).delete()
    revoke_curator(user, group)
    user.groups.remove(group)
    audit.record(group, by, LabEvent.Action.MEMBER_REMOVED, target=user.get_username())


@transaction.atomic
def set_role(
    group: Group, user: AbstractBaseUser, role: str, granted: bool, *, by: AbstractBaseUser
) -> bool:
    """Grant (``granted``) or revoke ``role`` ("curator" or "admin") of a member; False if
    nothing changed.

    Raises
    ------
    NotAMember
        ``user`` is not in the group (grant a role only to a member).
    LastAdmin
        Revoking admin from the lab's only admin.
    """
    if role not in ROLES:
        raise LabError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    require_admin(by, group)
    _lock(group)
    if not is_member(user, group):
        raise NotAMember(f"{user.get_username()} is not a member of {group.name}")
    if granted:
        changed = _grant(group, user, role, by=by)
    else:
        if role == "admin":
            _keep_an_admin(group, user, "demote")
        changed = _revoke(group, user, role)
    if changed:
        action = LabEvent.Action.ROLE_GRANTED if granted else LabEvent.Action.ROLE_REVOKED
        audit.record(group, by, action, target=user.get_username(), detail=role)
    return changed


def _grant(group: Group, user: AbstractBaseUser, role: str, *, by: AbstractBaseUser) -> bool:
    if role == "curator":
        if LabCurator.objects.filter(group=group, user=user).exists():
            return False
        grant_curator(user, group, granted_by=by)
        return True
    _, created = LabAdmin.objects.get_or_create(group=group, user=user, defaults={"granted_by": by})
    return created


def _revoke(group: Group, user: AbstractBaseUser, role: str) -> bool:
    if role == "curator":
        return revoke_curator(user, group)
    deleted, _ = LabAdmin.objects.filter(group=group, user=user).delete()
    return bool(deleted)


def _keep_an_admin(group: Group, user: AbstractBaseUser, verb: str) -> None:
    holders = LabAdmin.objects.filter(group=group, user__groups=group)
    if holders.filter(user=user).exists() and not holders.exclude(user=user).exists():
        raise LastAdmin(
            f"cannot {verb} {user.get_username()}: they are the only admin of {group.name}. "
            "Make another member admin first."
        )


def _lock(group: Group) -> None:
    """Serialise changes to one lab's members and roles (the last-admin check reads them)."""
    Group.objects.select_for_update().filter(pk=group.pk).first()
