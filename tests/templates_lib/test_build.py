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
    for mode in ("haadf", "abf"):  # described as each imaging mode's image too
        assert len(getattr(t, f"rich_{mode}")) == 192 and len(getattr(t, f"rdf_{mode}")) == 32
        assert list(getattr(t, f"rich_{mode}")) != pytest.approx(list(t.rich), abs=1e-3)
    assert bytes(t.image_png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "_cell_length_a" in t.cif
    assert Template.objects.get(source_id="C-graphene").formation_energy_per_atom is None


def test_it_skips_unchanged_structures_and_redoes_changed_ones(built, tmp_path):
    again = _run("build_templates", source=built, workers=1)
    lines = again.splitlines()
    assert [line.split(" in ")[0] for line in lines] == [
        f"{mode}: 0 templates stored, 4 unchanged, 0 failed" for mode in ("idpc", "haadf", "abf")
    ]
    frames = read(built, ":")
    frames[2].positions[:, 2] += 0.3  # graphene moved: new content hash
    changed = tmp_path / "changed.extxyz"
    write(changed, frames, format="extxyz")
    out = _run("build_templates", source=changed, workers=1, modes="idpc")
    assert out.startswith("idpc: 1 templates stored")
    assert Template.objects.count() == 4
    # The changed structure's HAADF and ABF vectors were of its old self: gone, so the next
    # build of those modes redoes it (and only it).
    graphene = Template.objects.get(source_id="C-graphene")
    assert graphene.rich_haadf is None and graphene.rich_abf is None and graphene.rich is not None
    assert Template.objects.get(source_id="MoS2-2H").rich_haadf is not None
    out = _run("build_templates", source=changed, workers=1, modes="haadf")
    assert out.startswith("haadf: 1 templates stored, 3 unchanged")


def test_it_adds_an_imaging_mode_to_an_existing_library(db, source):
    _run("build_templates", source=source, workers=1, modes="idpc")
    t = Template.objects.get(source_id="MoS2-2H")
    assert t.rich_haadf is None and t.image_png
    out = _run("build_templates", source=source, workers=1, modes="haadf")
    assert out.startswith("haadf: 4 templates stored")
    after = Template.objects.get(source_id="MoS2-2H")
    assert len(after.rich_haadf) == 192 and after.rich_abf is None
    assert list(after.rich) == pytest.approx(list(t.rich)) and bytes(after.image_png) == bytes(
        t.image_png
    )  # the iDPC vectors and image are kept


def test_it_builds_the_first_n_in_parallel(db, source):
    out = _run("build_templates", source=source, limit=2, workers=2, modes="idpc,haadf")
    assert out.startswith("idpc: 2 templates stored")
    assert set(Template.objects.values_list("source_id", flat=True)) == {"MoS2-2H", "MoS2-1T"}


def test_it_refuses_a_missing_source_or_a_bad_limit(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("build_templates", source=tmp_path / "none.extxyz")
    with pytest.raises(CommandError, match="--limit"):
        call_command("build_templates", limit=0)
    with pytest.raises(CommandError, match=r"--modes: unknown.*'tem'"):
        call_command("build_templates", modes="idpc,tem")
