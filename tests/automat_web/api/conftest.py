"""Fixtures of the API tests: token clients (what another group's script holds)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def token_client(db) -> Callable[..., APIClient]:
    """``token_client(user)``: a client with only ``Authorization: Token <key>``."""

    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
