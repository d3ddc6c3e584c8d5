"""Files through an S3-compatible storage (a moto server here): the web host stores an
upload, a worker with its own data directory (another host) reads it from the bucket, runs
it, and stores its artifacts there; the web host then serves them from the bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from automat_web.lib.blobstore import BlobStore
from automat_web.runs.models import Run, StepArtifact
from automat_web.samples.models import blob_store
from automat_web.structures.models import Structure

from .conftest import free_port, wait_for_db

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BUCKET = "automat-test"
KEY_ID, SECRET = "automat-test-key", "automat-test-secret"


@pytest.fixture
def s3_endpoint() -> str:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import boto3

    boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    yield url
    server.stop()


def _objects(endpoint: str) -> set[str]:
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
    )  # fmt: skip
    listing = s3.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_a_worker_on_another_host_runs_an_upload_through_s3(
    s3_endpoint, settings, tmp_path: Path, broker_url, portal_broker, stub_worker, queue_runs
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
                "access_key": KEY_ID, "secret_key": SECRET, "location": "automat",
            },
        },
    }  # fmt: skip
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text(SECRET + "\n")
    worker_data = tmp_path / "worker-host"
    url = broker_url("sqla")
    portal_broker(url)
    worker, _ = stub_worker(
        url,
        "storage-s3",
        seconds=1.0,
        extra_env={
            "AUTOMAT_DATA_DIR": str(worker_data),  # another host: its own (empty) cache
            "AUTOMAT_STORAGE": "s3",
            "AUTOMAT_S3_BUCKET": BUCKET,
            "AUTOMAT_S3_ENDPOINT_URL": s3_endpoint,
            "AUTOMAT_S3_REGION": "us-east-1",
            "AUTOMAT_S3_ACCESS_KEY_ID": KEY_ID,
            "AUTOMAT_S3_SECRET_ACCESS_KEY_FILE": str(secret_file),
        },
    )
    (run,) = queue_runs(1)
    sample = run.sample
    stored = _objects(s3_endpoint)
    assert f"automat/{BlobStore.name(sample.working_sha256, '.npy')}" in stored

    def finished():
        """the run finished (see test-artifacts/worker-storage-s3.log)"""
        assert worker.poll() is None, "the worker died (see test-artifacts/)"
        return not Run.objects.filter(pk=run.pk).active().exists()

    wait_for_db(finished, timeout=90)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert Structure.objects.filter(run=run).count() == 1
    # The worker fetched the working image from the bucket into its own cache.
    assert (worker_data / BlobStore.name(sample.working_sha256, ".npy")).is_file()
    artifact = StepArtifact.objects.get(step__run=run, name="residual")
    name = BlobStore.name(artifact.sha256, artifact.suffix)
    assert f"automat/{name}" in _objects(s3_endpoint)
    local = Path(settings.DATA_DIR) / name
    assert not local.exists()  # written on the worker's host only...
    data = artifact.path.read_bytes()  # ...and fetched from the bucket here
    assert data.startswith(b"\x89PNG") and local.is_file()
    assert blob_store().exists(artifact.sha256, artifact.suffix)


def test_two_hosts_share_blobs_through_the_remote_storage(tmp_path: Path) -> None:
    """Any Django storage can be the remote; a local folder stands in for the bucket here."""
    from django.core.files.storage import FileSystemStorage

    bucket = FileSystemStorage(location=tmp_path / "bucket")
    web = BlobStore(tmp_path / "web", remote=bucket)
    worker = BlobStore(tmp_path / "worker", remote=bucket)
    sha256 = web.put_bytes(b"micrograph", suffix=".npy")
    assert bucket.exists(BlobStore.name(sha256, ".npy"))
    assert worker.exists(sha256, ".npy")
    assert worker.path(sha256, ".npy").read_bytes() == b"micrograph"  # fetched once, cached
    assert not worker.path("0" * 64, ".npy").exists()  # nowhere: a path that does not exist


def test_a_corrupted_remote_blob_is_refused(tmp_path: Path) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    bucket = FileSystemStorage(location=tmp_path / "bucket")
    sha256 = "a" * 64
    bucket.save(BlobStore.name(sha256, ".png"), ContentFile(b"not what the name says"))
    worker = BlobStore(tmp_path / "worker", remote=bucket)
    with pytest.raises(OSError, match="SHA-256"):
        worker.path(sha256, ".png")
    assert not [p for p in (tmp_path / "worker").rglob("*") if p.is_file()]  # nothing cached
