"""The library commands follow AUTOMAT_TEMPLATES_DUMP and AUTOMAT_SHARED_DATA, as the
portal and the ``automat`` command do (the science itself reads no environment)."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command


def test_load_templates_reads_the_dump_the_environment_names(monkeypatch, tmp_path):
    missing = tmp_path / "elsewhere.npz"
    monkeypatch.setenv("AUTOMAT_TEMPLATES_DUMP", str(missing))

    with pytest.raises(CommandError, match=r"elsewhere\.npz"):
        call_command("load_templates")


def test_build_templates_reads_the_shared_data_the_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOMAT_SHARED_DATA", str(tmp_path))

    with pytest.raises(CommandError, match=re.escape(str(tmp_path))):
        call_command("build_templates", "--limit", "1")
