"""Token authentication for the file downloads the API links to (originals, working images,
thumbnails, run artifacts, CIFs): a script holding only ``Authorization: Token <key>`` can
fetch every URL the API returns, with the same lab visibility as a session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


@transaction.atomic
def replace(user: AbstractBaseUser) -> Token:
    """A new token for ``user``; the old one, if any, stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def revoke(user: AbstractBaseUser) -> bool:
    """Delete ``user``'s token; False if there was none."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def login_or_token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` that also accepts DRF's ``Authorization: Token <key>`` header.

    Only for downloads (GET): a token request carries no CSRF token, and the CSRF
    middleware refuses an unsafe method before this runs. A wrong or revoked token is a
    401, not the login page a browser is sent to.
    """
    protected = login_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed as exc:
                response = JsonResponse({"detail": str(exc.detail)}, status=401)
                response["WWW-Authenticate"] = "Token"
                return response
            if found is not None:
                request.user = found[0]
        return protected(request, *args, **kwargs)

    return wrapped
