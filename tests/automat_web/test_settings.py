"""Production settings pass Django's deployment checklist; bad settings fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # A clean environment: no AUTOMAT_* of the caller, no test-only Django switches.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUTOMAT_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "AUTOMAT_ENV": "production",
    "AUTOMAT_SECRET_KEY": "k8#Qz!v2W@pL9rT4yU7iO0pA3sD6fG1hJ5kL8zX2cV4bN7mQ9wE1rT3yU6iO8pA0s",
    "AUTOMAT_ALLOWED_HOSTS": "automat.example.org",
}


def test_it_passes_check_deploy_in_production() -> None:
    result = _manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_production_without_a_secret_key() -> None:
    env = dict(PRODUCTION)
    del env["AUTOMAT_SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "AUTOMAT_SECRET_KEY" in result.stderr


def test_it_reads_secrets_from_files(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(PRODUCTION["AUTOMAT_SECRET_KEY"] + "\n")
    env = dict(PRODUCTION)
    del env["AUTOMAT_SECRET_KEY"]
    env["AUTOMAT_SECRET_KEY_FILE"] = str(key_file)
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_it_names_the_variable_with_a_bad_value() -> None:
    result = _manage({"AUTOMAT_MAX_UPLOAD_MB": "lots"}, "check")
    assert result.returncode != 0
    assert "AUTOMAT_MAX_UPLOAD_MB must be an integer" in result.stderr


@pytest.mark.parametrize(
    ("broker", "expected"),
    [("", "sqla"), ("redis://127.0.0.1:6379/0", "redis"), ("amqp://guest@localhost//", "amqp")],
)
def test_it_defaults_the_broker_to_the_database(broker: str, expected: str) -> None:
    code = (
        "from django.conf import settings; from automat_web.system.models import broker_kind;"
        "print(broker_kind(settings.BROKER_URL), settings.BROKER_URL)"
    )
    env = {"AUTOMAT_BROKER_URL": broker} if broker else {}
    result = _manage(env, "shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    kind, url = result.stdout.strip().splitlines()[-1].split()
    assert kind == expected
    if not broker:
        assert url.startswith("sqla+postgresql+psycopg://")
