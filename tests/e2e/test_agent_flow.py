"""A microscopist uploads a simulated MoS2 micrograph through the web form; a real Celery
worker runs the agent; the sample page shows every step live, then the structure in 3D,
its lattice, energy (model named), residual map and CIF download."""

from __future__ import annotations

import re

import pytest

from automat_web.runs.models import Run
from tests.automat_web.runs.conftest import simulated_mos2_tiff
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT_MS = 420_000


def test_it_shows_the_agent_run_live_and_the_structure(
    page,
    alice,
    broker_url,
    portal_broker,
    celery_worker_process,
    tmp_path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("AUTOMAT_RUN_RELAX", "0")  # single-point energy: keeps the suite short
    url = broker_url("sqla")
    portal_broker(url)
    worker = celery_worker_process(url, name="e2e-agent")
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    log_in(page, "alice", "alice-pw-2026")
    page.goto("/samples/upload/")
    page.set_input_files("#id_file", str(simulated_mos2_tiff(tmp_path / "mos2.tif")))
    page.fill("#id_name", "Simulated MoS2")
    page.fill("#id_elements", "Mo, S")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/samples/\d+/$"))
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # Live: a step appears while the run is still going (htmx polling of the run panel).
    page.wait_for_selector("#run[data-status='running'] .timeline li.step", timeout=RUN_TIMEOUT_MS)
    screenshot(page, "agent-flow-running")
    page.wait_for_selector(
        ", ".join(f"#run[data-status='{s}']" for s in ("succeeded", "needs_review", "failed")),
        timeout=RUN_TIMEOUT_MS,
    )
    assert worker.poll() is None, "the worker died (see test-artifacts/worker-e2e-agent.log)"
    run = Run.objects.get()
    assert run.status == "succeeded", run.error
    assert navigations == [], "the run panel reloaded the page instead of swapping"

    # Every step of the run, in order, with its summary and its images.
    steps = list(run.current_steps())
    items = page.locator("#run .timeline li.step")
    assert items.count() == len(steps) >= 3
    for i, step in enumerate(steps):
        assert items.nth(i).get_attribute("data-tool") == step.tool
        assert step.summary[:40] in items.nth(i).inner_text()
    images = page.locator("#run img.artifact")
    assert images.count() >= 2  # at least the overlay and the residual map
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")

    structure = run.structure
    assert page.inner_text("#run .formula") == "MoS2" == structure.formula
    assert page.inner_text("#run .energy").endswith("eV/atom")
    assert page.inner_text("#run .energy-model").startswith(structure.energy_model)
    assert structure.energy_model and structure.formation_energy_per_atom < 0
    assert abs(float(page.inner_text("#run .lattice-a").split()[0]) - 3.184) < 0.05
    assert page.locator("#run img.residual-map").count() == 1

    viewer = page.locator("#structure-viewer")
    page.wait_for_selector("#structure-viewer[data-shown='yes']")
    assert int(viewer.get_attribute("data-atoms")) >= 3 * 9  # MoS2 in a 3 x 3 supercell
    assert viewer.locator("canvas").count() >= 1

    with page.expect_download() as download:
        page.click("#run .cif-download")
    cif = open(download.value.path()).read()  # noqa: SIM115 - small file
    assert "_cell_length_a" in cif and "Mo" in cif
    screenshot(page, "agent-flow-succeeded")
    assert csp_errors == []

    page.click("#run button.rerun")
    page.wait_for_selector(f"#run:not([data-run='{run.pk}'])")
    assert Run.objects.filter(sample=run.sample).count() == 2
