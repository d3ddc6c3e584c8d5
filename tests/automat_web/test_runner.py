"""`automat run` (what `make run` starts): one owner process, nothing orphaned on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
        return response.status, response.read().decode()


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.mark.worker
def test_it_serves_the_login_page_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        AUTOMAT_VAR_DIR=str(tmp_path / "var"),
        AUTOMAT_ADMIN_USERNAME="admin",
        AUTOMAT_ADMIN_PASSWORD="admin-pass-2026",
        AUTOMAT_DEBUG="1",  # serve static files from the finders: no collectstatic here
    )
    env.pop("AUTOMAT_BROKER_URL", None)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "automat"), "run", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            # As a background job of a non-interactive shell (nohup, CI) starts it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        deadline = time.monotonic() + 120
        status, body = 0, ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, log.read_text()
        assert 'name="username"' in body
        assert "Log in as 'admin'" in log.read_text()
        pgdata = tmp_path / "var" / "postgres"
        assert _postgres_processes(pgdata), "embedded PostgreSQL is not running"
        children = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    time.sleep(1)
    assert not _postgres_processes(pgdata), "PostgreSQL left running after Ctrl-C"
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"orphaned processes: {alive}"
    assert not (tmp_path / "var" / "run" / "database.url").exists()
