"""Fixtures of the lab tests: alice is the admin of Lab A, bob a plain member of it,
charlie a member of Lab B (tests/conftest.py), dave a user in no lab yet."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.accounts.models import LabAdmin


@pytest.fixture
def lab_admin(alice, lab_a):
    """alice, made the admin of Lab A."""
    LabAdmin.objects.create(group=lab_a, user=alice)
    return alice


@pytest.fixture
def dave(db):
    """A user in no lab group yet."""
    return get_user_model().objects.create_user("dave", "dave@example.org", "dave-pw-2026")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client
