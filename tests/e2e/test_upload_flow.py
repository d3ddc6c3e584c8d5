"""A microscopist uploads a calibrated TIFF, a DM3 and an uncalibrated PNG, calibrates the
PNG, and sees all three; a member of another lab sees none of them."""

from __future__ import annotations

import re

import pytest

from automat_web.samples.models import Sample
from tests.e2e.conftest import log_in, screenshot
from tests.fixtures import micrographs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _upload(page, path, *, name: str, elements: str = "") -> None:
    page.goto("/samples/upload/")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_name", name)
    page.fill("#id_elements", elements)
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/samples/\d+/$"))


def test_it_uploads_calibrates_and_isolates(page, alice, charlie, tmp_path) -> None:
    log_in(page, "alice", "alice-pw-2026")
    _upload(
        page, micrographs.calibrated_tiff(tmp_path / "mos2.tif"), name="MoS2 TIFF", elements="Mo, S"
    )
    assert "file:" in page.inner_text(".calibration-source")
    _upload(page, micrographs.dm3(tmp_path / "wse2.dm3"), name="WSe2 DM3", elements="W Se")
    assert page.inner_text(".calibration-source").startswith("file:dm")

    _upload(page, micrographs.png(tmp_path / "graphene.png"), name="Graphene PNG")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert page.evaluate("typeof window.htmx") == "object"  # our own copy from node_modules
    assert "uncalibrated" in page.inner_text("#calibration")
    assert "needs pixel size" in page.inner_text("#status")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.fill("#id_pixel_size_A", "0.0712")
    page.click("#pixel-size-form button[type=submit]")
    page.wait_for_selector("#calibration .pixel-size")  # swapped in by htmx, no reload
    assert "0.07120 Å/px" in page.inner_text("#calibration .pixel-size")
    assert page.inner_text("#calibration .calibration-source") == "user"
    assert navigations == [], "the calibration form reloaded the page instead of swapping"
    assert page.inner_text("#status") == "ready"  # updated out of band by the same response
    screenshot(page, "upload-flow-calibrated-detail")

    page.goto("/samples/")
    rows = page.locator("table.samples tbody tr")
    assert rows.count() == 3
    sources = {
        rows.nth(i).locator("td a").first.inner_text(): rows.nth(i)
        .locator(".calibration-source")
        .inner_text()
        for i in range(3)
    }
    assert sources["Graphene PNG"] == "user"
    assert sources["WSe2 DM3"].startswith("file:dm")
    assert sources["MoS2 TIFF"].startswith("file:")
    thumbs = page.locator("img.thumb")
    assert thumbs.count() == 3
    for i in range(3):  # every thumbnail really loaded
        assert thumbs.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "upload-flow-alice-list")

    sample_ids = list(Sample.objects.values_list("pk", flat=True))
    page.click("button:has-text('Log out')")
    log_in(page, "charlie", "charlie-pw-2026")
    assert page.locator("table.samples tbody tr").count() == 0
    for pk in sample_ids:
        response = page.goto(f"/samples/{pk}/")
        assert response.status == 404
    screenshot(page, "upload-flow-charlie-404")
