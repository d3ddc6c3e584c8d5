"""AUTOMAT_TORCH_DEVICE, AUTOMAT_RUN_QUEUE and AUTOMAT_STORAGE: parsed, checked loudly, and
applied (a worker process keeps to its device; energies get it as an argument)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from automat_web.devices import pin_process, science_device
from automat_web.env import env_torch_device

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw", ["auto", "cpu", "cuda", "cuda:1", " CUDA:0 "])
def test_it_accepts_torch_devices(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("AUTOMAT_TORCH_DEVICE", raw)
    assert env_torch_device("TORCH_DEVICE") == raw.strip().lower()


@pytest.mark.parametrize("raw", ["gpu", "cuda:", "cuda:x", "mps", "cpu,cuda"])
def test_it_refuses_other_devices(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("AUTOMAT_TORCH_DEVICE", raw)
    with pytest.raises(ImproperlyConfigured, match="AUTOMAT_TORCH_DEVICE"):
        env_torch_device("TORCH_DEVICE")


def test_it_passes_the_device_to_the_science() -> None:
    assert science_device("auto") is None  # the science picks CUDA when torch sees one
    assert science_device("cpu") == "cpu"
    assert science_device("cuda:1") == "cuda:1"


def test_a_cpu_worker_hides_the_gpus_from_torch() -> None:
    environ: dict[str, str] = {"CUDA_VISIBLE_DEVICES": "0,1"}
    pin_process("cpu", environ)
    assert environ["CUDA_VISIBLE_DEVICES"] == ""
    environ = {}
    pin_process("auto", environ)
    assert environ == {}


def test_the_energy_of_a_corrected_version_runs_on_the_workers_device(
    settings, monkeypatch
) -> None:
    from types import SimpleNamespace

    from automat_web.structures import services
    from reconstruction.energy import properties

    seen = {}

    def predict(structure, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("only the arguments matter here")

    version = SimpleNamespace(atoms=lambda: None)
    rows = SimpleNamespace(
        filter=lambda **_: SimpleNamespace(update=lambda **_: 1),  # the claim succeeds
        get=lambda **_: version,
    )
    monkeypatch.setattr(properties, "predict_properties", predict)
    monkeypatch.setattr(services, "Structure", SimpleNamespace(objects=rows))
    monkeypatch.setattr(services, "_energy_done", lambda *a, **k: None)
    settings.TORCH_DEVICE = "cpu"
    services.compute_energy(1)
    assert seen["device"] == "cpu"


def _settings_of(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMAT_")}
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "automat_web.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_routes_runs_to_the_queue_asked_for() -> None:
    expression = "settings.CELERY_TASK_ROUTES['worker.tasks.run_agent']['queue']"
    assert _settings_of({}, expression).stdout.strip() == "gpu"
    assert _settings_of({"AUTOMAT_RUN_QUEUE": "cpu"}, expression).stdout.strip() == "cpu"
    refused = _settings_of({"AUTOMAT_RUN_QUEUE": "fast"}, expression)
    assert refused.returncode != 0 and "AUTOMAT_RUN_QUEUE" in refused.stderr


def test_s3_storage_needs_a_bucket_and_reads_secrets_from_files(tmp_path: Path) -> None:
    refused = _settings_of({"AUTOMAT_STORAGE": "s3"}, "1")
    assert refused.returncode != 0 and "AUTOMAT_S3_BUCKET" in refused.stderr
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    env = {
        "AUTOMAT_STORAGE": "s3",
        "AUTOMAT_S3_BUCKET": "lab",
        "AUTOMAT_S3_ENDPOINT_URL": "http://minio:9000",
        "AUTOMAT_S3_SECRET_ACCESS_KEY_FILE": str(secret),
    }
    options = _settings_of(env, "settings.STORAGES['default']['OPTIONS']")
    assert options.returncode == 0, options.stderr
    assert "'secret_key': 's3cr3t'" in options.stdout and "'bucket_name': 'lab'" in options.stdout
