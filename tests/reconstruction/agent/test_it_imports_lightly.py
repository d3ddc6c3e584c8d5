"""Importing the agent (as the web app and the worker do) loads no torch, openai or Django."""

from __future__ import annotations

import subprocess
import sys


def test_it_imports_without_heavy_packages():
    code = (
        "import sys; import reconstruction.agent; from reconstruction.agent import LLMSettings; "
        "print(sorted(m for m in ('torch', 'openai', 'django', 'abtem', 'templates_lib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
