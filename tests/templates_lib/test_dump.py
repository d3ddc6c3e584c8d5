"""The compact dump: export, load in seconds, load only what the library lacks; add a
curated structure from a CIF file."""

from __future__ import annotations

import io

import numpy as np
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
    before = {t.source_id: (list(t.rich), list(t.rich_abf), t.cif) for t in Template.objects.all()}
    Template.objects.all().delete()
    assert _run("load_templates", str(path)).startswith("4 templates loaded")
    after = {t.source_id: (list(t.rich), list(t.rich_abf), t.cif) for t in Template.objects.all()}
    assert after.keys() == before.keys()
    for sid, (rich, rich_abf, cif) in before.items():
        assert after[sid][2] == cif
        assert after[sid][0] == pytest.approx(rich, abs=2e-3)  # float16 in the dump
        assert after[sid][1] == pytest.approx(rich_abf, abs=2e-3)
    assert len(read_dump(path).records) == 4
    from django.db import connection

    with connection.cursor() as cur:  # loading into an empty table rebuilt the indexes
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = %s"
        cur.execute(sql, [Template._meta.db_table])
        names = {row[0] for row in cur.fetchall()}
    assert {"template_rich_hnsw", "template_rdf_hnsw", "template_rich_haadf_hnsw"} <= names


def test_it_loads_only_what_the_library_lacks_when_asked(built, tmp_path):
    path = tmp_path / "lib.npz"
    _run("dump_templates", str(path))
    Template.objects.filter(source_id="MoS2-1T").delete()
    expected = "template library: 3 templates (abf, haadf, idpc)\n"
    assert _run("load_templates", str(path), if_needed=True) == expected
    assert Template.objects.count() == 3
    # A library from before HAADF descriptors existed gets them from the dump.
    Template.objects.update(rich_haadf=None, rdf_haadf=None)
    assert _run("load_templates", str(path), if_needed=True).startswith("4 templates loaded")
    assert Template.objects.filter(rich_haadf__isnull=False).count() == 4


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
    call_command("load_templates", str(tmp_path / "none.npz"), if_needed=True, stderr=err)
    assert "template library is empty" in err.getvalue()
    assert Template.objects.count() == 0


def test_the_shipped_dump_is_readable_by_this_code():
    from reconstruction.descriptors import ArrayRetriever, default_dump_path

    library = read_dump()  # raises if the descriptor version no longer matches the code
    assert default_dump_path().name == "templates.npz"
    assert len(library.records) == 6064
    assert library.modes == ("idpc", "haadf", "abf")
    mos2 = next(i for i, r in enumerate(library.records) if r["id"] == "c2dm-MoS2-H")
    for mode in library.modes:
        assert abs(float((library.matrix("rich", mode)[0] ** 2).sum()) - 1.0) < 0.01
        query = _descriptor(library, mos2, mode)
        match = ArrayRetriever(library).top_k(query, ["Mo", "S"], k=1)[0]
        assert match.id == "c2dm-MoS2-H" and match.structure.get_chemical_formula() == "MoS2"
    described = {
        m: int((~np.isnan(library.matrix("rich", m)).any(axis=1)).sum()) for m in library.modes
    }
    assert described == {"idpc": 6064, "haadf": 6064, "abf": 6064}


def _descriptor(library, row, mode):
    from reconstruction.descriptors import Descriptor

    rdf, rich = library.matrix("rdf", mode)[row], library.matrix("rich", mode)[row]
    return Descriptor(rdf=rdf, rich=rich, lattice=None, mode=mode)
