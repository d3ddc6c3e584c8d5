"""The typed environment helpers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from automat_web import env


def test_it_parses_booleans(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("yes", True), ("off", False), ("", False)]:
        monkeypatch.setenv("AUTOMAT_FLAG", raw)
        assert env.env_bool("FLAG", not expected) is expected
    monkeypatch.setenv("AUTOMAT_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="AUTOMAT_FLAG"):
        env.env_bool("FLAG", False)


def test_it_checks_integer_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOMAT_N", "100_000")
    assert env.env_int("N", 1) == 100_000
    monkeypatch.setenv("AUTOMAT_N", "0")
    with pytest.raises(ImproperlyConfigured, match=">= 1"):
        env.env_int("N", 5, minimum=1)


def test_it_uses_defaults_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOMAT_UNSET_THING", raising=False)
    assert env.env_list("UNSET_THING", ["a"]) == ["a"]
    assert env.env_float("UNSET_THING", 0.5) == 0.5
    monkeypatch.setenv("AUTOMAT_UNSET_THING", "a, b,,c")
    assert env.env_list("UNSET_THING", []) == ["a", "b", "c"]


def test_it_rejects_unknown_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOMAT_ENV", "staging")
    with pytest.raises(ImproperlyConfigured, match="one of"):
        env.env_choice("ENV", "local", ("local", "production"))
