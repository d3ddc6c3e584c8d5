"""Content-addressed file storage: a file's name is the SHA-256 of its bytes.

Writing is atomic (temporary file in the same directory, then rename), so a crash never
leaves a half-written blob under a real name, and storing the same content twice is a no-op.

Across hosts the blobs live in a Django storage (S3-compatible: ``AUTOMAT_STORAGE=s3``) and
``root`` is this host's cache of them: a blob is written here and to the storage, and read
from the storage into the cache the first time this host needs it. Blobs never change, so
a cached copy is never stale, and the cache may be pruned at any time. With the local
default (a FileSystemStorage) the files under ``root`` are the store itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
#: ``BlobStore(remote=...)``'s default: Django's default storage, unless it is on local disk.
FROM_SETTINGS: Any = object()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remote_from_settings():
    """Django's default storage when it keeps files elsewhere (S3), else None."""
    from django.core.files.storage import FileSystemStorage, storages

    storage = storages["default"]
    return None if isinstance(storage, FileSystemStorage) else storage


class BlobStore:
    """Files under ``root/blobs/ab/cd/<sha256><suffix>`` (and under the same name in
    ``remote``, a Django storage, when there is one)."""

    def __init__(self, root: Path, *, remote: Any = FROM_SETTINGS) -> None:
        self.root = Path(root)
        self._remote = remote

    @property
    def remote(self):
        if self._remote is FROM_SETTINGS:
            self._remote = _remote_from_settings()
        return self._remote

    @staticmethod
    def name(sha256: str, suffix: str = "") -> str:
        """The blob's name relative to the store (``blobs/ab/cd/<sha256><suffix>``)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"

    def path(self, sha256: str, suffix: str = "") -> Path:
        """The blob as a file on this host (fetched from the remote storage the first time);
        a path that does not exist when the blob is nowhere."""
        local = self.root / self.name(sha256, suffix)
        if not local.exists() and self.remote is not None:
            self._fetch(self.name(sha256, suffix), local)
        return local

    def exists(self, sha256: str, suffix: str = "") -> bool:
        name = self.name(sha256, suffix)
        if (self.root / name).exists():
            return True
        return self.remote is not None and self.remote.exists(name)

    def _fetch(self, name: str, dest: Path) -> None:
        """Copy a blob from the remote storage into the cache, checking its digest."""
        if not self.remote.exists(name):
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".fetching-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self.remote.open(name, "rb") as inp:
                for chunk in iter(lambda: inp.read(_CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != dest.name[:64]:
                raise OSError(f"blob {name} in the storage does not match its SHA-256")
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _upload(self, local: Path, name: str) -> None:
        """Copy a stored blob to the remote storage, unless it is there already."""
        if self.remote is None or self.remote.exists(name):
            return
        from django.core.files import File

        with open(local, "rb") as fh:
            saved = self.remote.save(name, File(fh, name=name))
        if saved != name:  # a storage that renames on collision: blobs are shared by name
            raise RuntimeError(f"the storage saved blob {name} as {saved}")

    def put_file(self, src: Path, *, sha256: str, suffix: str = "") -> Path:
        """Copy ``src`` in under its (already computed) digest, unless already there."""
        dest = self.root / self.name(sha256, suffix)
        if dest.exists():
            self._upload(dest, self.name(sha256, suffix))
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._upload(dest, self.name(sha256, suffix))
        return dest

    def put_bytes(self, data: bytes, *, suffix: str = "") -> str:
        """Store ``data``; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        dest = self.root / self.name(sha256, suffix)
        if dest.exists():
            self._upload(dest, self.name(sha256, suffix))
            return sha256
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._upload(dest, self.name(sha256, suffix))
        return sha256
