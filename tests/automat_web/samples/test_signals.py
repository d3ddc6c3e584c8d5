"""Files with several signals: HAADF or iDPC by default, and the user can pick another."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from automat_web.samples.models import Sample
from tests.fixtures import micrographs


@pytest.fixture
def velox_sample(client, alice, lab_a, tmp_path) -> Sample:
    client.force_login(alice)
    with open(micrographs.velox(tmp_path / "scan.emd", pixel_size_A=0.09), "rb") as fh:
        client.post(reverse("samples:upload"), {"file": fh, "group": lab_a.pk})
    return Sample.objects.get()


def test_it_defaults_to_haadf_and_lists_every_signal(client, velox_sample) -> None:
    assert velox_sample.micrograph.format == "velox_emd"
    assert velox_sample.signal.name == "HAADF"
    assert velox_sample.pixel_size_A == pytest.approx(0.09, rel=1e-5)
    assert velox_sample.calibration_source.startswith("file:velox")
    page = client.get(velox_sample.get_absolute_url()).content.decode()
    for name in ("HAADF", "iDPC", "DF4-A"):
        assert f">{name} (" in page


def test_it_switches_to_the_chosen_signal(client, velox_sample) -> None:
    before = np.load(velox_sample.working_path)
    idpc = next(s.index for s in velox_sample.micrograph.info.signals if s.name == "iDPC")
    response = client.post(reverse("samples:signal", args=[velox_sample.pk]), {"signal": idpc})
    assert response.status_code == 302
    velox_sample.refresh_from_db()
    after = np.load(velox_sample.working_path)
    assert velox_sample.signal.name == "iDPC"
    # The iDPC signal is the negative of another lattice: anticorrelated with HAADF here.
    assert np.corrcoef(before.ravel(), after.ravel())[0, 1] < 0.5
    assert velox_sample.is_ready


def test_it_keeps_a_users_pixel_size_across_signals(client, velox_sample) -> None:
    client.post(reverse("samples:calibration", args=[velox_sample.pk]), {"pixel_size_A": "0.11"})
    client.post(reverse("samples:signal", args=[velox_sample.pk]), {"signal": 0})
    velox_sample.refresh_from_db()
    assert velox_sample.pixel_size_A == 0.11 and velox_sample.calibration_source == "user"
    client.post(reverse("samples:calibration", args=[velox_sample.pk]), {"use_file": "on"})
    velox_sample.refresh_from_db()
    assert velox_sample.pixel_size_A == pytest.approx(0.09, rel=1e-5)
    assert velox_sample.calibration_source.startswith("file:velox")


def test_it_refuses_an_unknown_signal(client, velox_sample) -> None:
    response = client.post(reverse("samples:signal", args=[velox_sample.pk]), {"signal": 7})
    assert response.status_code == 400
    velox_sample.refresh_from_db()
    assert velox_sample.signal.name == "HAADF"
