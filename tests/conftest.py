"""Shared fixtures: fixed users in two lab groups, an isolated data directory, and a real
Celery worker process on the broker a test names."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
REDIS_URL = os.environ.get("AUTOMAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _isolated_data_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each test stores blobs in its own directory (pure science tests also run with
    ``-p no:django``, where there are no settings to change)."""
    data = tmp_path / "data"
    if request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.DATA_DIR = data
        settings.FILE_UPLOAD_TEMP_DIR = str(data / "tmp")
    return data


@pytest.fixture
def lab_a(db):
    from django.contrib.auth.models import Group

    return Group.objects.create(name="Lab A")


@pytest.fixture
def lab_b(db):
    from django.contrib.auth.models import Group

    return Group.objects.create(name="Lab B")


def _user(name: str, group):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(name, f"{name}@example.org", f"{name}-pw-2026")
    user.groups.add(group)
    return user


@pytest.fixture
def alice(lab_a):
    """A microscopist of Lab A."""
    return _user("alice", lab_a)


@pytest.fixture
def bob(lab_a):
    """Alice's colleague in Lab A."""
    return _user("bob", lab_a)


@pytest.fixture
def charlie(lab_b):
    """A member of another lab, Lab B."""
    return _user("charlie", lab_b)


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def test_database_url() -> str:
    """libpq URL of pytest-django's test database (what a worker process must use)."""
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings
    from django.db import connection

    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def broker_url() -> Iterator[Callable[[str], str]]:
    """``broker_url("sqla" | "redis")``: a broker for a test worker."""

    def make(kind: str) -> str:
        if kind == "redis":
            if not redis_available():
                if os.environ.get("CI"):
                    pytest.fail(f"Redis is not reachable at {REDIS_URL} (.ci/run starts it)")
                pytest.skip(f"Redis is not reachable at {REDIS_URL}")
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
            return REDIS_URL
        return test_database_url().replace("postgresql://", "sqla+postgresql+psycopg://", 1)

    yield make
    # kombu caches SQLAlchemy engines per URL; close them so the test database can be dropped.
    from kombu.transport.sqlalchemy import Channel

    for engine, _session in Channel._engines.values():
        engine.dispose()
    Channel._engines.clear()


@pytest.fixture
def portal_broker() -> Iterator[Callable[[str], None]]:
    """``portal_broker(url)``: the portal's own Celery app (what enqueues runs) sends to
    ``url`` for the rest of the test."""
    from automat_web.celery import app

    previous = app.conf.broker_url

    def use(url: str) -> None:
        app.conf.broker_url = url

    yield use
    app.conf.broker_url = previous


@pytest.fixture
def celery_worker_process(settings) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start a real ``celery worker`` process against the test database and a broker."""
    started: list[tuple[subprocess.Popen, object]] = []
    ARTIFACTS.mkdir(exist_ok=True)

    def start(
        broker: str,
        *,
        name: str = "test",
        queues: str | None = None,
        extra_env: dict[str, str] | None = None,
        argv: list[str] | None = None,
    ) -> subprocess.Popen:
        """``queues``: ``-Q`` (default: every queue); ``argv``: the program to run instead
        of ``celery`` (e.g. a wrapper that stubs the science), given the same arguments."""
        env = dict(os.environ)
        env.update(
            DATABASE_URL=test_database_url(),
            AUTOMAT_BROKER_URL=broker,
            AUTOMAT_DATA_DIR=str(settings.DATA_DIR),
            DJANGO_SETTINGS_MODULE="automat_web.settings",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env or {})
        log = open(ARTIFACTS / f"worker-{name}.log", "wb")  # noqa: SIM115 - closed below
        cmd = [
            *(argv or [str(Path(sys.executable).parent / "celery")]),
            "-A",
            "automat_web",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            *(["--queues", queues] if queues else []),
        ]
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, log))
        return proc

    yield start
    for proc, log in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_for(predicate: Callable[[], object], *, timeout: float = 60.0, every: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` [s]."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"condition not met within {timeout} s: {predicate.__doc__ or predicate}")
