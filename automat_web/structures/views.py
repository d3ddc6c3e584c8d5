"""Structure downloads (group-scoped like samples: another lab's structure is a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from automat_web.structures.models import Structure


@login_required
def cif(request: HttpRequest, pk: int) -> HttpResponse:
    """The CIF, as an attachment (``inline=1``: as text, for the 3D viewer's fetch)."""
    structure = get_object_or_404(Structure.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(structure.cif, content_type="chemical/x-cif; charset=utf-8")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{structure.cif_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
