"""The static files finder of the browser libraries: only the files the pages load.

An npm package holds more than a page needs. 3Dmol's ``build/`` folder has five builds
(5 MB each unminified) and TypeScript types, and its ES-module build names in
``sourceMappingURL`` comments source maps the package does not ship, which the manifest
storage of ``collectstatic`` refuses. Serving each library's folder would collect all of
that; this finder serves the files named in ``settings.VENDOR_STATIC`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Warning
from django.core.files.storage import FileSystemStorage


class VendorFinder(BaseFinder):
    """Find ``<prefix>/<name>`` for each ``prefix: (folder, [name, ...])`` of
    ``settings.VENDOR_STATIC``, e.g. ``vendor/3dmol/3Dmol-min.js``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        #: (storage whose ``prefix`` collectstatic prepends, name inside it, absolute path)
        self.entries: list[tuple[FileSystemStorage, str, Path]] = []
        for prefix, (folder, names) in settings.VENDOR_STATIC.items():
            storage = FileSystemStorage(location=folder)
            storage.prefix = prefix
            self.entries += [(storage, name, Path(folder) / name) for name in names]
        self.paths = {f"{s.prefix}/{name}": path for s, name, path in self.entries}

    def check(self, **kwargs: object) -> list[CheckMessage]:
        return [
            Warning(
                f"{path} is missing: the browser libraries are not installed",
                hint="run `make frontend` (npm ci in frontend/)",
                id="automat.W001",
            )
            for _storage, _name, path in self.entries
            if not path.is_file()
        ]

    def find(self, path: str, find_all: bool = False) -> str | list[str]:
        # Django's contract: the path, or the list of all matches (empty when none).
        found = self.paths.get(path)
        matches = [str(found)] if found is not None and found.is_file() else []
        return matches[0] if matches and not find_all else matches

    def list(self, ignore_patterns: list[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        for storage, name, path in self.entries:
            if path.is_file():
                yield name, storage
