"""REST API for structures, filtered by the caller's lab groups."""

from __future__ import annotations

from rest_framework import viewsets

from automat_web.structures.api.serializers import StructureSerializer
from automat_web.structures.models import Structure


class StructureViewSet(viewsets.ReadOnlyModelViewSet):
    """Structures of the caller's lab groups (``?formula=``, ``?element=``, ``?sample=``)."""

    serializer_class = StructureSerializer

    def get_queryset(self):
        structures = Structure.objects.visible_to(self.request.user).select_related("origin_run")
        params = self.request.query_params
        if params.get("formula"):
            structures = structures.filter(formula__iexact=params["formula"])
        if params.get("element"):
            structures = structures.filter(elements__contains=[params["element"]])
        if params.get("sample", "").isdigit():
            structures = structures.filter(origin_run__sample_id=int(params["sample"]))
        return structures
