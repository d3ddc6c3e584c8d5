"""REST API for labs: creating (superusers) and renaming (the lab's admins) a lab, members
and their roles, adding and removing members, granting and revoking roles, and the audit
trail, through the services of ``accounts.labs``.

A lab the caller is not a member of is a 404 (superusers see every lab); a member who is
not an admin of the lab gets a 403 on a change, and anyone but a superuser a 403 on
creating a lab.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from automat_web.accounts import audit, labs
from automat_web.accounts.api.serializers import (
    AddMemberSerializer,
    CreateLabSerializer,
    EventSerializer,
    LabDetailSerializer,
    LabSerializer,
    MemberSerializer,
    RenameLabSerializer,
    RoleSerializer,
)

INVALID = OpenApiResponse(description="Refused: a list of messages per field.")
NOT_ADMIN = OpenApiResponse(description="Only the lab's admins may do this.")
NOT_FOUND = OpenApiResponse(description="No such lab among the caller's, or no such member.")
CHANGE_ERRORS = {400: INVALID, 403: NOT_ADMIN, 404: NOT_FOUND}
USERNAME = OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH)
#: A username in a path: anything but a slash (Django allows letters, digits and @.+-_).
USERNAME_PATH = r"members/(?P<username>[^/]+)"


class LabViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's lab groups (every lab for a superuser), each with its members and their
    roles. Superusers create labs; admins of a lab rename it, add and remove members and
    grant and revoke roles."""

    serializer_class = LabSerializer
    pagination_class = None
    # Auth groups have 32-bit ids: a longer number is a 404, not a database error.
    lookup_value_regex = r"[0-9]{1,9}"

    def get_queryset(self):
        return labs.visible_labs(self.request.user)

    def get_serializer_class(self):
        return LabDetailSerializer if self.action == "retrieve" else LabSerializer

    def list(self, request: Request) -> Response:
        return Response([self._lab(group) for group in self.get_queryset()])

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        group = self.get_object()
        return Response(self._detail(group))

    @extend_schema(
        request=CreateLabSerializer,
        responses={
            201: LabDetailSerializer,
            400: INVALID,
            403: OpenApiResponse(description="Only a superuser may create labs."),
        },
        description="Create a lab (superusers only), optionally with its first admin.",
    )
    def create(self, request: Request) -> Response:
        labs.require_superuser(request.user)
        entered = CreateLabSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        chosen = (entered.validated_data.get("admin") or "").strip()
        try:
            admin = labs.find_user(chosen) if chosen else None
        except labs.LabError as exc:
            raise ValidationError({"admin": [str(exc)]}) from None
        try:
            group = labs.create_lab(entered.validated_data["name"], by=request.user, admin=admin)
        except labs.LabError as exc:
            raise ValidationError({"name": [str(exc)]}) from None
        return Response(self._detail(group), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RenameLabSerializer,
        responses={200: LabDetailSerializer, **CHANGE_ERRORS},
        description="Rename the lab (its admins or a superuser).",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        group = self.get_object()
        labs.require_admin(request.user, group)
        entered = RenameLabSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        try:
            labs.rename_lab(group, entered.validated_data["name"], by=request.user)
        except labs.LabError as exc:
            raise ValidationError({"name": [str(exc)]}) from None
        return Response(self._detail(group))

    @extend_schema(methods=["GET"], responses=MemberSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=AddMemberSerializer,
        responses={201: MemberSerializer, 200: MemberSerializer, **CHANGE_ERRORS},
        description="Add an existing user (201; 200 when already a member).",
    )
    @action(detail=True, methods=["get", "post"], serializer_class=AddMemberSerializer)
    def members(self, request: Request, pk: str | None = None) -> Response:
        group = self.get_object()
        if request.method == "GET":
            return Response(self._members(group))
        labs.require_admin(request.user, group)
        entered = AddMemberSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        try:
            user = labs.find_user(entered.validated_data["username"])
        except labs.LabError as exc:
            raise ValidationError({"username": [str(exc)]}) from None
        added = labs.add_member(group, user, by=request.user)
        code = status.HTTP_201_CREATED if added else status.HTTP_200_OK
        return Response(self._member(group, user.get_username()), status=code)

    @extend_schema(
        parameters=[USERNAME],
        request=None,
        responses={204: None, **CHANGE_ERRORS},
        description="Remove a member (and their roles); the lab's last admin cannot be removed.",
    )
    @action(detail=True, methods=["delete"], url_path=USERNAME_PATH, url_name="member")
    def member(self, request: Request, pk: str | None = None, username: str = "") -> Response:
        group = self.get_object()
        labs.require_admin(request.user, group)
        try:
            labs.remove_member(group, self._find_member(group, username), by=request.user)
        except labs.LabError as exc:
            raise ValidationError({"username": [str(exc)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[USERNAME],
        request=RoleSerializer,
        responses={200: MemberSerializer, **CHANGE_ERRORS},
        description="Grant or revoke curator or admin; the lab's last admin cannot be demoted.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=USERNAME_PATH + "/roles",
        url_name="roles",
        serializer_class=RoleSerializer,
    )
    def roles(self, request: Request, pk: str | None = None, username: str = "") -> Response:
        group = self.get_object()
        labs.require_admin(request.user, group)
        user = self._find_member(group, username)
        entered = RoleSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        try:
            labs.set_role(group, user, **entered.validated_data, by=request.user)
        except labs.LabError as exc:
            raise ValidationError({"role": [str(exc)]}) from None
        return Response(self._member(group, username))

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The lab's audit trail, newest first (the latest 200 changes)."""
        rows = audit.events(self.get_object())[: audit.SHOWN]
        return Response(EventSerializer(rows, many=True).data)

    def _lab(self, group: Group) -> dict:
        return {
            "id": group.pk,
            "name": group.name,
            "my_roles": labs.roles_of(self.request.user, group),
            "can_manage": labs.is_lab_admin(self.request.user, group),
        }

    def _detail(self, group: Group) -> dict:
        return {**self._lab(group), "members": self._members(group)}

    def _members(self, group: Group) -> list[dict]:
        return [{"username": m.username, "roles": m.roles} for m in labs.member_list(group)]

    def _member(self, group: Group, username: str) -> dict:
        return {
            "username": username,
            "roles": labs.roles_of(self._find_member(group, username), group),
        }

    def _find_member(self, group: Group, username: str):
        try:
            return labs.find_member(group, username)
        except labs.NotAMember as exc:
            raise NotFound(str(exc)) from None
