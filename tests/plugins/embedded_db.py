"""pytest plugin: the test suite's own embedded PostgreSQL with pgvector.

Loaded with ``-p`` (pyproject's addopts) so that it runs before pytest-django reads the
settings: it starts a cluster under ``var/test-postgres`` and points DATABASE_URL at it;
pytest-django then creates ``test_automat`` there. This process owns the server and stops
it when the session ends. Set DATABASE_URL yourself to test against another PostgreSQL, or
AUTOMAT_TEST_PGDATA to give a concurrent session its own cluster directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_server = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    global _server
    # Tests serve static files from the finders, whether or not `make run` has run
    # collectstatic (whose manifest would switch templates to hashed names).
    os.environ.setdefault("AUTOMAT_STATIC_MANIFEST", "0")
    if os.environ.get("DATABASE_URL") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(a in ("--help", "-h", "--version") for a in args):
        return
    from automat_web.embedded_db import EmbeddedPostgres

    pgdata = Path(os.environ.get("AUTOMAT_TEST_PGDATA") or ROOT / "var" / "test-postgres")
    _server = EmbeddedPostgres(pgdata.resolve(), database="automat")
    _server.start()
    os.environ["DATABASE_URL"] = _server.url


def pytest_unconfigure(config) -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None
        os.environ.pop("DATABASE_URL", None)
