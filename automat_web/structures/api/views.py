"""REST API for structures, filtered by the caller's lab groups, and the curation actions
(review, correct, promote) through the same services as the pages.

As on the pages: another lab's structure is a 404; a member of its lab who is not one of
its curators gets a 403 on an action.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from automat_web.samples.api.params import id_param
from automat_web.structures import annotations as notes
from automat_web.structures import services
from automat_web.structures.api.serializers import (
    AnnotationsSerializer,
    CorrectionRequestSerializer,
    PromotedSerializer,
    ReviewRequestSerializer,
    ReviewSerializer,
    StructureDetailSerializer,
    StructureFilterSerializer,
    StructureSerializer,
)
from automat_web.structures.models import Structure

INVALID = OpenApiResponse(description="Refused: a list of messages per field.")
NOT_A_CURATOR = OpenApiResponse(description="Only curators of the structure's lab may do this.")
NOT_FOUND = OpenApiResponse(description="No such structure in the caller's lab groups.")
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
ACTION_ERRORS = {400: INVALID, 403: NOT_A_CURATOR, 404: NOT_FOUND}


@extend_schema_view(
    list=extend_schema(parameters=[StructureFilterSerializer]),
    retrieve=extend_schema(responses=StructureDetailSerializer),
)
class StructureViewSet(viewsets.ReadOnlyModelViewSet):
    """Structures of the caller's lab groups (``?formula=``, ``?element=``, ``?sample=``);
    one structure with its review trail and (GET ``annotations/``) its micrograph's
    annotations. Curators of its lab POST ``review/``, ``correct/`` and ``promote/``."""

    serializer_class = StructureSerializer

    def get_serializer_class(self):
        return StructureDetailSerializer if self.action == "retrieve" else StructureSerializer

    def get_queryset(self):
        structures = Structure.objects.visible_to(self.request.user).select_related("origin_run")
        params = self.request.query_params
        StructureFilterSerializer(data=params).is_valid(raise_exception=True)
        if params.get("formula"):
            structures = structures.filter(formula__iexact=params["formula"])
        if params.get("element"):
            structures = structures.filter(elements__contains=[params["element"]])
        if id_param(params.get("sample")) is not None:
            structures = structures.filter(origin_run__sample_id=id_param(params["sample"]))
        return structures

    def _curated(self) -> Structure:
        """The structure, if the caller curates its lab: 404 for other labs, else 403."""
        structure = self.get_object()
        if not services.can_curate(self.request.user, structure):
            raise PermissionDenied("only the lab's curators may do this")
        return structure

    @extend_schema(
        request=ReviewRequestSerializer,
        responses={201: ReviewSerializer, **ACTION_ERRORS},
        description="Accept or reject the structure (a row added to its review trail).",
    )
    @action(detail=True, methods=["post"], serializer_class=ReviewRequestSerializer)
    def review(self, request: Request, pk: str | None = None) -> Response:
        structure = self._curated()
        body = ReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            row = services.review(structure, reviewer=request.user, **body.validated_data)
        except services.CurationError as exc:
            raise ValidationError({"state": [str(exc)]}) from None
        return Response(ReviewSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CorrectionRequestSerializer,
        responses={201: StructureDetailSerializer, **ACTION_ERRORS},
        description="Save edits (element changes, moves, additions, removals, a new "
        "lattice) as a new version (the structure becomes corrected; the new version's "
        "energy is queued). The machine result is never changed.",
    )
    @action(detail=True, methods=["post"], serializer_class=CorrectionRequestSerializer)
    def correct(self, request: Request, pk: str | None = None) -> Response:
        structure = self._curated()
        body = CorrectionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = services.correct(structure, curator=request.user, **body.validated_data)
        except services.CurationError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from None
        data = StructureDetailSerializer(version, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: AnnotationsSerializer, 404: NOT_FOUND},
        description="The micrograph's annotations: the reconstruction's columns in Å in the "
        "image frame with their elements, the lattice, provenance and links to the image.",
    )
    @action(detail=True, methods=["get"])
    def annotations(self, request: Request, pk: str | None = None) -> Response:
        return Response(notes.document(request, self.get_object()))

    @extend_schema(
        request=None,
        responses={200: PromotedSerializer, **ACTION_ERRORS},
        description="Put an accepted structure into the template library (rendered and "
        "described in every imaging mode; template search finds it at once).",
    )
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str | None = None) -> Response:
        structure = self._curated()
        try:
            template = services.promote(structure, curator=request.user)
        except services.CurationError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from None
        return Response(
            {
                "library_id": template.source_id,
                "formula": template.formula,
                "spacegroup": template.spacegroup,
            }
        )
