"""The web process stays light: heavy science libraries load only where they are used."""

from __future__ import annotations

import subprocess
import sys


def test_it_does_not_import_torch_with_the_urls() -> None:
    code = (
        "import django, sys; django.setup();"
        "import automat_web.urls;"
        "from django.urls import reverse; reverse('samples:list');"
        "print('torch' in sys.modules, 'abtem' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "automat_web.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_it_keeps_django_out_of_reconstruction() -> None:
    code = "import sys, reconstruction.io, reconstruction.chemistry; print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
