"""Fixtures of the fault tests: a private Redis that a test may restart, workers running
the stub agent, and samples ready to run."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile

from tests.conftest import ARTIFACTS

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test on a free port, persisting every write (append-only file,
    fsync always) so that a restart keeps the queue, as production's does (compose.yaml)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
            "--save", "", "--logfile", str(ARTIFACTS / f"redis-{self.port}.log"),
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """SIGTERM, as ``docker restart`` sends: Redis flushes its file and exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self, *, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stub_worker(celery_worker_process, tmp_path: Path, monkeypatch):
    """``stub_worker(broker, name, seconds)``: a worker whose agent is the stub of
    stub_agent.py; returns (process, agent_log)."""
    agent_log = tmp_path / "agent.jsonl"
    agent_log.touch()

    def start(
        broker: str, name: str, *, seconds: float = 2.0, extra_env: dict | None = None, **kwargs
    ):
        proc = celery_worker_process(
            broker,
            name=name,
            argv=[sys.executable, "-m", "tests.worker.stub_agent"],
            extra_env={
                "AUTOMAT_TEST_AGENT_LOG": str(agent_log),
                "AUTOMAT_TEST_AGENT_SECONDS": str(seconds),
                **(extra_env or {}),
            },
            **kwargs,
        )
        return proc, agent_log

    return start


def agent_events(agent_log: Path) -> Counter:
    """(run id, event) -> how many times the stub agent logged it."""
    lines = [json.loads(line) for line in agent_log.read_text().splitlines() if line]
    return Counter((line["run"], line["event"]) for line in lines)


def micrograph(path: Path, *, seed: int) -> Path:
    """A small calibrated float32 TIFF (its content only needs to differ per seed)."""
    image = np.random.default_rng(seed).random((64, 64), dtype=np.float32)
    tifffile.imwrite(
        path, image, imagej=True, resolution=(10.0, 10.0), metadata={"unit": "angstrom"}
    )
    return path


@pytest.fixture
def queue_runs(alice, lab_a, tmp_path: Path) -> Callable[[int], list]:
    """``queue_runs(n)``: n uploaded samples, each with its run queued (sent on commit)."""
    from automat_web.samples.services import ingest_upload

    seeds = iter(range(1000))

    def make(n: int) -> list:
        runs = []
        for _ in range(n):
            seed = next(seeds)
            path = micrograph(tmp_path / f"sample-{seed}.tif", seed=seed)
            sample = ingest_upload(
                path=path, filename=path.name, owner=alice, group=lab_a,
                name=f"fault {seed}", elements="Mo,S",
            ).sample  # fmt: skip
            runs.append(sample.runs.get())
        return runs

    return make


def wait_for_db(predicate: Callable[[], object], *, timeout: float, every: float = 0.2):
    """``tests.conftest.wait_for`` that rides out a database restart in this process."""
    from django.db import InterfaceError, OperationalError, connections

    from tests.conftest import wait_for

    def tolerant():
        try:
            return predicate()
        except (OperationalError, InterfaceError):
            connections.close_all()
            return False

    tolerant.__doc__ = predicate.__doc__
    return wait_for(tolerant, timeout=timeout, every=every)


def finished_once(runs: list, worker, agent_log: Path, *, log: str) -> Counter:
    """Wait until every run has ended, then check each succeeded with one structure and
    was finished by the agent exactly once; the agent's (run, event) counts, for the
    caller's checks of how often each was started."""
    from automat_web.runs.models import Run
    from automat_web.structures.models import Structure

    def all_finished():
        assert worker.poll() is None, f"the worker died (see test-artifacts/{log})"
        return not Run.objects.filter(pk__in=[r.pk for r in runs]).active().exists()

    all_finished.__doc__ = f"every run finished (see test-artifacts/{log})"
    wait_for_db(all_finished, timeout=90)
    events = agent_events(agent_log)
    for run in runs:
        run.refresh_from_db()
        assert run.status == "succeeded", (run.pk, run.error)
        assert Structure.objects.filter(run=run).count() == 1
        assert events[(run.pk, "end")] == 1, events  # the agent finished it once
    return events
