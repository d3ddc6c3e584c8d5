"""One run of a sample at a time, whichever way it is started (API, page, rerun, upload),
held by a partial unique constraint of the database when requests race."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from automat_web.runs import lifecycle
from automat_web.runs.models import Run

from .conftest import upload
from .helpers import finished_run

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.mark.django_db
def test_the_api_refuses_a_second_run_while_one_is_queued(api, alice, lab_a, mos2_tiff) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    first = sample.runs.get()
    response = api.post("/api/runs/", {"sample": sample.pk}, format="json")
    assert response.status_code == 400
    assert f"run {first.pk} of this sample is still going" in " ".join(response.json()["sample"])
    Run.objects.filter(pk=first.pk).update(status="running")
    assert api.post("/api/runs/", {"sample": sample.pk}, format="json").status_code == 400
    assert sample.runs.count() == 1


@pytest.mark.django_db
def test_the_page_and_rerun_follow_the_same_rule(client, alice, lab_a, mos2_tiff, tmp_path):
    sample = upload(mos2_tiff, alice, lab_a)
    old = finished_run(sample, tmp_path)
    going = lifecycle.create_run(sample, requested_by=alice)  # after a finished one: fine
    client.force_login(alice)
    started = client.post(reverse("runs:start", args=[sample.pk]), follow=True)
    assert f"run {going.pk} of this sample is still going" in started.content.decode()
    rerun = client.post(reverse("runs:rerun", args=[old.pk]), **HTMX)
    assert rerun.status_code == 200  # the panel of the run that is going, not a new one
    assert f'data-run="{going.pk}" data-status="queued"'.encode() in rerun.content
    with pytest.raises(lifecycle.RunAlreadyActive, match="still going"):
        lifecycle.rerun(old, requested_by=alice)
    assert list(sample.runs.active()) == [going] and sample.runs.count() == 2
    lifecycle.cancel(going)
    again = lifecycle.rerun(old, requested_by=alice)  # nothing going any more
    assert again.status == "queued" and sample.runs.count() == 3


@pytest.mark.django_db
def test_the_database_allows_one_active_run_per_sample(alice, lab_a, mos2_tiff) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    for status in ("queued", "running"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Run.objects.create(sample=sample, status=status)
    for status in ("succeeded", "failed", "cancelled", "needs_review"):
        Run.objects.create(sample=sample, status=status)  # finished runs: as many as wanted
    assert sample.runs.active().count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_run(alice, lab_a, mos2_tiff, broker_url, portal_broker):
    """Five requests at once, each on its own connection, as five gunicorn workers would."""
    portal_broker(broker_url("sqla"))  # the queued run's task goes to the test database
    sample = upload(mos2_tiff, alice, lab_a, elements="")
    sample.elements = ["Mo", "S"]
    sample.save()
    n = 5
    start = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def create(i: int) -> None:
        try:
            start.wait(timeout=30)
            outcomes[i] = lifecycle.create_run(sample, requested_by=alice)
        except BaseException as exc:  # reported by the main thread
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    created = [o for o in outcomes if isinstance(o, Run)]
    refused = [o for o in outcomes if isinstance(o, lifecycle.RunAlreadyActive)]
    assert len(created) == 1 and len(refused) == n - 1, outcomes
    assert list(sample.runs.values_list("pk", flat=True)) == [created[0].pk]
