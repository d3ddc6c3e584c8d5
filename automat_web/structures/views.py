"""Structure pages: browse and filter, export, the structure page with its review trail
and versions, and the curation actions (review, correct, energy, promote).

Group-scoped like samples: another lab's structure is a 404, never a 403, so its existence
does not leak; a member of the lab who is not one of its curators gets a 403 on an action.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from automat_web.accounts.groups import lab_groups
from automat_web.accounts.tokens import login_or_token_required
from automat_web.runs.models import StepArtifact
from automat_web.structures import annotations as notes
from automat_web.structures import export as exports
from automat_web.structures import services
from automat_web.structures.editing import CorrectionError, lattice, sites
from automat_web.structures.filters import filter_structures
from automat_web.structures.forms import ReviewForm, edits_from_post, submitted, table_rows
from automat_web.structures.models import Structure

#: Overlay colours per element (by first appearance), as the reconstruction's overlay.
PALETTE = ["#e63c3c", "#3c8cff", "#3cc85a", "#f0c828", "#c850dc"]


def _visible(request: HttpRequest, pk: int) -> Structure:
    structures = Structure.objects.visible_to(request.user).select_related(
        "origin_run__sample__group", "parent", "created_by", "promoted_by"
    )
    return get_object_or_404(structures, pk=pk)


def _curated(request: HttpRequest, pk: int) -> Structure:
    """The structure, if ``request.user`` curates its lab: 404 for other labs, else 403."""
    structure = _visible(request, pk)
    if not services.can_curate(request.user, structure):
        raise PermissionDenied("only the lab's curators may do this")
    return structure


@login_required
def structure_list(request: HttpRequest) -> HttpResponse:
    structures = Structure.objects.visible_to(request.user).select_related(
        "origin_run__sample__group"
    )
    structures, filters = filter_structures(structures, request.GET, user=request.user)
    page = Paginator(structures, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "labs": lab_groups(request.user),
        "states": Structure.Curation.choices,
    }
    template = "structures/_table.html" if request.htmx else "structures/list.html"
    return render(request, template, context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered structures as a zip (CIFs, one extxyz, manifest.json)."""
    structures, filters = filter_structures(
        Structure.objects.visible_to(request.user), request.GET, user=request.user
    )
    rows = exports.for_export(structures)
    if len(rows) > exports.MAX_STRUCTURES:
        return HttpResponse(
            f"More than {exports.MAX_STRUCTURES} structures match: narrow the filters.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = exports.export_zip(rows, exported_by=request.user.get_username(), filters=filters)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="structures.zip"'
    return response


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "structures/detail.html", _page(request, _visible(request, pk)))


def _page(request: HttpRequest, structure: Structure, post=None) -> dict:
    """The structure page's context; ``post``: a refused correction's input, shown again."""
    lineage = Structure.objects.filter(origin_run_id=structure.origin_run_id).order_by("version")
    atoms = structure.atoms()
    shown = sites(atoms)
    empty_site = {"element": "", "x": "", "y": "", "z": ""}
    return {
        "structure": structure,
        "sample": structure.origin_run.sample,
        "sites": table_rows(shown, post),
        "lattice": submitted(post, "lattice", lattice(atoms)),
        "new_site": submitted(post, "add", empty_site),
        "overlay": _overlay(structure),
        "reviews": structure.reviews.select_related("reviewer", "new_version"),
        "lineage": lineage,
        "can_curate": services.can_curate(request.user, structure),
        "reviewable": bool(set(services.TRANSITIONS[structure.curation_state]) - {"corrected"}),
        "correctable": "corrected" in services.TRANSITIONS[structure.curation_state],
        "review_form": ReviewForm(),
    }


def _overlay(structure: Structure) -> dict:
    """The micrograph with the reconstruction's columns (from the stored positions), or
    the stem2cif step's own overlay image where no positions were stored."""
    sample = structure.origin_run.sample
    shape = notes.image_shape(structure)
    pixel_A = notes.pixel_size_A(structure)
    columns = notes.columns(structure, pixel_A)
    colours: dict[str, str] = {}
    for column in columns:
        key = column["element"] or "?"
        column["colour"] = colours.setdefault(key, PALETTE[len(colours) % len(PALETTE)])
    stored_overlay = (
        StepArtifact.objects.filter(
            step__run_id=structure.origin_run_id, step__tool="stem2cif", name__startswith="overlay"
        )
        .select_related("step")
        .order_by("-step__attempt", "-step__index")
        .first()
    )
    return {
        "preview": bool(sample.thumbnail_sha256),
        "shape": shape,
        "columns": columns if shape else [],
        "radius": max(2.0, 0.2 / pixel_A) if pixel_A else 3.0,
        "legend": colours,
        "stored_overlay": stored_overlay,
    }


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    structure = _curated(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or reject.")
        return redirect(structure)
    try:
        row = services.review(
            structure,
            reviewer=request.user,
            state=form.cleaned_data["state"],
            comment=form.cleaned_data["comment"],
        )
    except services.CurationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Marked {row.to_state}.")
    return redirect(structure)


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the site table's changes as a new version (its energy is computed next)."""
    structure = _curated(request, pk)
    atoms = structure.atoms()
    edits = edits_from_post(request.POST, sites(atoms), lattice(atoms))
    comment = (request.POST.get("comment") or "")[:2000]
    try:
        version = services.correct(structure, curator=request.user, edits=edits, comment=comment)
    except (services.CurationError, CorrectionError) as exc:
        # The page again, with the curator's input kept and nothing saved.
        messages.error(request, str(exc))
        context = {**_page(request, structure, request.POST), "correct_comment": comment}
        return render(request, "structures/detail.html", context, status=400)
    messages.success(
        request, f"Saved version {version.version} ({version.formula}); its energy is queued."
    )
    return redirect(version)


@login_required
def energy(request: HttpRequest, pk: int) -> HttpResponse:
    """The energy panel (htmx polls it while the job runs); POST queues the job again."""
    if request.method == "POST":
        structure = _curated(request, pk)
        try:
            services.requeue_energy(structure, curator=request.user)
        except services.CurationError as exc:
            messages.error(request, str(exc))
        structure.refresh_from_db()
        if not request.htmx:
            return redirect(structure)
    else:
        structure = _visible(request, pk)
    context = {"structure": structure, "can_curate": services.can_curate(request.user, structure)}
    return render(request, "structures/_energy.html", context)


@login_required
@require_POST
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    structure = _curated(request, pk)
    try:
        template = services.promote(structure, curator=request.user)
    except services.CurationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Added to the template library as {template.source_id}.")
    return redirect(structure)


@login_or_token_required
def cif(request: HttpRequest, pk: int) -> HttpResponse:
    """The CIF, as an attachment (``inline=1``: as text, for the 3D viewer's fetch)."""
    structure = get_object_or_404(Structure.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(structure.cif, content_type="chemical/x-cif; charset=utf-8")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{structure.cif_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_or_token_required
def annotations(request: HttpRequest, pk: int) -> JsonResponse:
    """The micrograph's annotations (columns in Å with elements, lattice, provenance) with
    links to the working image they refer to and its PNG rendition."""
    structure = get_object_or_404(
        Structure.objects.visible_to(request.user).select_related("origin_run__sample"), pk=pk
    )
    return JsonResponse(notes.document(request, structure), json_dumps_params={"indent": 1})
