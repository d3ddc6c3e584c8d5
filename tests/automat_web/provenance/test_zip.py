"""One click downloads the sample's whole provenance: original file, working image, every
run's result, steps, artifacts, transcript and CIFs, listed in manifest.json."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse
from pymatgen.io.cif import CifParser

from automat_web.runs import lifecycle
from tests.automat_web.runs.conftest import upload

from .helpers import processed_run

pytestmark = pytest.mark.django_db


def test_it_zips_the_whole_provenance(client, alice, lab_a, mos2_tiff, monkeypatch) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    first = processed_run(sample.runs.get(), monkeypatch)
    second = processed_run(lifecycle.rerun(first), monkeypatch, formula="WS2")
    client.force_login(alice)
    response = client.get(reverse("samples:provenance", args=[sample.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f"sample-{sample.pk}-provenance.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))

    assert archive.read(f"original/{mos2_tiff.name}") == mos2_tiff.read_bytes()
    assert f"working/sample-{sample.pk}-float32.npy" in names
    assert manifest["sample"]["id"] == sample.pk and manifest["sample"]["pixel_size_A"] == 0.1
    assert [r["id"] for r in manifest["runs"]] == [first.pk, second.pk]
    for run in (first, second):
        folder = f"runs/run-{run.pk}"
        assert json.loads(archive.read(f"{folder}/result.json")) == run.result
        steps = json.loads(archive.read(f"{folder}/steps.json"))
        assert [s["tool"] for s in steps] == ["denoise", "check"]
        for step in steps:
            for item in step["artifacts"]:
                assert hashlib.sha256(archive.read(item["file"])).hexdigest() == item["sha256"]
        transcript = json.loads(archive.read(f"{folder}/transcript.json"))
        assert transcript["run"] == run.pk
        cif = archive.read(f"{folder}/structure-v1.cif").decode()
        items = CifParser.from_str(cif).as_dict()
        assert int(next(iter(items.values()))["_automat_run_id"]) == run.pk
    entry = {r["id"]: r for r in manifest["runs"]}[second.pk]
    assert entry["provenance"] == second.provenance and entry["check_score"] == 0.93
    assert entry["structures"][0]["formula"] == "WS2"
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json"} and manifest["missing"] == []
    for name, digest in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest


def test_another_lab_gets_404(client, alice, charlie, lab_a, mos2_tiff) -> None:
    sample = upload(mos2_tiff, alice, lab_a)
    url = reverse("samples:provenance", args=[sample.pk])
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
