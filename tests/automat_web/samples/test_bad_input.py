"""Every kind of bad file gets a clear message on the upload page and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from automat_web.samples.models import Micrograph, Sample
from tests.fixtures import micrographs


def _write_text(path: Path) -> Path:
    path.write_text("sample,intensity\n1,2\n")
    return path


def _write_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _write_truncated_tiff(path: Path) -> Path:
    full = micrographs.calibrated_tiff(path.with_suffix(".full.tif"))
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _write_spectrum(path: Path) -> Path:
    np.save(path, np.linspace(0, 1, 2048, dtype=np.float32))
    return path


def _write_4d(path: Path) -> Path:
    np.save(path, np.zeros((4, 4, 16, 16), np.float32))
    return path


CASES = {
    "unsupported": ("notes.tif", _write_text, "not a supported"),
    "empty": ("empty.dm3", _write_empty, "empty"),
    "truncated": ("cut.tif", _write_truncated_tiff, "truncated"),
    "spectrum": ("spectrum.npy", _write_spectrum, "2D"),
    "4d-stem": ("4d.npy", _write_4d, "2D"),
}


def _post(client, path: Path, group, **fields):
    with open(path, "rb") as fh:
        return client.post(reverse("samples:upload"), {"file": fh, "group": group.pk, **fields})


def _nothing_stored(data_dir: Path) -> None:
    assert Sample.objects.count() == 0 and Micrograph.objects.count() == 0
    blobs = data_dir / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))
    leftovers = [p for p in (data_dir / "tmp").glob("*") if p.is_file()]
    assert leftovers == [], f"temporary upload files left behind: {leftovers}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_it_rejects_bad_files_clearly(client, alice, lab_a, tmp_path, settings, case) -> None:
    filename, write, expected = CASES[case]
    client.force_login(alice)
    response = _post(client, write(tmp_path / filename), lab_a)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["file"])
    assert expected.lower() in errors.lower(), errors
    assert "tmp" not in errors, "the message names the temporary file, not the user's"
    assert expected.lower().encode() in response.content.lower()
    _nothing_stored(settings.DATA_DIR)


def test_it_rejects_too_many_pixels_before_decoding(
    client, alice, lab_a, tmp_path, settings, monkeypatch
) -> None:
    settings.MAX_PIXELS = 64 * 64
    import reconstruction.io.formats.tiff as tiff_format

    def must_not_decode(*args, **kwargs):
        raise AssertionError("pixels were decoded although the header said too many")

    monkeypatch.setattr(tiff_format, "load", must_not_decode)
    client.force_login(alice)
    response = _post(client, micrographs.calibrated_tiff(tmp_path / "big.tif"), lab_a)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["file"])
    assert "9,216" in errors and "4,096" in errors, errors  # both numbers, from the header
    _nothing_stored(settings.DATA_DIR)


def test_it_stops_an_upload_over_the_size_limit(client, alice, lab_a, tmp_path, settings) -> None:
    settings.MAX_UPLOAD_MB = 1
    big = tmp_path / "huge.npy"
    np.save(big, np.zeros((800, 800), np.float32))  # 2.4 MB
    client.force_login(alice)
    response = _post(client, big, lab_a)
    assert response.status_code == 400
    assert b"over the upload limit of 1 MB" in response.content
    _nothing_stored(settings.DATA_DIR)


def test_it_rejects_unknown_elements(client, alice, lab_a, tmp_path, settings) -> None:
    client.force_login(alice)
    response = _post(
        client, micrographs.calibrated_tiff(tmp_path / "a.tif"), lab_a, elements="Mo, Xx"
    )
    assert response.status_code == 400
    assert "unknown element 'Xx'" in " ".join(response.context["form"].errors["elements"])
    _nothing_stored(settings.DATA_DIR)


def test_it_rejects_a_negative_pixel_size(client, alice, lab_a, tmp_path, settings) -> None:
    client.force_login(alice)
    response = _post(client, micrographs.png(tmp_path / "a.png"), lab_a, pixel_size_A="-0.1")
    assert response.status_code == 400
    _nothing_stored(settings.DATA_DIR)
