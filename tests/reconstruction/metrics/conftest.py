"""Fixtures for the pure benchmark-metric tests: no Django, no database.

``tests/conftest.py`` isolates the portal's data directory through pytest-django's
``settings`` fixture for every test; these tests never touch it and must also run with
``-p no:django``, so the fixture is replaced here by one that needs nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
