from __future__ import annotations

from pathlib import Path

import pytest
from ase.io import write

from tests.reconstruction.descriptors.library import STRUCTURES


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """An extxyz file of four structures, as ``build_templates --source`` reads it."""
    frames = []
    for sid in ("MoS2-2H", "MoS2-1T", "C-graphene", "CH-graphane"):
        atoms = STRUCTURES[sid]()
        atoms.info.update(id=sid, source="test")
        frames.append(atoms)
    frames[0].info["e_form_pbe"] = -0.842
    path = tmp_path / "source.extxyz"
    write(path, frames, format="extxyz")
    return path


@pytest.fixture
def built(db, source: Path) -> Path:
    from django.core.management import call_command

    call_command("build_templates", source=source, workers=1)
    return source
