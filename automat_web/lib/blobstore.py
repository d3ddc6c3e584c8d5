"""Content-addressed file storage: a file's name is the SHA-256 of its bytes.

Writing is atomic (temporary file in the same directory, then rename), so a crash never
leaves a half-written blob under a real name, and storing the same content twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Files under ``root/blobs/ab/cd/<sha256><suffix>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, suffix: str = "") -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / "blobs" / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

    def exists(self, sha256: str, suffix: str = "") -> bool:
        return self.path(sha256, suffix).exists()

    def put_file(self, src: Path, *, sha256: str, suffix: str = "") -> Path:
        """Copy ``src`` in under its (already computed) digest, unless already there."""
        dest = self.path(sha256, suffix)
        if dest.exists():
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
        return dest

    def put_bytes(self, data: bytes, *, suffix: str = "") -> str:
        """Store ``data``; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        dest = self.path(sha256, suffix)
        if dest.exists():
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
        return sha256
