"""REST API for structures, filtered by the caller's lab groups."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from automat_web.samples.api.params import id_param
from automat_web.structures.api.serializers import StructureFilterSerializer, StructureSerializer
from automat_web.structures.models import Structure


@extend_schema_view(list=extend_schema(parameters=[StructureFilterSerializer]))
class StructureViewSet(viewsets.ReadOnlyModelViewSet):
    """Structures of the caller's lab groups (``?formula=``, ``?element=``, ``?sample=``)."""

    serializer_class = StructureSerializer

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
