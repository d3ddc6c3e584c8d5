"""``automat run``: one owner process for the whole local portal.

It starts the embedded PostgreSQL (unless DATABASE_URL points elsewhere), migrates, creates
the first administrator, then runs a Celery worker and the web server as children. On
Ctrl-C or SIGTERM it stops the children and then PostgreSQL, so nothing is left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _handle_stop_signals() -> None:
    """Ctrl-C and SIGTERM stop everything, even when started with SIGINT ignored (a
    background job of a non-interactive shell inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)


def _settings_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "automat_web.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _var_dir() -> Path:
    return Path(os.environ.get("AUTOMAT_VAR_DIR") or BASE_DIR / "var").resolve()


@contextlib.contextmanager
def _database():
    """Yield the database URL; start (and finally stop) the embedded server if needed."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from automat_web.embedded_db import EmbeddedPostgres

    var = _var_dir()
    url_file = var / "run" / "database.url"
    with EmbeddedPostgres(var / "postgres") as pg:
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(pg.url)
        try:
            yield pg.url
        finally:
            url_file.unlink(missing_ok=True)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, check=True)


def _commands(bind: str, workers: int) -> list[list[str]]:
    bin_dir = Path(sys.executable).parent
    celery = [
        str(bin_dir / "celery"),
        "-A",
        "worker",
        "worker",
        "--beat",
        "--loglevel",
        "INFO",
        "--concurrency",
        os.environ.get("AUTOMAT_WORKER_CONCURRENCY", "1"),
        "--schedule",
        str(_var_dir() / "run" / "celerybeat-schedule"),
    ]
    web = [
        str(bin_dir / "gunicorn"),
        "automat_web.wsgi",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--timeout",
        "600",
        "--access-logfile",
        "-",
    ]
    return [celery, web]


def _stop_children(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 30
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_portal(*, bind: str | None = None, workers: int | None = None) -> int:
    bind = bind or os.environ.get("AUTOMAT_BIND", "127.0.0.1:8000")
    workers = workers or int(os.environ.get("AUTOMAT_WEB_WORKERS", "2"))
    _handle_stop_signals()
    try:
        with _database() as url:
            env = _settings_env()
            env["DATABASE_URL"] = url
            _manage(env, "migrate", "--noinput", "-v", "0")
            _manage(env, "ensure_admin")
            _manage(env, "compute_references")  # the default potential's, shipped: instant
            _manage(env, "load_templates", "--if-needed")  # the shipped library dump: seconds
            children: list[subprocess.Popen] = []
            try:
                # One at a time, so a Ctrl-C while starting stops those already started.
                for cmd in _commands(bind, workers):
                    children.append(subprocess.Popen(cmd, env=env, cwd=BASE_DIR))
                print(f"\nautomat is running at http://{bind}/  (Ctrl-C stops everything)\n")
                while all(child.poll() is None for child in children):
                    time.sleep(0.5)
                print("automat: a child process exited; stopping", file=sys.stderr)
                return 1
            finally:
                # Children first: PostgreSQL stops when the ``with`` block ends.
                _stop_children(children)
    except (KeyboardInterrupt, _Stop):
        print("\nautomat: stopped", file=sys.stderr)
        return 0


def run_database_only() -> int:
    _handle_stop_signals()
    try:
        with _database() as url:
            print(f"embedded PostgreSQL at {url}\nCtrl-C stops it.")
            while True:
                time.sleep(3600)
    except (KeyboardInterrupt, _Stop):
        return 0
