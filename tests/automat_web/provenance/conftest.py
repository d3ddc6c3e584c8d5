"""Fixtures of the provenance tests: the run tests' simulated MoS2 micrograph."""

from __future__ import annotations

from tests.automat_web.runs.conftest import mos2_tiff  # noqa: F401 - the fixture, re-exported
