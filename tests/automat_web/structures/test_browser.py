"""In a browser, with a real Celery worker: the curator of Lab A finds a structure on the
structures page, corrects Mo -> W (a new version whose energy the worker computes, shown
live), accepts it and promotes it to the template library."""

from __future__ import annotations

import os

import pytest

from automat_web.structures.models import Structure
from templates_lib.models import Template
from tests.e2e.conftest import browser, log_in, page, screenshot  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ENERGY_TIMEOUT_MS = 300_000


def test_a_curator_corrects_accepts_and_promotes(
    page,  # noqa: F811 - the fixture imported above
    structure,
    dora,
    broker_url,
    portal_broker,
    celery_worker_process,
    monkeypatch,
    tmp_path,
) -> None:
    monkeypatch.setenv("AUTOMAT_RUN_RELAX", os.environ.get("AUTOMAT_TEST_RUN_RELAX", "0"))
    monkeypatch.setenv("AUTOMAT_ENERGY_CACHE", str(tmp_path / "energy-refs"))
    url = broker_url("sqla")
    portal_broker(url)
    worker = celery_worker_process(url, name="curation-e2e")
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    log_in(page, "dora", "dora-pw-2026")
    page.click("nav >> text=Structures")
    page.fill("input[name=formula]", "MoS2")
    page.wait_for_url("**/structures/?formula=MoS2*")
    page.click(f"tr[data-structure='{structure.pk}'] .formula a")
    page.wait_for_selector("#structure-viewer[data-shown='yes']")
    assert page.inner_text("#curation-state") == "Unreviewed"

    page.fill("input[name=element-0]", "W")
    page.fill("#correct-comment", "the bright columns are W")
    page.click("#correct-form button[type=submit]")
    page.wait_for_url("**/structures/*/")
    version = Structure.objects.get(parent=structure)
    assert page.url.endswith(version.get_absolute_url())
    assert page.inner_text("h1 .formula") == "WS2"
    page.wait_for_selector("#energy[data-energy-status='succeeded']", timeout=ENERGY_TIMEOUT_MS)
    assert worker.poll() is None, "the worker died: see test-artifacts/worker-curation-e2e.log"
    assert page.inner_text("#energy .energy").endswith("eV/atom")
    screenshot(page, "curation-corrected")

    page.check("#review-form input[value=accepted]")
    page.fill("#review-form textarea", "energy is sane")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#reviews tr[data-to='accepted']")
    page.click("#promote-form button")
    page.wait_for_selector(".library-id")
    assert Template.objects.filter(source_id=page.inner_text(".library-id")).exists()

    page.goto(structure.get_absolute_url())
    assert page.inner_text("#curation-state") == "Corrected"
    assert "the bright columns are W" in page.inner_text("#reviews")
    screenshot(page, "curation-promoted")
    assert csp_errors == []
