"""The DFT-labelled 2D monolayers and their fixed train/evaluation split.

The split is decided by a hash of each structure's ``id`` alone, so it never changes when
structures are added, reordered or filtered, and a structure is in exactly one part.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reconstruction.data import monolayers_path

if TYPE_CHECKING:
    from ase import Atoms

SPLITS = ("train", "eval")
Split = Literal["train", "eval"]


def id_hash(structure_id: str) -> int:
    """A stable 64-bit hash of a structure id (first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(structure_id.encode()).digest()[:8], "big")


def split_of(structure_id: str) -> Split:
    """``"train"`` or ``"eval"`` for a structure id: a fixed 50/50 split by id hash."""
    return "train" if id_hash(structure_id) % 2 == 0 else "eval"


def tier_of(n_elements: int) -> str:
    """Tier-like group by number of elements: unary, binary, ternary or quaternary+."""
    return {1: "unary", 2: "binary", 3: "ternary"}.get(int(n_elements), "quaternary+")


def load_labelled(split: Split | None = None, *, path: Path | None = None) -> list[Atoms]:
    """Monolayers that carry a DFT formation energy, optionally one part of the split.

    Parameters
    ----------
    split : {"train", "eval"} or None
        Part to return; None returns all labelled structures.
    path : Path, optional
        extxyz file; default ``monolayers.extxyz`` of the shared data
        (:data:`reconstruction.settings.SHARED_DATA_DIR`).

    Returns
    -------
    list of ase.Atoms
        Ordered by :func:`id_hash`, so a prefix of the list is an unbiased sample. Each
        frame's ``info`` holds ``id``, ``e_form_pbe`` [eV/atom], ``e_form_source``, ...
    """
    from ase.io import read

    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
    frames = read(path or monolayers_path(), ":")
    labelled = [a for a in frames if "e_form_pbe" in a.info]
    if split is not None:
        labelled = [a for a in labelled if split_of(str(a.info["id"])) == split]
    return sorted(labelled, key=lambda a: id_hash(str(a.info["id"])))
