"""build_templates: renders, describes and stores; skips what has not changed."""

from __future__ import annotations

import io

import pytest
from ase.io import read, write
from django.core.management import CommandError, call_command

from templates_lib.models import Template


def _run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_it_stores_every_structure_with_its_descriptors_and_image(built):
    assert Template.objects.count() == 4
    t = Template.objects.get(source_id="MoS2-2H")
    assert t.elements == ["Mo", "S"] and t.formula == "MoS2" and t.n_atoms == 3
    assert t.a_A == pytest.approx(3.184, abs=1e-3) and t.gamma_deg == pytest.approx(120.0)
    assert t.formation_energy_per_atom == pytest.approx(-0.842)
    assert len(t.rich) == 192 and len(t.rdf) == 32
    assert bytes(t.image_png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "_cell_length_a" in t.cif
    assert Template.objects.get(source_id="C-graphene").formation_energy_per_atom is None


def test_it_skips_unchanged_structures_and_redoes_changed_ones(built, tmp_path):
    again = _run("build_templates", source=built, workers=1)
    assert again.startswith("0 templates stored, 4 unchanged")
    frames = read(built, ":")
    frames[2].positions[:, 2] += 0.3  # graphene moved: new content hash
    changed = tmp_path / "changed.extxyz"
    write(changed, frames, format="extxyz")
    assert _run("build_templates", source=changed, workers=1).startswith("1 templates stored")
    assert Template.objects.count() == 4


def test_it_builds_the_first_n_in_parallel(db, source):
    out = _run("build_templates", source=source, limit=2, workers=2)
    assert out.startswith("2 templates stored")
    assert set(Template.objects.values_list("source_id", flat=True)) == {"MoS2-2H", "MoS2-1T"}


def test_it_refuses_a_missing_source_or_a_bad_limit(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("build_templates", source=tmp_path / "none.extxyz")
    with pytest.raises(CommandError, match="--limit"):
        call_command("build_templates", limit=0)
