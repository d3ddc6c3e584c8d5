"""The sample page lists every run of the sample (not only the latest), and any past run's
panel opens from it; two runs compare side by side."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.runs import lifecycle
from tests.automat_web.runs.conftest import upload

from .helpers import processed_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_runs(alice, lab_a, mos2_tiff, monkeypatch):
    sample = upload(mos2_tiff, alice, lab_a)
    first = processed_run(sample.runs.get(), monkeypatch, formula="MoS2", score=0.91)
    second = processed_run(lifecycle.rerun(first), monkeypatch, formula="WS2", score=0.62)
    return sample, first, second


def test_it_lists_every_run_on_the_sample_page(client, alice, two_runs) -> None:
    sample, first, second = two_runs
    client.force_login(alice)
    html = client.get(sample.get_absolute_url()).content.decode()
    assert f'data-run="{first.pk}"' in html and f'data-run="{second.pk}"' in html
    history = html[html.index('id="run-history"') :]
    for text in ("MoS2", "WS2", "0.91", "0.62", "-0.810", "rules", "Succeeded"):
        assert text in history
    panel = reverse("runs:panel", args=[first.pk])
    assert f'hx-get="{panel}"' in history
    assert reverse("samples:provenance", args=[sample.pk]) in history
    # The latest run's panel is shown; ?run= shows an older one.
    assert html.index(f'<section class="card run" id="run" data-run="{second.pk}"') >= 0
    old = client.get(sample.get_absolute_url() + f"?run={first.pk}").content.decode()
    assert f'<section class="card run" id="run" data-run="{first.pk}"' in old
    fragment = client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    assert f'data-run="{first.pk}"' in fragment and "<html" not in fragment


def test_it_compares_two_runs_side_by_side(client, alice, two_runs) -> None:
    sample, first, second = two_runs
    client.force_login(alice)
    url = reverse("samples:compare", args=[sample.pk])
    response = client.get(url, {"a": first.pk, "b": second.pk})
    assert response.status_code == 200
    rows = {row.label: row for row in response.context["rows"]}
    assert (rows["Formula"].a, rows["Formula"].b) == ("MoS2", "WS2") and rows["Formula"].differs
    assert (rows["Check score"].a, rows["Check score"].b) == ("0.910", "0.620")
    assert rows["a"].a == "3.1840 Å" and not rows["a"].differs
    assert rows["Formation energy"].a == "-0.810 eV/atom"
    assert rows["Space group"].a == "P-6m2" and rows["Code version"].a != "—"
    assert not rows["Denoiser weights"].differs and rows["Denoiser weights"].a != "—"
    review = {row.label: row for row in response.context["review_rows"]}
    assert review["forward_model"].a.startswith("✓")
    html = response.content.decode()
    assert 'class="differs" data-row="Formula"' in html and 'data-tool="denoise"' in html
    assert client.get(url).status_code == 200  # without a and b: the form to pick them


def test_another_lab_gets_404(client, charlie, alice, two_runs, lab_a, tmp_path) -> None:
    sample, first, second = two_runs
    client.force_login(charlie)
    url = reverse("samples:compare", args=[sample.pk])
    assert client.get(url, {"a": first.pk, "b": second.pk}).status_code == 404
    assert client.get(sample.get_absolute_url() + f"?run={first.pk}").status_code == 404
    # A run of another sample cannot be compared through this one's page.
    client.force_login(alice)
    other = upload(_copy(tmp_path), alice, lab_a, name="other")
    assert client.get(url, {"a": first.pk, "b": other.runs.get().pk}).status_code == 404
    assert client.get(url, {"a": "x", "b": first.pk}).status_code == 404
    page = sample.get_absolute_url() + f"?run={other.runs.get().pk}"
    assert client.get(page).status_code == 404


def _copy(tmp_path):
    from tests.automat_web.runs.conftest import simulated_mos2_tiff

    return simulated_mos2_tiff(tmp_path / "other.tif", seed=11)
