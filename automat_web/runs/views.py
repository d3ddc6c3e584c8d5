"""Run pages: the run panel (polled by htmx while the run is going), start, cancel, rerun,
artifact downloads. Everything is fetched through ``visible_to``: another lab's run is a 404.
A run of a sample shared with the user's lab (or public) is read-only: starting, cancelling
and rerunning it is a 403 (``samples.access.require_change``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from automat_web.accounts.tokens import login_or_token_required
from automat_web.runs import lifecycle
from automat_web.runs.models import Run, StepArtifact
from automat_web.samples.access import require_change
from automat_web.samples.models import Sample


def _visible(request: HttpRequest, pk: int) -> Run:
    return get_object_or_404(Run.objects.visible_to(request.user).select_related("sample"), pk=pk)


def _changeable(request: HttpRequest, pk: int) -> Run:
    """The run, if ``request.user`` may act on it: 404 if they cannot see it, else 403."""
    run = _visible(request, pk)
    require_change(request.user, run.sample)
    return run


def _panel(request: HttpRequest, run: Run, *, status: int = 200) -> HttpResponse:
    """The run panel as an htmx fragment (with the sample's "All runs" table out of band, so
    a run's new state shows in both), or the sample page for a plain request."""
    if request.htmx:
        sample = run.sample
        context = {
            "run": run,
            "sample": sample,
            "runs": sample.runs.select_related("sample", "structure"),
            "history_oob": True,
        }
        html = render_to_string("runs/_run.html", context, request=request)
        html += render_to_string("runs/_history.html", context, request=request)
        return HttpResponse(html, status=status)
    return redirect(run.sample)


@login_required
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel(request, _visible(request, pk))


@login_required
@require_POST
def start(request: HttpRequest, sample_pk: int) -> HttpResponse:
    sample = get_object_or_404(
        Sample.objects.visible_to(request.user).select_related("group"), pk=sample_pk
    )
    require_change(request.user, sample)
    try:
        run = lifecycle.create_run(
            sample, request.POST.get("policy", "rules"), requested_by=request.user
        )
    except lifecycle.RunRejected as exc:
        messages.error(request, str(exc))
        active = sample.runs.active().select_related("sample").first()
        return _panel(request, active) if active is not None else redirect(sample)
    return _panel(request, run)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = _changeable(request, pk)
    try:
        run = lifecycle.cancel(run)
    except lifecycle.RunRejected as exc:
        messages.error(request, str(exc))
    return _panel(request, run)


@login_required
@require_POST
def rerun(request: HttpRequest, pk: int) -> HttpResponse:
    run = _changeable(request, pk)
    try:
        run = lifecycle.rerun(run, requested_by=request.user)
    except lifecycle.RunRejected as exc:
        messages.error(request, str(exc))
        run = run.sample.runs.active().select_related("sample").first() or run
    return _panel(request, run)


@login_or_token_required
def artifact(request: HttpRequest, pk: int, artifact_pk: int) -> FileResponse:
    run = _visible(request, pk)
    item = get_object_or_404(
        StepArtifact.objects.select_related("step"), pk=artifact_pk, step__run=run
    )
    if not item.path.exists():
        raise Http404("file not available")
    response = FileResponse(
        open(item.path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=not item.is_image,
        filename=item.filename,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
