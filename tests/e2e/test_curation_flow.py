"""A curator of Lab A, in the browser with a real Celery worker: accepts one structure with
a comment, corrects another (Mo -> W: a new version whose energy the worker computes, the
machine result kept), accepts and promotes the correction to the template library; a later
upload of that material retrieves the promoted template. A member of Lab B gets a 404 on
every structure URL used (pages, versions, actions, CIFs, the API) and exports none."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from django.core.management import call_command

from automat_web.runs.models import Run
from automat_web.structures.models import Structure
from templates_lib.models import Template
from tests.automat_web.runs.conftest import PIXEL_SIZE_A, simulated_mos2_tiff, upload
from tests.automat_web.runs.helpers import finished_run
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ENERGY_TIMEOUT_MS = 300_000
RUN_TIMEOUT_MS = 420_000
FINISHED = ", ".join(f"#run[data-status='{s}']" for s in ("succeeded", "needs_review", "failed"))


def _seeded_structure(owner, group, tmp_path: Path, *, seed: int, name: str) -> Structure:
    """The machine result (MoS2) of a finished run of a freshly uploaded sample."""
    tif = simulated_mos2_tiff(tmp_path / f"mos2-{seed}.tif", size=96, seed=seed)
    return finished_run(upload(tif, owner, group, name=name), tmp_path).structure


def _simulated_tiff(atoms, path: Path, *, size: int = 192, seed: int = 11) -> Path:
    """A fast-simulated iDPC micrograph of ``atoms`` as a calibrated float32 TIFF."""
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(
        mode="idpc", dose_e_per_A2=3e4, pixel_size_A=PIXEL_SIZE_A, shape_px=(size, size), seed=seed
    )
    image = simulate_fast(atoms, config).image
    tifffile.imwrite(
        path,
        np.asarray(image, dtype=np.float32),
        imagej=True,
        resolution=(1 / PIXEL_SIZE_A, 1 / PIXEL_SIZE_A),
        metadata={"unit": "angstrom"},
    )
    return path


def _shipped_templates(elements: list[str]) -> int:
    """Store the shipped library's templates of exactly ``elements`` (the promoted one's
    competitors; the whole library takes too long to load here)."""
    from reconstruction.descriptors import read_dump
    from templates_lib.services import store_records

    library = read_dump()
    return store_records(
        {**r, "vectors": {m: {k: v[i] for k, v in vs.items()} for m, vs in library.vectors.items()}}
        for i, r in enumerate(library.records)
        if sorted(r["elements"]) == elements
    )


def _open_from_list(page, structure: Structure) -> None:
    page.goto("/structures/")
    page.click(f"tr[data-structure='{structure.pk}'] .formula a")
    page.wait_for_url(f"**{structure.get_absolute_url()}")


def _review(page, state: str, comment: str) -> None:
    page.check(f"#review-form input[value={state}]")
    page.fill("#review-form textarea", comment)
    page.click("#review-form button[type=submit]")
    page.wait_for_selector(f"#reviews tr[data-to='{state}']")


def test_it_curates_promotes_retrieves_and_hides_from_other_labs(
    page,
    alice,
    charlie,
    lab_a,
    broker_url,
    portal_broker,
    celery_worker_process,
    monkeypatch,
    tmp_path,
) -> None:
    monkeypatch.setenv("AUTOMAT_RUN_RELAX", "0")  # single-point energies: keeps it short
    monkeypatch.setenv("AUTOMAT_ENERGY_CACHE", str(tmp_path / "energy-refs"))
    url = broker_url("sqla")
    portal_broker(url)
    assert _shipped_templates(["S", "W"]) >= 2  # c2dm-WS2-H among them
    kept = _seeded_structure(alice, lab_a, tmp_path, seed=7, name="MoS2 flake 1")
    wrong = _seeded_structure(alice, lab_a, tmp_path, seed=8, name="MoS2 flake 2")
    # The seeded runs' messages reach the worker after they finished: no-ops.
    worker = celery_worker_process(url, name="curation-flow")
    call_command("curators", "grant", "Lab A", "alice", stdout=io.StringIO())

    # 1. Accept one structure, with a comment, from the structures page.
    log_in(page, "alice", "alice-pw-2026")
    page.click("nav >> text=Structures")
    page.wait_for_url("**/structures/")
    assert page.locator("table.structures tbody tr").count() == 2
    _open_from_list(page, kept)
    assert page.inner_text("#curation-state") == "Unreviewed"
    _review(page, "accepted", "lattice and motif look right")
    assert page.inner_text("#curation-state") == "Accepted"
    assert page.inner_text("#reviews .comment") == "lattice and motif look right"
    assert page.inner_text("#reviews .reviewer") == "alice"

    # 2. Correct another: site 0 becomes W; a new version, whose energy the worker computes.
    _open_from_list(page, wrong)
    page.fill("input[name=element-0]", "W")
    page.fill("#correct-comment", "the bright columns are W")
    page.click("#correct-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/structures/\d+/$"))
    version = Structure.objects.get(parent=wrong)
    assert page.url.endswith(version.get_absolute_url())
    assert page.inner_text("h1 .formula") == "WS2"
    assert "version 2" in page.inner_text("h1")
    assert page.locator("#versions tbody tr").count() == 2
    page.wait_for_selector("#energy[data-energy-status='succeeded']", timeout=ENERGY_TIMEOUT_MS)
    assert worker.poll() is None, "the worker died: see test-artifacts/worker-curation-flow.log"
    version.refresh_from_db()
    assert version.energy_model and version.formation_energy_per_atom is not None
    energy = f"{version.formation_energy_per_atom:.3f} eV/atom"
    assert page.inner_text("#energy .energy") == energy
    assert page.inner_text("#energy .energy-model").startswith(version.energy_model)
    screenshot(page, "curation-flow-corrected")

    # The machine result is kept as it was, marked corrected, pointing at the new version.
    page.click("#versions tr[data-version='1'] a")
    page.wait_for_url(f"**{wrong.get_absolute_url()}")
    assert page.inner_text("#curation-state") == "Corrected"
    assert page.inner_text("h1 .formula") == "MoS2"
    assert page.inner_text("#energy .energy") == "-0.810 eV/atom"  # the run's own energy
    assert "the bright columns are W" in page.inner_text("#reviews")
    assert page.locator("#reviews a", has_text="version 2").count() == 1
    assert page.locator("#correct-form").count() == 0  # final: correct the newer version
    wrong.refresh_from_db()
    assert "Mo" in wrong.cif and wrong.formation_energy_per_atom == -0.81

    # 3. Accept the correction and promote it to the template library.
    page.click("#reviews a:has-text('version 2')")
    page.wait_for_url(f"**{version.get_absolute_url()}")
    _review(page, "accepted", "energy is sane")
    page.click("#promote-form button")
    page.wait_for_selector(".library-id")
    library_id = page.inner_text(".library-id")
    assert "Added to the template library" in page.content()
    template = Template.objects.get(source_id=library_id)
    assert (template.source, template.formula) == ("curated", "WS2")
    screenshot(page, "curation-flow-promoted")

    # 4. A later upload of the same material: its run retrieves the promoted template.
    tif = _simulated_tiff(version.atoms(), tmp_path / "ws2.tif")
    page.goto("/samples/upload/")
    page.set_input_files("#id_file", str(tif))
    page.fill("#id_name", "WS2, later")
    page.fill("#id_elements", "W, S")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/samples/\d+/$"))
    sample_url = page.url
    page.wait_for_selector(FINISHED, timeout=RUN_TIMEOUT_MS)
    assert worker.poll() is None, "the worker died: see test-artifacts/worker-curation-flow.log"
    run = Run.objects.get(sample__name="WS2, later")
    match = page.locator("#run .timeline li.step[data-tool='match_templates']")
    assert match.count() >= 1
    assert "template(s); nearest" in match.first.inner_text()
    step = run.current_steps().filter(tool="match_templates").first()
    distance = {m["id"]: m["distance"] for m in step.result["matches"]}
    # Listed, and as near as the shipped 2H WS2 (about 0.003), far nearer than the 1T
    # polymorph or other W-S compounds (> 0.25).
    assert distance[library_id] < 0.05 < distance["c2dm-WS2-T"]
    assert run.status == "succeeded", run.error
    assert page.locator("#run table.matches code", has_text=library_id).count() >= 1
    screenshot(page, "curation-flow-retrieved")
    # The real run's columns are drawn on its structure page and exported as annotations.
    notes = page.request.get(f"/structures/{run.structure.pk}/annotations.json").json()
    px = notes["image"]["pixel_size_A"]
    assert len(notes["columns"]) > 20
    assert {c["element"] for c in notes["columns"]} <= {"W", "S"}
    assert all(abs(c["x_A"] - c["x_px"] * px) < 1e-3 for c in notes["columns"])
    page.goto(f"/structures/{run.structure.pk}/")
    assert page.locator("svg circle").count() == len(notes["columns"])
    screenshot(page, "curation-flow-overlay")

    # 5. Lab B: every URL of this flow is a 404, and exports hold none of Lab A's structures.
    structures = [kept, wrong, version, run.structure]  # the later run's own result too
    pks = [s.pk for s in structures]
    states = dict(Structure.objects.filter(pk__in=pks).values_list("pk", "curation_state"))
    assert [states[pk] for pk in pks] == ["accepted", "corrected", "accepted", "unreviewed"]
    run_url = f"/runs/{run.pk}/"
    page.click("button:has-text('Log out')")
    log_in(page, "charlie", "charlie-pw-2026")
    page.goto("/structures/")
    assert page.locator("table.structures tbody tr").count() == 0
    screenshot(page, "curation-flow-other-lab")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token}
    for s in structures:
        for path in ("", "energy/", "structure.cif", "structure.cif?inline=1"):
            response = page.goto(f"/structures/{s.pk}/{path}")
            assert response.status == 404, (path, s.pk, response.status)
        posts = {
            "review/": {"state": "accepted", "comment": "mine now"},
            "correct/": {"element-0": "Se", "comment": "mine now"},
            "promote/": {},
            "energy/": {},
        }
        for path, form in posts.items():
            response = page.request.post(f"/structures/{s.pk}/{path}", form=form, headers=headers)
            assert response.status == 404, (path, s.pk, response.status)
        api = f"/api/v1/structures/{s.pk}/"
        assert page.request.get(api).status == 404
        for action, body in (
            ("review/", {"state": "accepted"}),
            ("correct/", {"edits": [{"op": "set_element", "site": 0, "element": "Se"}]}),
            ("promote/", {}),
        ):
            response = page.request.post(api + action, data=body, headers=headers)
            assert response.status == 404, (action, s.pk, response.status)
    for path in (sample_url, run_url):
        assert page.goto(path).status == 404, path
    for query in ("", f"?lab={lab_a.pk}", "?formula=WS2"):
        response = page.request.get(f"/structures/export.zip{query}")
        assert response.status == 200
        with zipfile.ZipFile(io.BytesIO(response.body())) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert manifest["structures"] == [], (query, manifest)
    assert page.request.get("/api/v1/structures/").json()["count"] == 0

    # Nothing changed through Lab B's requests.
    assert dict(Structure.objects.filter(pk__in=pks).values_list("pk", "curation_state")) == states
    assert Structure.objects.filter(origin_run_id=wrong.origin_run_id).count() == 2
    assert not Structure.objects.filter(elements__contains=["Se"]).exists()
    assert Template.objects.filter(source="curated").count() == 1
