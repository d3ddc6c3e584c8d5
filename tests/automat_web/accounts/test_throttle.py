"""Repeated failed logins are throttled per user name and per client address, with a clear
message; the right user gets in again once the cool-off has passed."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.urls import reverse

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed logins"


def _login(client, username: str, password: str, ip: str = "10.0.0.1", **extra):
    data = {"username": username, "password": password}
    return client.post(reverse("login"), data, REMOTE_ADDR=ip, **extra)


def _let_the_cool_off_pass() -> None:
    """Move the recorded failures back past the cool-off, as the clock would."""
    elapsed = settings.AXES_COOLOFF_TIME + settings.AXES_COOLOFF_TIME / 10
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - elapsed)


def test_it_locks_out_after_repeated_wrong_passwords(client, alice) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    answers = [_login(client, "alice", f"guess-{i}") for i in range(15)]
    assert [r.status_code for r in answers[: limit - 1]] == [200] * (limit - 1)
    assert all(r.status_code == 429 for r in answers[limit - 1 :])
    page = answers[-1].content.decode()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert LOCKED in page and f"blocked for {minutes} minutes" in page
    assert 'name="username"' in page  # the login page, saying why
    right = _login(client, "alice", "alice-pw-2026")
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_right_user_gets_in_after_the_cool_off(client, alice) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", f"guess-{i}")
    assert _login(client, "alice", "alice-pw-2026").status_code == 429
    _let_the_cool_off_pass()
    response = _login(client, "alice", "alice-pw-2026")
    assert response.status_code == 302 and response["Location"] == reverse("samples:list")
    assert client.get(reverse("samples:list")).status_code == 200
    assert not AccessAttempt.objects.filter(username="alice").exists()  # reset on success


def test_it_counts_per_user_name_from_any_address(client, alice, bob) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong", ip=f"10.0.1.{i}")
    assert _login(client, "alice", "alice-pw-2026", ip="10.0.2.1").status_code == 429
    assert _login(client, "bob", "bob-pw-2026", ip="10.0.2.1").status_code == 302


def test_it_counts_per_address_across_user_names(client, alice) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"nobody-{i}", "wrong", ip="10.0.3.1")
    assert _login(client, "alice", "alice-pw-2026", ip="10.0.3.1").status_code == 429
    assert _login(client, "alice", "alice-pw-2026", ip="10.0.3.2").status_code == 302


def test_the_admin_login_is_throttled_too(client, alice) -> None:
    url = reverse("admin:login")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "alice", "password": f"guess-{i}"}, REMOTE_ADDR="10.0.4.1")
    response = _login(client, "alice", "alice-pw-2026", ip="10.0.4.2")
    assert response.status_code == 429 and LOCKED in response.content.decode()


def test_behind_a_proxy_it_counts_the_address_the_proxy_saw(client, alice, settings) -> None:
    settings.TRUSTED_PROXIES = 1
    proxy = "127.0.0.1"
    for i in range(settings.AXES_FAILURE_LIMIT):
        # A client cannot pick its own address by sending the header: the proxy appends.
        spoofed = f"192.0.2.{i}, 10.0.5.1"
        _login(client, f"nobody-{i}", "wrong", ip=proxy, HTTP_X_FORWARDED_FOR=spoofed)
    assert AccessAttempt.objects.values("ip_address").distinct().count() == 1
    locked = _login(client, "alice", "alice-pw-2026", ip=proxy, HTTP_X_FORWARDED_FOR="10.0.5.1")
    assert locked.status_code == 429
    other = _login(client, "alice", "alice-pw-2026", ip=proxy, HTTP_X_FORWARDED_FOR="10.0.5.2")
    assert other.status_code == 302  # another client behind the same proxy
