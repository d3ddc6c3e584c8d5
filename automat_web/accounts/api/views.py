"""API access: the caller's own token (show, create, revoke) and the schema's pages."""

from __future__ import annotations

from csp.constants import NONCE
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from automat_web.accounts import tokens

_STATE = inline_serializer(
    "TokenState",
    {
        "exists": serializers.BooleanField(),
        "created": serializers.DateTimeField(allow_null=True),
    },
)
_CREATED = inline_serializer(
    "TokenCreated",
    {
        "key": serializers.CharField(help_text="Shown once: keep it."),
        "created": serializers.DateTimeField(),
    },
)


class TokenView(APIView):
    """The caller's API token: whether one exists, a new one (replacing the old), revoking."""

    @extend_schema(responses=_STATE)
    def get(self, request: Request) -> Response:
        token = Token.objects.filter(user=request.user).first()
        return Response({"exists": token is not None, "created": token and token.created})

    @extend_schema(request=None, responses={201: _CREATED})
    def post(self, request: Request) -> Response:
        token = tokens.replace(request.user)
        return Response({"key": token.key, "created": token.created}, status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        tokens.revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _DocsPage:
    """The pages load scripts from our static files only (``script-src 'self'``); the few
    styles they inject carry this response's CSP nonce."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        response = super().get(request, *args, **kwargs)
        response._csp_update = {"style-src": [NONCE, *self.style_hashes], **self.csp_update}
        return response


class SwaggerView(_DocsPage, SpectacularSwaggerSplitView):
    template_name = "accounts/api_swagger.html"
    style_hashes: tuple[str, ...] = ()
    csp_update: dict = {}


class RedocView(_DocsPage, SpectacularRedocView):
    template_name = "accounts/api_redoc.html"
    # Two <style> elements the Redoc bundle (sidecar 2026.10.1) adds without the nonce: its
    # scroll bars' CSS and an empty one. A new bundle changes them: test_browser.py notices.
    style_hashes = (
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    )
    # Redoc's search index runs in a worker it makes from a blob. Its footer's logo comes
    # from cdn.redoc.ly: img-src blocks it, and Redoc hides an image that fails to load.
    csp_update = {"worker-src": ["'self'", "blob:"]}
