"""Static files: of the browser libraries, the files the pages load and nothing else, and
they survive the manifest storage that ``make run`` collects them with."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management import call_command

from automat_web.static_finders import VendorFinder

ROOT = Path(__file__).resolve().parents[2]
VENDORED = {
    "vendor/htmx/htmx.min.js",
    "vendor/3dmol/3Dmol-min.js",
    "vendor/3dmol/3Dmol-min.js.LICENSE.txt",
}


def test_it_finds_every_static_file_a_template_names() -> None:
    names = {
        m[1]
        for page in (ROOT / "frontend" / "templates").rglob("*.html")
        for m in re.finditer(r"{% static '([^']+)' %}", page.read_text())
    }
    assert "vendor/3dmol/3Dmol-min.js" in names
    assert [name for name in sorted(names) if not finders.find(name)] == []


def test_it_serves_only_the_named_files_of_a_package() -> None:
    assert finders.find("vendor/3dmol/3Dmol-min.js")
    assert finders.find("vendor/3dmol/3Dmol.es6.js") is None  # names maps it does not ship
    assert finders.find("vendor/htmx/ext/sse.js") is None


def test_it_collects_with_the_manifest_storage(settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    assert {name for name in manifest if name.startswith("vendor/")} == VENDORED
    assert (tmp_path / "static" / manifest["vendor/3dmol/3Dmol-min.js"]).is_file()


def test_it_warns_when_the_libraries_are_not_installed(settings, tmp_path: Path) -> None:
    settings.VENDOR_STATIC = {"vendor/htmx": (tmp_path, ["htmx.min.js"])}
    [warning] = VendorFinder().check()
    assert warning.id == "automat.W001"
    assert "make frontend" in warning.hint
