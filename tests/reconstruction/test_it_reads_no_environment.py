"""The science reads no environment: settings come in from the callers' edge
(``automat_web.env.science_settings`` for the portal, the worker and the CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import reconstruction
from reconstruction.settings import DEFAULT, ENV_VARS, ScienceSettings

PACKAGE = Path(reconstruction.__file__).parent


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of every ``os.environ`` / ``os.getenv`` / ``environ`` / ``getenv`` use,
    also through ``from os import environ, getenv``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv", "environb"):
                    found.append((node.lineno, f"from os import {alias.name}"))
    return found


def test_no_module_under_reconstruction_reads_the_environment():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, what in _environment_reads(tree):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert not offenders, "reconstruction/ must take settings as arguments:\n" + "\n".join(
        offenders
    )


def test_the_scan_finds_what_it_looks_for():
    source = "import os\nfrom os import getenv\nx = os.environ.get('A')\ny = os.getenv('B')\n"
    assert sorted(line for line, _ in _environment_reads(ast.parse(source))) == [2, 3, 4]


def test_the_defaults_are_plain_paths_next_to_the_repository():
    repo = PACKAGE.parent
    assert DEFAULT.shared_data_dir == repo.parent / "shared" / "data"
    assert DEFAULT.energy_cache_dir == repo / "var" / "energy_refs"
    assert DEFAULT.templates_dump == repo / "templates_lib" / "data" / "templates.npz"
    assert DEFAULT.energy_threads == 1 and DEFAULT.torch_threads == 0
    assert DEFAULT.mattersim_checkpoint is None


def test_the_edge_fills_every_setting_from_the_same_variables(monkeypatch, tmp_path):
    from automat_web.env import science_settings

    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    assert science_settings() == DEFAULT
    values = {
        "shared_data_dir": tmp_path / "data",
        "energy_cache_dir": tmp_path / "refs",
        "energy_threads": 3,
        "torch_threads": 2,
        "mattersim_checkpoint": tmp_path / "ms.pth",
        "templates_dump": tmp_path / "t.npz",
        "torch_device": "cuda:1",
    }
    assert set(values) == set(ENV_VARS)
    for field, value in values.items():
        monkeypatch.setenv(ENV_VARS[field], str(value))
    assert science_settings() == ScienceSettings(**values)


def test_the_edge_refuses_a_bad_thread_count(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from automat_web.env import science_settings

    for bad in ("0", "two"):
        monkeypatch.setenv("AUTOMAT_ENERGY_THREADS", bad)
        with pytest.raises(ImproperlyConfigured, match="AUTOMAT_ENERGY_THREADS"):
            science_settings()
