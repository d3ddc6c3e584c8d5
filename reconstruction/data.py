"""The shared data set of 2D monolayers (``../shared/data``; see its NOTICE.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ase import Atoms

from reconstruction.settings import SHARED_DATA_DIR


def shared_data_dir(folder: Path | None = None) -> Path:
    """Folder of the shared data: ``folder`` if given, else ``<repo>/../shared/data``
    (callers pass ``ScienceSettings.shared_data_dir``)."""
    return Path(folder) if folder else SHARED_DATA_DIR


def monolayers_path(folder: Path | None = None) -> Path:
    return shared_data_dir(folder) / "monolayers.extxyz"


@lru_cache(maxsize=2)
def _load(path: str) -> tuple[Atoms, ...]:
    from ase.io import read

    if not Path(path).exists():
        raise FileNotFoundError(
            f"{path} not found: pass the folder holding monolayers.extxyz "
            "(AUTOMAT_SHARED_DATA for the portal and the automat command)"
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
