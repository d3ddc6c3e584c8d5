"""Uploading micrographs through the upload page (Django test client, real database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from automat_web.samples.models import Micrograph, Sample
from tests.fixtures import micrographs


def _upload(client, path: Path, group, **fields):
    with open(path, "rb") as fh:
        data = {"file": fh, "group": group.pk, **fields}
        return client.post(reverse("samples:upload"), data)


def _blobs(data_dir: Path) -> list[Path]:
    root = data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_it_stores_a_calibrated_tiff(client, alice, lab_a, tmp_path, settings) -> None:
    client.force_login(alice)
    path = micrographs.calibrated_tiff(tmp_path / "mos2.tif", pixel_size_A=0.1)
    response = _upload(client, path, lab_a, elements="Mo, S", name="MoS2 flake 3")
    sample = Sample.objects.get()
    assert response.status_code == 302 and response["Location"] == sample.get_absolute_url()
    assert sample.name == "MoS2 flake 3"
    assert sample.elements == ["Mo", "S"]
    assert sample.pixel_size_A == pytest.approx(0.1, rel=1e-6)
    assert sample.calibration_source.startswith("file:")
    assert sample.is_ready
    assert sample.owner == alice and sample.group == lab_a
    working = np.load(sample.working_path)
    assert working.dtype == np.float32 and working.shape == (96, 96)
    assert sample.thumbnail_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sample.micrograph.original_path.read_bytes() == path.read_bytes()
    page = client.get(sample.get_absolute_url())
    assert b"file:" in page.content and b"0.10000" in page.content


def test_it_reads_a_dm3_calibration(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    _upload(client, micrographs.dm3(tmp_path / "scan.dm3", pixel_size_nm=0.012), lab_a)
    sample = Sample.objects.get()
    assert sample.micrograph.format == "dm3"
    assert sample.pixel_size_A == pytest.approx(0.12, rel=1e-5)
    assert sample.calibration_source.startswith("file:dm")


def test_it_asks_for_the_pixel_size_of_a_png(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    _upload(client, micrographs.png(tmp_path / "screenshot.png"), lab_a)
    sample = Sample.objects.get()
    assert sample.pixel_size_A is None and not sample.is_ready
    assert sample.needs == ["pixel_size"]
    page = client.get(sample.get_absolute_url())
    assert b"uncalibrated" in page.content
    url = reverse("samples:calibration", args=[sample.pk])
    response = client.post(url, {"pixel_size_A": "0.085"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"0.08500" in response.content and b"user" in response.content
    sample.refresh_from_db()
    assert sample.pixel_size_A == 0.085 and sample.calibration_source == "user"
    assert sample.is_ready


@pytest.mark.parametrize("value", ["-1", "0", "abc", ""])
def test_it_refuses_a_bad_pixel_size(client, alice, lab_a, tmp_path, value) -> None:
    client.force_login(alice)
    _upload(client, micrographs.png(tmp_path / "a.png"), lab_a)
    sample = Sample.objects.get()
    url = reverse("samples:calibration", args=[sample.pk])
    response = client.post(url, {"pixel_size_A": value}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    sample.refresh_from_db()
    assert sample.pixel_size_A is None


def test_it_warns_about_an_implausible_pixel_size(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    _upload(client, micrographs.calibrated_tiff(tmp_path / "wide.tif", pixel_size_A=5.0), lab_a)
    sample = Sample.objects.get()
    assert "outside the usual range" in sample.calibration.warning
    assert b"outside the usual range" in client.get(sample.get_absolute_url()).content


def test_it_links_a_reupload_instead_of_duplicating(
    client, alice, bob, charlie, lab_a, lab_b, tmp_path, settings
) -> None:
    path = micrographs.calibrated_tiff(tmp_path / "same.tif")
    client.force_login(alice)
    _upload(client, path, lab_a)
    blobs_after_first = sorted(_blobs(settings.DATA_DIR))
    client.force_login(bob)
    response = _upload(client, path, lab_a)
    assert Sample.objects.count() == 1
    assert response["Location"] == Sample.objects.get().get_absolute_url()
    client.force_login(charlie)
    _upload(client, path, lab_b)
    assert Sample.objects.count() == 2 and Micrograph.objects.count() == 1
    assert sorted(_blobs(settings.DATA_DIR)) == blobs_after_first


def test_it_asks_how_to_reduce_a_stack(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    _upload(client, micrographs.tiff_stack(tmp_path / "series.tif", frames=4), lab_a)
    sample = Sample.objects.get()
    assert sample.needs == ["stack"] and not sample.working_sha256
    response = client.post(
        reverse("samples:signal", args=[sample.pk]), {"signal": 0, "stack": "align"}
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.stack_mode == "align" and sample.is_ready
    assert np.load(sample.working_path).shape == (96, 96)
    client.post(
        reverse("samples:signal", args=[sample.pk]), {"signal": 0, "stack": "frame", "frame": 2}
    )
    sample.refresh_from_db()
    assert sample.stack_mode == "frame:2"


def test_it_downloads_the_original_as_an_attachment(client, alice, lab_a, tmp_path) -> None:
    client.force_login(alice)
    path = micrographs.dm3(tmp_path / "scan.dm3")
    _upload(client, path, lab_a)
    sample = Sample.objects.get()
    response = client.get(reverse("samples:original", args=[sample.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="scan.dm3"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == path.read_bytes()
