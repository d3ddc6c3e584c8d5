"""The shared data set of 2D monolayers (``../shared/data``; see its NOTICE.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ase import Atoms


def shared_data_dir() -> Path:
    """Folder of the shared data: ``AUTOMAT_SHARED_DATA``, else ``<repo>/../shared/data``."""
    env = os.environ.get("AUTOMAT_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def monolayers_path() -> Path:
    return shared_data_dir() / "monolayers.extxyz"


@lru_cache(maxsize=2)
def _load(path: str) -> tuple[Atoms, ...]:
    from ase.io import read

    if not Path(path).exists():
        raise FileNotFoundError(
            f"{path} not found: set AUTOMAT_SHARED_DATA to the folder holding monolayers.extxyz"
        )
    return tuple(read(path, ":"))


def load_monolayers(path: Path | None = None) -> list[Atoms]:
    """All monolayers (copies, safe to modify), in file order; ``info`` carries the fields
    documented in NOTICE.md (``id``, ``formula``, ``e_form_pbe``, ``pass_t4``...)."""
    return [atoms.copy() for atoms in _load(str(path or monolayers_path()))]


def monolayer(structure_id: str, path: Path | None = None) -> Atoms:
    """One monolayer by its ``id`` (e.g. ``"c2dm-MoS2-H"``)."""
    for atoms in _load(str(path or monolayers_path())):
        if atoms.info.get("id") == structure_id:
            return atoms.copy()
    raise KeyError(f"no monolayer with id {structure_id!r}")
