"""Uploads keep the database and the blob store in step: refused input stores nothing, and
concurrent uploads of one file make one sample (a unique constraint, not a check first)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.samples.models import Micrograph, Sample
from tests.fixtures import micrographs


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _upload(client: APIClient, path: Path, **fields):
    with open(path, "rb") as fh:
        return client.post(
            "/api/samples/", {"file": fh, "group": "Lab A", **fields}, format="multipart"
        )


def _stored(data_dir: Path) -> set[str]:
    """Names of the files in the blob store."""
    root = data_dir / "blobs"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _referenced() -> set[str]:
    """The blob names the database's rows point at."""
    names = {m.original_path.name for m in Micrograph.objects.all()}
    for sample in Sample.objects.all():
        names |= {p.name for p in (sample.working_path, sample.thumbnail_path) if p is not None}
    return names


def _nothing_stored(data_dir: Path) -> None:
    assert Sample.objects.count() == 0 and Micrograph.objects.count() == 0
    assert _stored(data_dir) == set(), "a refused upload left files in the blob store"


def test_it_refuses_a_long_name_through_the_api_and_stores_nothing(
    alice, tmp_path, settings
) -> None:
    response = _upload(_api(alice), micrographs.calibrated_tiff(tmp_path / "a.tif"), name="n" * 256)
    assert response.status_code == 400
    assert "255" in " ".join(response.json()["name"])
    _nothing_stored(settings.DATA_DIR)


def test_it_refuses_a_long_name_on_the_page_and_stores_nothing(
    client, alice, lab_a, tmp_path, settings
) -> None:
    client.force_login(alice)
    with open(micrographs.calibrated_tiff(tmp_path / "a.tif"), "rb") as fh:
        response = client.post(
            reverse("samples:upload"), {"file": fh, "group": lab_a.pk, "name": "n" * 256}
        )
    assert response.status_code == 400 and response.context["form"].errors["name"]
    _nothing_stored(settings.DATA_DIR)


def test_the_service_refuses_a_long_name_before_storing(alice, lab_a, tmp_path, settings) -> None:
    from automat_web.samples.services import UploadRejected, ingest_upload

    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    with pytest.raises(UploadRejected) as refused:
        ingest_upload(path=path, filename="a.tif", owner=alice, group=lab_a, name="n" * 300)
    assert refused.value.field == "name" and "255" in str(refused.value)
    _nothing_stored(settings.DATA_DIR)


def test_a_long_file_name_is_shortened_for_the_default_name(alice, lab_a, tmp_path) -> None:
    from automat_web.samples.services import ingest_upload

    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    filename = "f" * 300 + ".tif"
    sample = ingest_upload(path=path, filename=filename, owner=alice, group=lab_a).sample
    assert sample.name == "f" * 255 and len(sample.original_filename) <= 255


def test_one_sample_per_file_and_group_is_a_database_constraint(alice, lab_a, tmp_path) -> None:
    from automat_web.samples.services import ingest_upload

    path = micrographs.calibrated_tiff(tmp_path / "a.tif")
    sample = ingest_upload(path=path, filename="a.tif", owner=alice, group=lab_a).sample
    twin = Sample.objects.get(pk=sample.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_file_make_one_sample(alice, tmp_path, settings) -> None:
    """Five requests at once, each on its own connection, as five gunicorn workers would."""
    n = 5
    path = micrographs.calibrated_tiff(tmp_path / "same.tif", seed=11)
    clients = [_api(alice) for _ in range(n)]
    start = threading.Barrier(n)
    responses: list = [None] * n
    errors: list[BaseException] = []

    def upload(i: int) -> None:
        try:
            start.wait(timeout=30)
            responses[i] = _upload(clients[i], path, name="same")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (n - 1) + [201], [r.content[:300] for r in responses]
    assert Sample.objects.count() == 1 and Micrograph.objects.count() == 1
    sample = Sample.objects.get()
    assert {r.json()["id"] for r in responses} == {sample.pk}
    again = _upload(_api(alice), path, name="same")  # a plain duplicate, after the race
    losers = [r.json()["message"] for r in responses if r.status_code == 200]
    assert again.status_code == 200 and set(losers) == {again.json()["message"]}
    assert _stored(settings.DATA_DIR) == _referenced(), "orphan blobs in the store"


# --- fields named in the API's errors ------------------------------------------------------


def test_a_bogus_stack_choice_is_a_clear_error(alice, tmp_path, settings) -> None:
    client = _api(alice)
    for path in (
        micrographs.calibrated_tiff(tmp_path / "one.tif"),
        micrographs.tiff_stack(tmp_path / "stack.tif"),
    ):
        response = _upload(client, path, stack="bogus")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert "file" not in body
        message = " ".join(body["stack"])
        assert "bogus" in message and "sum, align or frame:<i>" in message
    _nothing_stored(settings.DATA_DIR)


def test_a_good_stack_choice_is_taken(alice, tmp_path) -> None:
    response = _upload(_api(alice), micrographs.tiff_stack(tmp_path / "s.tif"), stack="frame:1")
    assert response.status_code == 201 and response.json()["stack_mode"] == "frame:1"


def test_an_unknown_element_is_reported_under_elements(alice, tmp_path, settings) -> None:
    response = _upload(_api(alice), micrographs.calibrated_tiff(tmp_path / "a.tif"), elements="Xx")
    assert response.status_code == 400
    body = response.json()
    assert "file" not in body and "Xx" in " ".join(body["elements"])
    _nothing_stored(settings.DATA_DIR)


@pytest.mark.parametrize("value", [1e308, 5.0])
def test_an_implausible_pixel_size_is_reported_under_its_field(
    alice, tmp_path, settings, value
) -> None:
    response = _upload(
        _api(alice), micrographs.calibrated_tiff(tmp_path / "a.tif"), pixel_size_A=value
    )
    assert response.status_code == 400
    body = response.json()
    assert "file" not in body and "outside 0.02–1 Å/px" in " ".join(body["pixel_size_A"])
    _nothing_stored(settings.DATA_DIR)
