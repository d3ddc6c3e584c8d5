"""The compact dump: export, load in seconds, load only into an empty library; add a
curated structure from a CIF file."""

from __future__ import annotations

import io

import pytest
from ase.io import write
from django.core.management import CommandError, call_command

from reconstruction.descriptors import read_dump
from templates_lib.models import Template
from tests.reconstruction.descriptors.library import STRUCTURES


def _run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_it_exports_and_loads_the_library(built, tmp_path):
    path = tmp_path / "lib.npz"
    _run("dump_templates", str(path))
    before = {t.source_id: (list(t.rich), t.cif) for t in Template.objects.all()}
    Template.objects.all().delete()
    assert _run("load_templates", str(path)).startswith("4 templates loaded")
    after = {t.source_id: (list(t.rich), t.cif) for t in Template.objects.all()}
    assert after.keys() == before.keys()
    for sid, (rich, cif) in before.items():
        assert after[sid][1] == cif
        assert after[sid][0] == pytest.approx(rich, abs=2e-3)  # float16 in the dump
    assert len(read_dump(path).records) == 4
    from django.db import connection

    with connection.cursor() as cur:  # loading into an empty table rebuilt the indexes
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = %s"
        cur.execute(sql, [Template._meta.db_table])
        names = {row[0] for row in cur.fetchall()}
    assert {"template_rich_hnsw", "template_rdf_hnsw"} <= names


def test_it_loads_only_into_an_empty_library_when_asked(built, tmp_path):
    path = tmp_path / "lib.npz"
    _run("dump_templates", str(path))
    Template.objects.filter(source_id="MoS2-1T").delete()
    assert _run("load_templates", str(path), if_empty=True) == "template library: 3 templates\n"
    assert Template.objects.count() == 3


def test_it_refuses_a_missing_dump(db, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("load_templates", str(tmp_path / "none.npz"))


def test_it_adds_a_curated_structure_from_a_cif(db, tmp_path):
    cif = tmp_path / "my-ws2.cif"
    write(cif, STRUCTURES["WS2-2H"](), format="cif")
    assert "stored my-ws2" in _run("add_template", str(cif))
    t = Template.objects.get(source_id="my-ws2")
    assert t.source == "curated" and t.elements == ["S", "W"] and t.image_png


def test_it_refuses_a_file_without_a_structure(db, tmp_path):
    bad = tmp_path / "bad.cif"
    bad.write_text("this is not a CIF")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("add_template", str(bad))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("add_template", str(tmp_path / "none.cif"))


def test_it_starts_with_an_empty_library_when_the_dump_is_missing(db, tmp_path):
    err = io.StringIO()
    call_command("load_templates", str(tmp_path / "none.npz"), if_empty=True, stderr=err)
    assert "template library is empty" in err.getvalue()
    assert Template.objects.count() == 0


def test_the_shipped_dump_is_readable_by_this_code():
    from reconstruction.descriptors import ArrayRetriever, default_dump_path

    library = read_dump()  # raises if the descriptor version no longer matches the code
    assert default_dump_path().name == "templates.npz"
    assert len(library.records) == 6064
    assert abs(float((library.rich[0] ** 2).sum()) - 1.0) < 0.01
    mos2 = next(i for i, r in enumerate(library.records) if r["id"] == "c2dm-MoS2-H")
    match = ArrayRetriever(library).top_k(_descriptor(library, mos2), ["Mo", "S"], k=1)[0]
    assert match.id == "c2dm-MoS2-H" and match.structure.get_chemical_formula() == "MoS2"


def _descriptor(library, row):
    from reconstruction.descriptors import Descriptor

    return Descriptor(rdf=library.rdf[row], rich=library.rich[row], lattice=None)
