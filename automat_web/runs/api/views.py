"""REST API for runs: the same services as the pages, filtered by the user's lab groups.

Runs of samples shared with the caller's lab (or public) are listed and readable; starting,
cancelling or rerunning them is a 403, as on the pages.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from automat_web.runs import lifecycle
from automat_web.runs.api.serializers import RunCreateSerializer, RunFilterSerializer, RunSerializer
from automat_web.runs.models import Run
from automat_web.samples.access import require_change
from automat_web.samples.api.params import id_param
from automat_web.samples.models import Sample

INVALID = OpenApiResponse(description="Refused: a list of messages per field.")
READ_ONLY = OpenApiResponse(description="The sample is shared read-only with the caller's lab.")
NOT_FOUND = OpenApiResponse(description="No such run among those the caller may see.")


@extend_schema_view(list=extend_schema(parameters=[RunFilterSerializer]))
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the caller's lab groups (``?sample=``, ``?status=``). POST ``{"sample": id}``
    to start one; ``cancel/`` and ``rerun/`` act on one."""

    serializer_class = RunSerializer

    def get_queryset(self):
        # Object permissions do not cover list or create: filter here, check on create.
        runs = Run.objects.visible_to(self.request.user).select_related("sample", "structure")
        params = self.request.query_params
        RunFilterSerializer(data=params).is_valid(raise_exception=True)
        if id_param(params.get("sample")) is not None:
            runs = runs.filter(sample_id=id_param(params["sample"]))
        if params.get("status") in Run.Status.values:
            runs = runs.filter(status=params["status"])
        return runs

    @extend_schema(
        request=RunCreateSerializer, responses={201: RunSerializer, 400: INVALID, 403: READ_ONLY}
    )
    def create(self, request: Request) -> Response:
        entered = RunCreateSerializer(data=request.data)
        entered.is_valid(raise_exception=True)
        sample = (
            Sample.objects.visible_to(request.user)
            .filter(pk=entered.validated_data["sample"])
            .first()
        )
        if sample is None:
            raise ValidationError({"sample": ["no such sample in your lab groups"]})
        require_change(request.user, sample)
        try:
            run = lifecycle.create_run(
                sample, entered.validated_data["policy"], requested_by=request.user
            )
        except lifecycle.RunRejected as exc:
            raise ValidationError({"sample": [str(exc)]}) from None
        body = RunSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _changeable(self) -> Run:
        """The run, if the caller may act on it: 404 if they cannot see it, else 403."""
        run = self.get_object()
        require_change(self.request.user, run.sample)
        return run

    @extend_schema(
        request=None,
        responses={200: RunSerializer, 400: INVALID, 403: READ_ONLY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        try:
            run = lifecycle.cancel(self._changeable())
        except lifecycle.RunRejected as exc:
            raise ValidationError({"status": [str(exc)]}) from None
        return Response(RunSerializer(run, context={"request": request}).data)

    @extend_schema(
        request=None,
        responses={201: RunSerializer, 400: INVALID, 403: READ_ONLY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str | None = None) -> Response:
        try:
            run = lifecycle.rerun(self._changeable(), requested_by=request.user)
        except lifecycle.RunRejected as exc:
            raise ValidationError({"status": [str(exc)]}) from None
        body = RunSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)
