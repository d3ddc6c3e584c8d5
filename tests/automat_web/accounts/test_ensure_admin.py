"""The first administrator comes from AUTOMAT_ADMIN_* settings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_it_creates_the_admin_once(settings) -> None:
    settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD = "root", "a-long-pass-2026"
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    call_command("ensure_admin", stdout=out)
    admin = get_user_model().objects.get(username="root")
    assert admin.is_superuser and admin.check_password("a-long-pass-2026")
    assert list(admin.groups.values_list("name", flat=True)) == [settings.DEFAULT_LAB_GROUP]
    assert out.getvalue().count("Created administrator") == 1


@pytest.mark.django_db
def test_it_prints_how_to_create_one_otherwise(settings) -> None:
    settings.ADMIN_USERNAME = settings.ADMIN_PASSWORD = None
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    assert "createsuperuser" in out.getvalue()
