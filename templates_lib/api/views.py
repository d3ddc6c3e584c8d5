"""REST API of the template library: search it by formula, element set or micrograph."""

from __future__ import annotations

import tempfile
from pathlib import Path

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from automat_web.samples.uploads import multipart_data
from templates_lib.api import search
from templates_lib.api.serializers import (
    ImageQuerySerializer,
    TemplateQuerySerializer,
    TemplateSearchSerializer,
)

INVALID = OpenApiResponse(description="Refused: a list of messages per field.")


class TemplateSearchView(APIView):
    """GET ``?formula=MoS2`` or ``?elements=Mo,S``: templates of that chemistry. POST a
    micrograph (multipart): the nearest templates by descriptor distance."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[TemplateQuerySerializer],
        responses={200: TemplateSearchSerializer, 400: INVALID},
    )
    def get(self, request: Request) -> Response:
        query = TemplateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        try:
            if q["formula"]:
                results = search.by_formula(q["formula"], k=q["k"])
            else:
                results = search.by_elements(q["elements"], k=q["k"])
        except search.SearchRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        return Response({"lattice": None, "results": results})

    @extend_schema(
        request={"multipart/form-data": ImageQuerySerializer},
        responses={200: TemplateSearchSerializer, 400: INVALID},
        description="Describe the micrograph (columns, lattice and motif in Å) and return "
        "the k nearest templates in its imaging mode, nearest first.",
    )
    def post(self, request: Request) -> Response:
        data = multipart_data(request)
        query = ImageQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        with tempfile.TemporaryDirectory() as tmp:
            try:
                lattice, results = search.by_image(
                    _on_disk(q["file"], Path(tmp)),
                    pixel_size_A=q["pixel_size_A"],
                    mode=q["mode"] or None,
                    elements=q["elements"],
                    k=q["k"],
                )
            except search.SearchRefused as exc:
                raise ValidationError({exc.field: [str(exc)]}) from None
        return Response({"lattice": lattice, "results": results})


def _on_disk(upload, tmp: Path) -> Path:
    """The uploaded file's path (uploads are spooled to disk; a test client's may not be)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    path = tmp / "upload"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path
