"""The sample page's "All runs" table follows the run panel: a run that finishes while the
page is open reads Succeeded in both, not Running in the table until a reload."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import upload
from .helpers import finished_run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _history(html: str) -> str:
    found = re.search(r'<section class="card run-history" id="run-history"[^>]*>.*?</section>',
                      html, re.S)  # fmt: skip
    assert found, "the panel fragment carries no All-runs table"
    return found.group(0)


def test_the_panel_fragment_carries_the_all_runs_table_out_of_band(
    client, alice, lab_a, mos2_tiff, tmp_path
):
    client.force_login(alice)
    sample = upload(mos2_tiff, alice, lab_a)
    queued = sample.runs.get()

    first = _history(client.get(reverse("runs:panel", args=[queued.pk]), **HTMX).content.decode())
    assert 'hx-swap-oob="true"' in first
    assert f'data-run="{queued.pk}"' in first and "Queued" in first

    done = finished_run(sample, tmp_path)
    html = client.get(reverse("runs:panel", args=[done.pk]), **HTMX).content.decode()
    table = _history(html)
    row = re.search(rf'<tr class="run-row" data-run="{done.pk}">.*?</tr>', table, re.S).group(0)
    assert "Succeeded" in row


def test_the_full_page_keeps_its_table_in_place(client, alice, lab_a, mos2_tiff, tmp_path):
    client.force_login(alice)
    sample = upload(mos2_tiff, alice, lab_a)
    finished_run(sample, tmp_path)

    page = client.get(sample.get_absolute_url()).content.decode()

    assert page.count('id="run-history"') == 1
    assert "hx-swap-oob" not in _history(page)
