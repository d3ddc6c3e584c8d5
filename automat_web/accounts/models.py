"""Lab roles and the lab's audit trail.

A lab is a Django auth group; every member may see the lab's samples. On top of that a
member may hold roles: *curator* (``structures.LabCurator``: reviews and corrects the lab's
structures) and *admin* (:class:`LabAdmin`: manages members, roles and sharing). A role
counts only while its holder is still a member (see ``automat_web.accounts.labs``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class LabRole(models.Model):
    """A role a member holds in a lab group (abstract: each role names its own relations).

    Subclasses define ``group`` and ``user`` (with their own ``related_name``) and a unique
    constraint on the pair."""

    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["group", "user"]


class LabAdmin(LabRole):
    """A member of a lab group who manages its members, their roles and its sharing."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="administered_labs"
    )

    class Meta(LabRole.Meta):
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="accounts_lab_admin_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} administers {self.group_id}"


class LabEvent(models.Model):
    """One change to a lab: its creation or name, membership, a role, or the sharing of one
    of its samples.

    Rows are only ever added. Names are kept as text besides the foreign keys, so the trail
    still says who and what after a user, a lab or a sample is deleted.
    """

    class Action(models.TextChoices):
        MEMBER_ADDED = "member_added", "added member"
        MEMBER_REMOVED = "member_removed", "removed member"
        ROLE_GRANTED = "role_granted", "granted role"
        ROLE_REVOKED = "role_revoked", "revoked role"
        SAMPLE_SHARED = "sample_shared", "shared sample"
        SAMPLE_UNSHARED = "sample_unshared", "stopped sharing sample"
        SAMPLE_PUBLIC = "sample_public", "made sample public"
        SAMPLE_PRIVATE = "sample_private", "made sample private"
        LAB_CREATED = "lab_created", "created lab"
        LAB_RENAMED = "lab_renamed", "renamed lab"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Who, as they were named.")
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(
        max_length=255,
        blank=True,
        help_text="The member's user name, the sample's name or the lab's (new) name.",
    )
    detail = models.CharField(
        max_length=255, blank=True, help_text="The role, the other lab, or the lab's old name."
    )
    other_group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The lab a sample was shared with or unshared from.",
    )
    sample_id = models.BigIntegerField(null=True, blank=True, help_text="The sample, if any.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["group", "-created"])]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name}: {self.description}"

    @property
    def description(self) -> str:
        """What happened, in words ("granted curator to bob")."""
        action, target, detail = self.Action(self.action), self.target, self.detail
        if action in (self.Action.ROLE_GRANTED, self.Action.ROLE_REVOKED):
            word = "granted" if action == self.Action.ROLE_GRANTED else "revoked"
            preposition = "to" if action == self.Action.ROLE_GRANTED else "from"
            return f"{word} {detail} {preposition} {target}"
        if action in (self.Action.SAMPLE_SHARED, self.Action.SAMPLE_UNSHARED):
            preposition = "with" if action == self.Action.SAMPLE_SHARED else "from"
            return f"{action.label} “{target}” {preposition} {detail}"
        if action in (self.Action.SAMPLE_PUBLIC, self.Action.SAMPLE_PRIVATE):
            return f"made sample “{target}” " + (
                "public" if action == self.Action.SAMPLE_PUBLIC else "private"
            )
        if action == self.Action.LAB_RENAMED:
            return f"renamed lab “{detail}” to “{target}”"
        if action == self.Action.LAB_CREATED:
            return f"created lab “{target}”"
        return f"{action.label} {target}"
