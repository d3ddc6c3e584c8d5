"""REST API for samples: the same services as the pages, filtered by the user's lab groups.

Samples shared with the caller's lab (or public) are listed and readable; changing them is
a 403. Sharing goes through ``samples.sharing``, as on the sample page.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import Group
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from automat_web.accounts.groups import lab_groups
from automat_web.runs.filters import filter_samples
from automat_web.samples import access, services, sharing
from automat_web.samples.api.serializers import (
    CalibrationSerializer,
    ModeSerializer,
    SampleFilterSerializer,
    SampleSerializer,
    ShareSerializer,
    SharingSerializer,
    SuggestionsSerializer,
    UploadResultSerializer,
    UploadSerializer,
    VisibilitySerializer,
)
from automat_web.samples.models import Sample
from automat_web.samples.uploads import multipart_data

#: A refused request: what is wrong, per field (``{"field": ["message", ...]}``).
INVALID = OpenApiResponse(description="Invalid input: a list of messages per field.")
READ_ONLY = OpenApiResponse(
    description="The caller may see the sample but not do this (shared read-only, or "
    "sharing is for its owner and its lab's admins)."
)
NOT_FOUND = OpenApiResponse(description="No such sample among those the caller may see.")
CHANGE_ERRORS = {400: INVALID, 403: READ_ONLY, 404: NOT_FOUND}


@extend_schema_view(list=extend_schema(parameters=[SampleFilterSerializer]))
class SampleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Samples of the caller's lab groups. POST a multipart upload to create one."""

    serializer_class = SampleSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        # Object permissions do not cover list or create: filter here, check on create.
        samples = Sample.objects.visible_to(self.request.user).select_related(
            "owner", "group", "micrograph"
        )
        params = self.request.query_params
        SampleFilterSerializer(data=params).is_valid(raise_exception=True)
        if params.get("q"):
            samples = samples.filter(name__icontains=params["q"])
        if params.get("status") == "ready":
            samples = samples.ready()
        elif params.get("status") == "needs_input":
            samples = samples.needing_input()
        return filter_samples(samples, params)[0]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: UploadResultSerializer, 200: UploadResultSerializer, 400: INVALID},
        description="Upload a micrograph (multipart). 201: a new sample; 200: this lab "
        "already has the file, and the answer is that sample.",
    )
    def create(self, request: Request) -> Response:
        data = multipart_data(request)
        upload = UploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        group_key = data["group"]
        group = (
            lab_groups(request.user).filter(Q(name=group_key) | Q(pk=_group_id(group_key))).first()
        )
        if group is None:
            raise ValidationError({"group": [f"you are not a member of a lab group {group_key!r}"]})
        try:
            outcome = services.ingest_upload(
                path=Path(data["file"].temporary_file_path()),
                filename=data["file"].name,
                owner=request.user,
                group=group,
                name=data["name"],
                notes=data["notes"],
                elements=data["elements"],
                pixel_size_A=data["pixel_size_A"],
                signal=data["signal"] or None,
                stack=data["stack"] or None,
                mode=data["mode"] or None,
            )
        except services.UploadRejected as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        body = SampleSerializer(outcome.sample, context={"request": request}).data
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response({**body, "message": outcome.message}, status=code)

    def _changeable(self) -> Sample:
        """The sample, if the caller may change it: 404 if they cannot see it, else 403."""
        sample = self.get_object()
        access.require_change(self.request.user, sample)
        return sample

    @extend_schema(responses={200: SampleSerializer, **CHANGE_ERRORS})
    @action(detail=True, methods=["post"], serializer_class=CalibrationSerializer)
    def calibration(self, request: Request, pk: str | None = None) -> Response:
        sample = self._changeable()
        entered = CalibrationSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        try:
            services.set_pixel_size(sample, entered.validated_data["pixel_size_A"])
        except services.UploadRejected as exc:
            raise ValidationError({"pixel_size_A": [str(exc)]}) from None
        return Response(SampleSerializer(sample, context={"request": request}).data)

    @extend_schema(responses={200: SampleSerializer, **CHANGE_ERRORS})
    @action(detail=True, methods=["post"], url_path="imaging-mode", serializer_class=ModeSerializer)
    def imaging_mode(self, request: Request, pk: str | None = None) -> Response:
        sample = self._changeable()
        entered = ModeSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        services.set_imaging_mode(sample, entered.validated_data["mode"] or None)
        return Response(SampleSerializer(sample, context={"request": request}).data)

    @extend_schema(responses=SuggestionsSerializer)
    @action(detail=True, methods=["get"], url_path="pixel-size-suggestions")
    def pixel_size_suggestions(self, request: Request, pk: str | None = None) -> Response:
        """Pixel sizes under which a known monolayer of the sample's elements fits the
        lattice its image shows, best first (a person confirms one through calibration)."""
        sample = self.get_object()
        return Response({"suggestions": services.pixel_size_suggestions(sample)})

    @extend_schema(responses={200: SharingSerializer, 403: READ_ONLY, 404: NOT_FOUND})
    @action(detail=True, methods=["get"])
    def sharing(self, request: Request, pk: str | None = None) -> Response:
        """Whether the sample is public and which labs it is shared with (for members of
        its own lab)."""
        return Response(_sharing(self._changeable()))

    @extend_schema(
        request=ShareSerializer,
        responses={200: SharingSerializer, **CHANGE_ERRORS},
        description="Let another lab group see the sample, its runs, files and structures "
        "read-only (its owner or an admin of its lab).",
    )
    @action(detail=True, methods=["post"], serializer_class=ShareSerializer)
    def share(self, request: Request, pk: str | None = None) -> Response:
        sample, group = self._sharing_request(request)
        return self._shared(sample, lambda: sharing.share(sample, group, by=request.user))

    @extend_schema(
        request=ShareSerializer,
        responses={200: SharingSerializer, **CHANGE_ERRORS},
        description="End a lab group's read access (no change if it had none).",
    )
    @action(detail=True, methods=["post"], serializer_class=ShareSerializer)
    def unshare(self, request: Request, pk: str | None = None) -> Response:
        sample, group = self._sharing_request(request)
        return self._shared(sample, lambda: sharing.unshare(sample, group, by=request.user))

    @extend_schema(
        request=VisibilitySerializer,
        responses={200: SharingSerializer, **CHANGE_ERRORS},
        description="Make the sample public (read-only to every logged-in user) or private.",
    )
    @action(detail=True, methods=["post"], serializer_class=VisibilitySerializer)
    def visibility(self, request: Request, pk: str | None = None) -> Response:
        sample = self.get_object()
        sharing.require_sharer(request.user, sample)
        entered = VisibilitySerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        public = entered.validated_data["public"]
        return self._shared(sample, lambda: sharing.set_public(sample, public, by=request.user))

    def _sharing_request(self, request: Request) -> tuple[Sample, Group]:
        sample = self.get_object()
        sharing.require_sharer(request.user, sample)
        entered = ShareSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        try:
            return sample, sharing.find_lab(entered.validated_data["group"])
        except sharing.SharingError as exc:
            raise ValidationError({"group": [str(exc)]}) from None

    def _shared(self, sample: Sample, change) -> Response:
        try:
            change()
        except sharing.SharingError as exc:
            raise ValidationError({"group": [str(exc)]}) from None
        return Response(_sharing(sample))


def _sharing(sample: Sample) -> dict:
    labs = [{"id": lab.pk, "name": lab.name} for lab in sharing.shared_with(sample)]
    return SharingSerializer({"public": sample.is_public, "shared_with": labs}).data


def _group_id(key: str) -> int | None:
    """``key`` as a group id, if it can be one (auth groups have 32-bit ids)."""
    return int(key) if key.isdecimal() and int(key) < 2**31 else None
