"""The profile page (who you are, your lab groups, your API token) and the Labs pages
(labs created by a superuser and renamed by their admins, members and their roles managed
by the lab's admins, and the lab's audit trail).

A lab the user is not a member of is a 404 (a superuser sees every lab); a member who is
not an admin gets a 403 on a change, and anyone but a superuser a 403 on creating a lab.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from automat_web.accounts import audit, labs, tokens
from automat_web.accounts.groups import lab_groups

#: Where a new key waits for the page after the POST's redirect (popped when shown).
NEW_KEY = "accounts:new-api-token"


@never_cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """POST ``action=create`` replaces the token and redirects to this page, which shows the
    new key once (a reload neither shows it again nor replaces it); ``action=revoke``
    deletes the token."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            request.session[NEW_KEY] = tokens.replace(request.user).key
        elif action == "revoke":
            if tokens.revoke(request.user):
                messages.success(request, "Your API token is revoked: it no longer works.")
        else:
            return HttpResponse("unknown action", status=400)
        return redirect("accounts:profile")
    context = {
        "groups": lab_groups(request.user),
        "token": Token.objects.filter(user=request.user).first(),
        "new_key": request.session.pop(NEW_KEY, None),
    }
    return render(request, "accounts/profile.html", context)


def _lab(request: HttpRequest, pk: int) -> Group:
    return get_object_or_404(labs.visible_labs(request.user), pk=pk)


def _managed_lab(request: HttpRequest, pk: int) -> Group:
    """The lab, if ``request.user`` administers it: 404 if not theirs, else 403."""
    group = _lab(request, pk)
    labs.require_admin(request.user, group)
    return group


@login_required
def lab_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {"lab": group, "roles": labs.roles_of(request.user, group)}
        for group in labs.visible_labs(request.user)
    ]
    can_create = labs.can_create_labs(request.user)
    context = {
        "rows": rows,
        "can_create": can_create,
        "users": labs.users_to_choose() if can_create else [],
        "name_max": labs.NAME_MAX,
    }
    return render(request, "accounts/labs.html", context)


@login_required
@require_POST
def create_lab(request: HttpRequest) -> HttpResponse:
    """POST ``name`` and, optionally, ``admin`` (a user name): the lab's first admin."""
    labs.require_superuser(request.user)
    try:
        chosen = request.POST.get("admin", "").strip()
        admin = labs.find_user(chosen) if chosen else None
        group = labs.create_lab(request.POST.get("name", ""), by=request.user, admin=admin)
    except labs.LabError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:labs")
    messages.success(request, f"Lab {group.name} is created.")
    return redirect("accounts:lab", pk=group.pk)


@login_required
@require_POST
def rename_lab(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``name``: the lab's new name."""
    group = _managed_lab(request, pk)
    old = group.name
    try:
        if labs.rename_lab(group, request.POST.get("name", ""), by=request.user):
            messages.success(request, f"Lab {old} is now named {group.name}.")
    except labs.LabError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:lab", pk=group.pk)


@login_required
def lab_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = _lab(request, pk)
    context = {
        "lab": group,
        "members": labs.member_list(group),
        "can_manage": labs.is_lab_admin(request.user, group),
        "events": audit.events(group)[: audit.SHOWN],
        "roles": labs.ROLES,
        "name_max": labs.NAME_MAX,
    }
    return render(request, "accounts/lab.html", context)


@login_required
@require_POST
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = _managed_lab(request, pk)
    try:
        user = labs.find_user(request.POST.get("username", ""))
        if labs.add_member(group, user, by=request.user):
            messages.success(request, f"{user.get_username()} is now a member of {group.name}.")
        else:
            messages.info(request, f"{user.get_username()} was a member already.")
    except labs.LabError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:lab", pk=group.pk)


@login_required
@require_POST
def remove_member(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    group = _managed_lab(request, pk)
    user = get_object_or_404(get_user_model(), pk=user_pk, groups=group)
    try:
        labs.remove_member(group, user, by=request.user)
        messages.success(request, f"{user.get_username()} is no longer a member of {group.name}.")
    except labs.LabError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:lab", pk=group.pk)


@login_required
@require_POST
def set_role(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    """POST ``role`` (curator or admin) and ``granted`` (1: grant, 0: revoke)."""
    group = _managed_lab(request, pk)
    user = get_object_or_404(get_user_model(), pk=user_pk, groups=group)
    role, granted = request.POST.get("role", ""), request.POST.get("granted") == "1"
    try:
        if labs.set_role(group, user, role, granted, by=request.user):
            done = "is now" if granted else "is no longer"
            messages.success(request, f"{user.get_username()} {done} {role} of {group.name}.")
    except labs.LabError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:lab", pk=group.pk)
