"""A microscopist enters the pixel size of an uncalibrated PNG whose elements are known: the
run is queued and its panel appears at once, without reloading the page."""

from __future__ import annotations

import re

import pytest

from automat_web.runs.models import Run
from tests.e2e.conftest import log_in, screenshot
from tests.fixtures import micrographs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_entering_the_pixel_size_shows_the_queued_run(
    page, alice, tmp_path, broker_url, portal_broker
) -> None:
    portal_broker(broker_url("sqla"))  # the run's task goes to the test database
    log_in(page, "alice", "alice-pw-2026")
    page.goto("/samples/upload/")
    page.set_input_files("#id_file", str(micrographs.png(tmp_path / "graphene.png")))
    page.fill("#id_name", "Graphene PNG")
    page.fill("#id_elements", "C")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/samples/\d+/$"))
    assert "Processing starts once" in page.inner_text("#run")

    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.fill("#id_pixel_size_A", "0.0712")
    page.click("#pixel-size-form button[type=submit]")
    page.wait_for_selector("#run[data-status='queued']")  # swapped in with the calibration
    run = Run.objects.get()
    assert page.get_attribute("#run", "data-run") == str(run.pk)
    assert "Waiting for a worker" in page.inner_text("#run")
    assert page.inner_text("#status") == "ready"
    assert "Processing starts once" not in page.content()
    # Still live: the panel polls the run's row and shows a change without a reload.
    Run.objects.filter(pk=run.pk).update(status="cancelled", error="cancelled")
    page.wait_for_selector("#run[data-status='cancelled']", timeout=10_000)
    assert navigations == [], "the page reloaded instead of swapping"
    screenshot(page, "calibration-starts-run")
