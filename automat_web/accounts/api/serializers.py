"""REST representations of labs, their members with roles, and their audit trail."""

from __future__ import annotations

from rest_framework import serializers

from automat_web.accounts.labs import NAME_MAX, ROLES
from automat_web.accounts.models import LabEvent


def _roles(help_text: str) -> serializers.ListField:
    # Plain strings: one set of choices in two fields would get two schema names.
    return serializers.ListField(child=serializers.CharField(), help_text=help_text)


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = _roles("member, plus curator and/or admin.")


class LabSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    my_roles = _roles("The caller's roles here (empty: a superuser who is not a member).")
    can_manage = serializers.BooleanField(
        help_text="Whether the caller may change its members and roles."
    )


class LabDetailSerializer(LabSerializer):
    members = MemberSerializer(many=True)


class CreateLabSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=NAME_MAX, help_text="Unique among the labs, whatever its case."
    )
    admin = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="An existing user's name: the lab's first member and admin (optional).",
    )


class RenameLabSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=NAME_MAX, help_text="The new name, unique among the labs whatever its case."
    )


class AddMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing user's name.")


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=list(ROLES))
    granted = serializers.BooleanField(help_text="true: grant the role; false: revoke it.")


class EventSerializer(serializers.ModelSerializer):
    """One row of the lab's audit trail (rows are only ever added)."""

    lab = serializers.CharField(source="group.name", read_only=True)
    actor = serializers.CharField(source="actor_name", read_only=True)
    description = serializers.CharField(read_only=True)
    other_lab = serializers.CharField(
        source="other_group.name", read_only=True, allow_null=True, default=None
    )
    sample = serializers.IntegerField(source="sample_id", read_only=True, allow_null=True)
    action = serializers.CharField(read_only=True, help_text="What kind of change.")

    class Meta:
        model = LabEvent
        fields = [
            "created", "lab", "actor", "action", "target", "detail", "other_lab", "sample",
            "description",
        ]  # fmt: skip
        read_only_fields = fields
