"""The README's ``make run`` works in a fresh clone: it collects the static files, starts the
portal, serves the login page and the static files it names, lets the first administrator
log in, and Ctrl-C stops everything, the embedded PostgreSQL included.

The clone is of the committed HEAD (what a fresh clone gets, not the working tree). It
borrows this checkout's ``.venv`` and ``frontend/node_modules`` through symlinks and tells
make their install stamps are up to date, so the test installs nothing (no PyTorch
download) and never runs ``pip install -e`` on the shared virtualenv, which would point the
package at the clone. The install step itself is what ``make test`` runs first on a fresh
machine (CI), from the same Makefile rules.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Borrowed from this checkout: marked up to date with `make -o` so make does not reinstall.
INSTALL_STAMPS = (".venv/.installed", "frontend/node_modules/.installed")
START_TIMEOUT_S = 240
STOP_TIMEOUT_S = 90
ADMIN = ("admin", "make-run-pw-2026")


@pytest.fixture
def clone() -> Iterator[Path]:
    """A clone of HEAD beside a ``shared`` link to ours (the code reads ``../shared/data``).

    Not under pytest's base temp: a concurrent pytest session makes that 0700 again, and
    the embedded PostgreSQL runs as another user when started by root.
    """
    parent = Path(tempfile.mkdtemp(prefix="automat-clone-"))
    clone = parent / "main"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    (parent / "shared").symlink_to((ROOT.parent / "shared").resolve())
    (clone / ".venv").symlink_to(ROOT / ".venv")
    (clone / "frontend" / "node_modules").symlink_to(ROOT / "frontend" / "node_modules")
    yield clone
    shutil.rmtree(parent, ignore_errors=True)


def _env(clone: Path, port: int) -> dict[str, str]:
    # Nothing of this test session (its database, settings, make's jobserver) leaks in.
    dropped = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "XDG_RUNTIME_DIR", "MAKEFLAGS"}
    dropped |= {"MAKELEVEL", "MFLAGS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("AUTOMAT_", "PYTEST_"))
    }
    env.update(
        AUTOMAT_BIND=f"127.0.0.1:{port}",
        AUTOMAT_ADMIN_USERNAME=ADMIN[0],
        AUTOMAT_ADMIN_PASSWORD=ADMIN[1],
        AUTOMAT_WEB_WORKERS="1",
        # The borrowed virtualenv's editable install points at this checkout; the clone's
        # own code must win (`.venv/bin/automat` would otherwise import ours).
        PYTHONPATH=str(clone),
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None):
    """(status, body) of a request; (0, b"") while nothing listens yet."""
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def _postmasters(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _stop(proc: subprocess.Popen, pgdata: Path) -> None:
    """Leave nothing running after a failure: the process group, then a leftover server."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    leftovers = _postmasters(pgdata)
    for leftover in leftovers:
        leftover.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
    for leftover in psutil.wait_procs(leftovers, timeout=30)[1]:
        leftover.kill()


def _log_in(base: str) -> bytes:
    """Log in as the administrator ``automat run`` created; the samples page's body."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    _status, page = _get(opener, f"{base}/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token in the login form"
    form = {"username": ADMIN[0], "password": ADMIN[1], "csrfmiddlewaretoken": token[1]}
    status, body = _get(opener, f"{base}/accounts/login/", urllib.parse.urlencode(form).encode())
    assert status == 200, status
    return body


def test_it_runs_make_run_from_a_fresh_clone(clone: Path) -> None:
    port = _free_port()
    env = _env(clone, port)
    make = ["make", *(f"--old-file={stamp}" for stamp in INSTALL_STAMPS), "run"]
    dry = subprocess.run([*make, "-n"], cwd=clone, env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert not re.search(r"pip install|npm ci|-m venv", dry.stdout), f"installs:\n{dry.stdout}"

    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "make-run.log"
    pgdata = clone / "var" / "postgres"
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener()
    started = time.monotonic()
    with log.open("wb") as out:
        # Its own process group, so SIGINT reaches make and everything under it, as Ctrl-C
        # in a terminal does.
        proc = subprocess.Popen(
            make, cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while True:
            status, page = _get(opener, f"{base}/accounts/login/")
            if status == 200:
                break
            assert proc.poll() is None, f"make run exited ({proc.returncode}):\n{_tail(log)}"
            assert time.monotonic() - started < START_TIMEOUT_S, f"no login page:\n{_tail(log)}"
            time.sleep(1)
        assert b'name="username"' in page and b'name="password"' in page
        assert (clone / "staticfiles" / "staticfiles.json").is_file()  # the manifest storage
        # Hashed names from the manifest, served by whitenoise from STATIC_ROOT.
        htmx = re.search(rb'src="(/static/vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', page)
        assert htmx, "the login page does not name a hashed htmx"
        assert b"htmx" in _get(opener, base + htmx[1].decode())[1]
        assert b"3Dmol" in _get(opener, f"{base}/static/vendor/3dmol/3Dmol-min.js")[1]
        assert b"Log out" in _log_in(base)
        assert _postmasters(pgdata), "the clone's own PostgreSQL is not the one running"

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=STOP_TIMEOUT_S)
        assert b"automat: stopped" in log.read_bytes(), _tail(log)
        assert not (pgdata / "postmaster.pid").exists(), _tail(log)
        assert not _postmasters(pgdata), "PostgreSQL is still running after Ctrl-C"
        assert _get(opener, f"{base}/accounts/login/")[0] == 0, "the web server still answers"
    finally:
        _stop(proc, pgdata)
