"""The profile page: who you are, your lab groups, and your API token (create, revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from rest_framework.authtoken.models import Token

from automat_web.accounts import tokens
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
