"""A corrected version's relaxation + formation energy runs as a background job with the
runs' potential (reconstruction.energy.properties), its state in the structure's row.

Single-point energies (AUTOMAT_RUN_RELAX=0) keep these short, as in the run tests.
"""

from __future__ import annotations

import math
import os

import pytest

from automat_web.structures import services
from automat_web.structures.models import Structure
from tests.conftest import wait_for

#: [s] on a shared 2-core machine (the worker loads torch and the potential first).
ENERGY_TIMEOUT_S = 300


@pytest.fixture(autouse=True)
def _single_point(settings, monkeypatch, tmp_path):
    settings.RUN_RELAX = False
    monkeypatch.setenv("AUTOMAT_RUN_RELAX", os.environ.get("AUTOMAT_TEST_RUN_RELAX", "0"))
    monkeypatch.setenv("AUTOMAT_ENERGY_CACHE", str(tmp_path / "energy-refs"))


def _tungsten(structure, curator) -> Structure:
    return services.correct(
        structure, curator=curator, edits=[{"op": "set_element", "site": 0, "element": "W"}]
    )


@pytest.mark.django_db
def test_the_service_computes_the_energy_once(structure, dora) -> None:
    version = _tungsten(structure, dora)
    done = services.compute_energy(version.pk)
    assert done.energy_status == "succeeded", done.energy_error
    assert done.energy_model == "sevennet-0" and done.relaxed is False
    assert math.isfinite(done.formation_energy_per_atom) and done.formation_energy_per_atom < 0
    assert done.total_energy_per_atom < done.formation_energy_per_atom
    assert services.compute_energy(version.pk) is None  # not queued any more: a no-op
    structure.refresh_from_db()
    assert structure.formation_energy_per_atom == -0.81  # the machine result is untouched


@pytest.mark.django_db
def test_a_failed_energy_can_be_queued_again(client, structure, dora) -> None:
    version = _tungsten(structure, dora)
    Structure.objects.filter(pk=version.pk).update(energy_status="failed", energy_error="boom")
    client.force_login(dora)
    page = client.get(version.get_absolute_url()).content.decode()
    assert "boom" in page and "requeue-energy" in page
    client.post(f"/structures/{version.pk}/energy/", headers={"HX-Request": "true"})
    version.refresh_from_db()
    assert (version.energy_status, version.energy_error) == ("queued", "")
    with pytest.raises(services.CurationError, match="machine result"):
        services.requeue_energy(structure, curator=dora)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_energy_of_a_correction(
    client, structure, dora, broker_url, portal_broker, celery_worker_process
) -> None:
    url = broker_url("sqla")
    portal_broker(url)
    worker = celery_worker_process(url, name="energy")
    client.force_login(dora)
    client.post(f"/structures/{structure.pk}/correct/", {"element-0": "W", "comment": "W"})
    version = Structure.objects.get(parent=structure)

    def energy_done():
        """the worker finished the energy job"""
        version.refresh_from_db()
        return version.energy_status in ("succeeded", "failed")

    wait_for(energy_done, timeout=ENERGY_TIMEOUT_S, every=1.0)
    assert worker.poll() is None, "the worker died: see test-artifacts/worker-energy.log"
    assert version.energy_status == "succeeded", version.energy_error
    assert version.formula == "WS2" and version.formation_energy_per_atom < 0
    panel = client.get(f"/structures/{version.pk}/energy/").content.decode()
    assert 'data-energy-status="succeeded"' in panel and "hx-trigger" not in panel
