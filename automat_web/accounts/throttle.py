"""Throttling of failed logins (django-axes, configured in settings): who the client is, and
the page a locked-out login gets."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: HTTP status of a refused login: Too Many Requests.
LOCKED_OUT = 429


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one the nearest of ``TRUSTED_PROXIES`` reverse proxies
    saw (each appends to X-Forwarded-For), or the connection's own without a proxy.

    Entries left of those the proxies appended are the client's to write, so they are never
    read: a client cannot escape the per-address count by sending the header itself.
    """
    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed logins for this user name or from this address: logging in is "
        f"blocked for {minutes} minutes after the last failed try. Try again then, or ask an "
        "administrator to unlock it."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The login page again, saying why and for how long (status 429), whatever the
    password was: a locked-out login is not checked."""
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "lockout": lockout_message(),
    }
    return render(request, "registration/login.html", context, status=LOCKED_OUT)
