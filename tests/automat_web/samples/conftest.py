"""Fixtures of the sharing tests: alice's sample (Lab A) with a finished run, its files and
structure, and erin, a member of a third lab (Lab C) nobody shares with.

alice and bob are members of Lab A, charlie of Lab B (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automat_web.runs.models import Run, StepArtifact
from automat_web.samples.models import Sample
from tests.automat_web.runs.conftest import upload
from tests.automat_web.runs.helpers import finished_run
from tests.conftest import _user
from tests.fixtures import micrographs


@pytest.fixture
def lab_c(db) -> Group:
    return Group.objects.create(name="Lab C")


@pytest.fixture
def erin(lab_c):
    """A member of a third lab, Lab C."""
    return _user("erin", lab_c)


@pytest.fixture
def processed(alice, lab_a, tmp_path: Path) -> Run:
    """A finished run (steps, artifacts, structure) of alice's sample "secret" in Lab A."""
    tif = micrographs.calibrated_tiff(tmp_path / "secret.tif")
    return finished_run(upload(tif, alice, lab_a, name="secret"), tmp_path)


@pytest.fixture
def sample(processed) -> Sample:
    return processed.sample


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def read_urls(run: Run) -> list[str]:
    """Every page, file and API read of a sample, its run and structure."""
    sample, structure = run.sample, run.structure
    artifact = StepArtifact.objects.get(step__run=run, name="residual")
    return [
        reverse("samples:detail", args=[sample.pk]),
        reverse("samples:thumbnail", args=[sample.pk]),
        reverse("samples:original", args=[sample.pk]),
        reverse("samples:working", args=[sample.pk]),
        reverse("samples:compare", args=[sample.pk]),
        reverse("samples:provenance", args=[sample.pk]),
        reverse("runs:panel", args=[run.pk]),
        reverse("runs:artifact", args=[run.pk, artifact.pk]),
        reverse("structures:detail", args=[structure.pk]),
        reverse("structures:cif", args=[structure.pk]),
        f"/api/v1/samples/{sample.pk}/",
        f"/api/v1/runs/{run.pk}/",
        f"/api/v1/structures/{structure.pk}/",
    ]


def download_urls(run: Run) -> list[str]:
    """The files and API reads a script holding only an API token fetches."""
    return [url for url in read_urls(run) if url.startswith("/api/") or _is_file(url)]


def _is_file(url: str) -> bool:
    return any(part in url for part in ("thumbnail", "original", "working", "artifacts", ".cif"))


def change_requests(run: Run) -> list[tuple[str, dict]]:
    """Every page and API request that changes a sample, its runs or its sharing."""
    sample, structure = run.sample, run.structure
    return [
        (reverse("samples:calibration", args=[sample.pk]), {"pixel_size_A": "0.2"}),
        (reverse("samples:mode", args=[sample.pk]), {"mode": "haadf"}),
        (reverse("samples:signal", args=[sample.pk]), {"signal": "0"}),
        (reverse("samples:sharing", args=[sample.pk]), {"action": "public"}),
        (reverse("runs:start", args=[sample.pk]), {}),
        (reverse("runs:rerun", args=[run.pk]), {}),
        (reverse("runs:cancel", args=[run.pk]), {}),
        (reverse("structures:review", args=[structure.pk]), {"state": "accepted"}),
    ]


def api_change_requests(run: Run, other_lab: str) -> list[tuple[str, dict]]:
    sample = run.sample
    return [
        (f"/api/v1/samples/{sample.pk}/calibration/", {"pixel_size_A": 0.2}),
        (f"/api/v1/samples/{sample.pk}/imaging-mode/", {"mode": "haadf"}),
        (f"/api/v1/samples/{sample.pk}/share/", {"group": other_lab}),
        (f"/api/v1/samples/{sample.pk}/unshare/", {"group": other_lab}),
        (f"/api/v1/samples/{sample.pk}/visibility/", {"public": True}),
        (f"/api/v1/runs/{run.pk}/rerun/", {}),
        (f"/api/v1/runs/{run.pk}/cancel/", {}),
        (f"/api/v1/structures/{run.structure.pk}/review/", {"state": "accepted"}),
    ]
