"""Sample pages: list, upload, detail, calibration and signal choice, file downloads.

Every view fetches through ``Sample.objects.visible_to(user)``: a sample of another lab
group is a 404, never a 403, so its existence does not leak. A sample shared with the
user's lab (or public) is read-only: the views that change it answer 403
(``access.require_change``); sharing it is for its owner and its lab's admins.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from automat_web.accounts.groups import lab_groups
from automat_web.accounts.tokens import login_or_token_required
from automat_web.runs import bundle
from automat_web.runs import compare as comparison
from automat_web.runs.filters import filter_samples
from automat_web.samples import access, services, sharing
from automat_web.samples.forms import ModeForm, PixelSizeForm, SignalForm, UploadForm
from automat_web.samples.models import Sample


def _visible(request: HttpRequest, pk: int) -> Sample:
    return get_object_or_404(
        Sample.objects.visible_to(request.user).select_related("micrograph", "owner", "group"),
        pk=pk,
    )


def _changeable(request: HttpRequest, pk: int) -> Sample:
    """The sample, if ``request.user`` may change it: 404 if they cannot see it, else 403."""
    sample = _visible(request, pk)
    access.require_change(request.user, sample)
    return sample


@login_required
def sample_list(request: HttpRequest) -> HttpResponse:
    samples = Sample.objects.visible_to(request.user).select_related("owner", "group")
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if query:
        samples = samples.filter(name__icontains=query)
    if status == "ready":
        samples = samples.ready()
    elif status == "needs_input":
        samples = samples.needing_input()
    samples, filters = filter_samples(samples, request.GET)
    page = Paginator(samples, 50).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "status": status, "groups": lab_groups(request.user)}
    context["filters"] = filters
    template = "samples/_table.html" if request.htmx else "samples/list.html"
    return render(request, template, context)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    groups = lab_groups(request.user)
    if not groups.exists():
        messages.error(request, "You are not in a lab group yet: ask an administrator to add you.")
        return redirect("samples:list")
    files = request.FILES  # parsing the body is what notices an oversized upload
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        # The upload was stopped while it arrived, so the rest of the form was lost too.
        limit = f"the file is over the upload limit of {settings.MAX_UPLOAD_MB} MB"
        form = UploadForm(user=request.user)
        return render(
            request, "samples/upload.html", {"form": form, "file_error": limit}, status=400
        )
    form = UploadForm(request.POST or None, files or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        outcome = _ingest(request, form)
        if outcome is not None:
            level = messages.SUCCESS if outcome.created else messages.INFO
            messages.add_message(request, level, outcome.message)
            return redirect(outcome.sample)
    return render(request, "samples/upload.html", {"form": form}, status=_status(form))


def _status(form: UploadForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _ingest(request: HttpRequest, form: UploadForm) -> services.UploadOutcome | None:
    uploaded = form.cleaned_data["file"]
    try:
        return services.ingest_upload(
            path=Path(uploaded.temporary_file_path()),
            filename=uploaded.name,
            owner=request.user,
            group=form.cleaned_data["group"],
            name=form.cleaned_data["name"],
            notes=form.cleaned_data["notes"],
            elements=form.cleaned_data["elements"],
            pixel_size_A=form.cleaned_data["pixel_size_A"],
            stack=form.stack_value,
            mode=form.cleaned_data["mode"] or None,
        )
    except services.UploadRejected as exc:
        form.add_error(exc.field if exc.field in form.fields else "file", str(exc))
        return None


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _visible(request, pk)
    context = _detail_context(sample, user=request.user)
    # ?run=<id> shows that run's panel instead of the latest (the run history's links).
    chosen = request.GET.get("run", "")
    if chosen.isdigit():
        context["shown_run"] = get_object_or_404(
            sample.runs.select_related("sample"), pk=int(chosen)
        )
    return render(request, "samples/detail.html", context)


@login_required
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two runs of the sample side by side (``?a=<run>&b=<run>``); a form to pick them."""
    sample = _visible(request, pk)
    runs = list(sample.runs.select_related("sample"))
    context: dict = {"sample": sample, "runs": runs}
    ids = [request.GET.get(key, "") for key in ("a", "b")]
    if all(ids):
        if not all(value.isdigit() for value in ids):
            raise Http404("no such run")
        a, b = (get_object_or_404(sample.runs.all(), pk=int(value)) for value in ids)
        context.update(
            a=a,
            b=b,
            rows=comparison.rows(a, b),
            review_rows=comparison.review_rows(a, b),
            step_columns=[(run, list(run.current_steps())) for run in (a, b)],
        )
    return render(request, "samples/compare.html", context)


@login_required
def provenance_zip(request: HttpRequest, pk: int) -> FileResponse:
    """The sample's whole provenance as a zip (see ``automat_web.runs.bundle``)."""
    sample = _visible(request, pk)
    response = FileResponse(
        bundle.provenance_zip(sample, exported_by=request.user.get_username()),
        as_attachment=True,
        filename=f"sample-{sample.pk}-provenance.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _detail_context(sample: Sample, *, user, **forms) -> dict:
    info = sample.micrograph.info
    return {
        **_sharing_context(sample, user),
        "sample": sample,
        "info": info,
        "runs": sample.runs.select_related("sample", "structure"),
        "pixel_form": forms.get("pixel_form")
        or PixelSizeForm(initial={"pixel_size_A": sample.pixel_size_A}),
        "signal_form": forms.get("signal_form")
        or SignalForm(
            signals=info.signals,
            initial={"signal": sample.signal_index, "stack": sample.stack_mode.split(":")[0]},
        ),
        "file_calibration": sample.signal.calibration,
        "suggestions": (
            services.pixel_size_suggestions(sample) if "pixel_size" in sample.needs else []
        ),
        "mode_form": forms.get("mode_form")
        or ModeForm(
            initial={"mode": sample.imaging_mode if sample.imaging_mode_source == "user" else ""}
        ),
    }


@login_required
@require_POST
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _changeable(request, pk)
    form = PixelSizeForm(request.POST)
    status = 200
    if form.is_valid():
        px = None if form.cleaned_data["use_file"] else form.cleaned_data["pixel_size_A"]
        template = form.cleaned_data["suggested_by"]
        note = f"suggested by the lattice of template {template}" if template and px else ""
        try:
            services.set_pixel_size(sample, px, note=note)
            form = None
        except services.UploadRejected as exc:
            form.add_error("pixel_size_A", str(exc))
            status = 400
    else:
        status = 400
    context = _detail_context(sample, user=request.user, pixel_form=form)
    if request.htmx:
        return render(request, "samples/_calibration.html", context, status=status)
    return (
        redirect(sample)
        if status == 200
        else render(request, "samples/detail.html", context, status=status)
    )


@login_required
@require_POST
def imaging_mode(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _changeable(request, pk)
    form = ModeForm(request.POST)
    if form.is_valid():
        try:
            services.set_imaging_mode(sample, form.cleaned_data["mode"] or None)
            messages.success(request, f"Imaging mode: {sample.imaging_mode_label}.")
            return redirect(sample)
        except services.UploadRejected as exc:
            form.add_error("mode", str(exc))
    context = _detail_context(sample, user=request.user, mode_form=form)
    return render(request, "samples/detail.html", context, status=400)


@login_required
@require_POST
def signal(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _changeable(request, pk)
    form = SignalForm(request.POST, signals=sample.micrograph.info.signals)
    if form.is_valid():
        try:
            services.choose_signal(sample, form.cleaned_data["signal"], form.stack_value)
            messages.success(request, "Working image updated.")
            return redirect(sample)
        except services.UploadRejected as exc:
            form.add_error(None, str(exc))
    context = _detail_context(sample, user=request.user, signal_form=form)
    return render(request, "samples/detail.html", context, status=400)


def _sharing_context(sample: Sample, user) -> dict:
    """Who else sees the sample, and the sharing forms for those who may use them."""
    can_change = access.can_change(user, sample)
    can_share = can_change and access.can_share(user, sample)
    context = {"can_change": can_change, "can_share": can_share}
    if can_change:
        context["shared_with"] = sharing.shared_with(sample)
    if can_share:
        context["share_choices"] = Group.objects.exclude(pk=sample.group_id).exclude(
            pk__in=context["shared_with"].values("pk")
        )
    return context


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``action`` = share or unshare (with ``group``: a lab id), public or private."""
    sample = _visible(request, pk)
    sharing.require_sharer(request.user, sample)  # 403 for others who can see it
    action = request.POST.get("action", "")
    try:
        if action in ("share", "unshare"):
            group = sharing.find_lab(request.POST.get("group", ""))
            if action == "share":
                sharing.share(sample, group, by=request.user)
                messages.success(request, f"Shared read-only with {group.name}.")
            elif sharing.unshare(sample, group, by=request.user):
                messages.success(request, f"{group.name} no longer sees this sample.")
        elif action in ("public", "private"):
            sharing.set_public(sample, action == "public", by=request.user)
            messages.success(
                request,
                "Public: every logged-in user sees it (read-only)."
                if action == "public"
                else "Private: only its lab and the labs it is shared with see it.",
            )
        else:
            return HttpResponse("unknown action", status=400)
    except sharing.SharingError as exc:
        messages.error(request, str(exc))
    return redirect(sample)


def _file(path: Path | None, *, filename: str, content_type: str, attachment: bool):
    if path is None or not path.exists():
        raise Http404("file not available")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=attachment,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_or_token_required
def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    sample = _visible(request, pk)
    return _file(
        sample.thumbnail_path,
        filename=f"sample-{pk}.png",
        content_type="image/png",
        attachment=False,
    )


@login_or_token_required
def original(request: HttpRequest, pk: int) -> FileResponse:
    sample = _visible(request, pk)
    return _file(
        sample.micrograph.original_path,
        filename=sample.original_filename,
        content_type="application/octet-stream",
        attachment=True,
    )


@login_or_token_required
def working(request: HttpRequest, pk: int) -> FileResponse:
    sample = _visible(request, pk)
    return _file(
        sample.working_path,
        filename=f"sample-{pk}-float32.npy",
        content_type="application/octet-stream",
        attachment=True,
    )
