"""A sample's whole provenance as one zip: the original file, the working image, and for
every run its result.json, steps, artifacts (every attempt), transcript, CIFs (stamped with
their provenance) and a ``manifest.json`` that lists each file with its sha256.

The zip is written to a temporary file (artifacts can be large), never held in memory.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from automat_web.runs import provenance as prov
from automat_web.runs.models import Run, Step
from automat_web.samples.models import Sample, blob_store

FORMAT = "automat-provenance/1"


class _Writer:
    """Adds files to the zip and records each in the manifest."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []
        self.missing: list[str] = []

    def text(self, name: str, text: str) -> None:
        data = text.encode()
        self.archive.writestr(name, data)
        self._note(name, hashlib.sha256(data).hexdigest(), len(data))

    def json(self, name: str, value: Any) -> None:
        self.text(name, json.dumps(value, indent=2, default=str) + "\n")

    def blob(self, name: str, path: Path | None, sha256: str) -> None:
        if path is None or not path.exists():
            self.missing.append(name)
            return
        self.archive.write(path, name)
        self._note(name, sha256, path.stat().st_size)

    def _note(self, name: str, sha256: str, size: int) -> None:
        self.files.append({"path": name, "sha256": sha256, "size_bytes": size})


def provenance_zip(sample: Sample, *, exported_by: str = "") -> IO[bytes]:
    """The provenance zip of ``sample`` as an open temporary file, at its start."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        out = _Writer(archive)
        micrograph = sample.micrograph
        original = f"original/{Path(sample.original_filename).name or 'micrograph'}"
        out.blob(original, micrograph.original_path, micrograph.sha256)
        if sample.working_sha256:
            out.blob(
                f"working/sample-{sample.pk}-float32.npy",
                sample.working_path,
                sample.working_sha256,
            )
        runs = list(sample.runs.select_related("sample").order_by("created", "id"))
        run_entries = [_add_run(out, run) for run in runs]
        manifest = {
            "format": FORMAT,
            "generated": timezone.now().isoformat(),
            "generated_by": exported_by,
            "software": prov.code_version(),
            "sample": _sample_entry(sample, original),
            "runs": run_entries,
            "files": out.files,
            "missing": out.missing,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    handle.seek(0)
    return handle


def _sample_entry(sample: Sample, original: str) -> dict[str, Any]:
    return {
        "id": sample.pk,
        "name": sample.name,
        "lab": sample.group.name,
        "owner": sample.owner.get_username(),
        "created": sample.created,
        "original_file": original,
        "original_filename": sample.original_filename,
        "micrograph_sha256": sample.micrograph.sha256,
        "format": sample.micrograph.format,
        "working_sha256": sample.working_sha256,
        "signal_index": sample.signal_index,
        "stack_mode": sample.stack_mode,
        "pixel_size_A": sample.pixel_size_A,
        "calibration_source": sample.calibration_source,
        "calibration_note": sample.calibration_note,
        "imaging_mode": sample.imaging_mode,
        "imaging_mode_source": sample.imaging_mode_source,
        "elements": sample.elements,
        "notes": sample.notes,
    }


def _add_run(out: _Writer, run: Run) -> dict[str, Any]:
    folder = f"runs/run-{run.pk}"
    out.json(f"{folder}/result.json", run.result or {})
    steps = list(
        Step.objects.filter(run=run).order_by("attempt", "index").prefetch_related("artifacts")
    )
    out.json(f"{folder}/steps.json", [_step_entry(step, folder) for step in steps])
    for step in steps:
        for item in step.artifacts.all():
            out.blob(_artifact_name(folder, step, item), item.path, item.sha256)
    transcript = (run.provenance or {}).get("transcript") or {}
    if transcript.get("sha256"):
        path = blob_store().path(transcript["sha256"], ".json")
        out.blob(f"{folder}/transcript.json", path, transcript["sha256"])
    structures = []
    for structure in run.structure_versions.order_by("version", "id"):
        name = f"{folder}/structure-v{structure.version}.cif"
        out.text(name, prov.stamp_cif(structure.cif, prov.cif_items(run, structure)))
        structures.append(
            {
                "id": structure.pk,
                "version": structure.version,
                "cif": name,
                "formula": structure.formula,
                "curation_state": structure.curation_state,
                "formation_energy_per_atom": structure.formation_energy_per_atom,
                "energy_model": structure.energy_model,
            }
        )
    return {
        "id": run.pk,
        "status": run.status,
        "policy": run.policy,
        "mode": run.mode,
        "attempts": run.attempts,
        "error": run.error or None,
        "created": run.created,
        "started": run.started,
        "finished": run.finished,
        "requested_by": run.requested_by.get_username() if run.requested_by else None,
        "check_score": run.check_score,
        "provenance": run.provenance,
        "result": f"{folder}/result.json",
        "steps": f"{folder}/steps.json",
        "structures": structures,
    }


def _artifact_name(folder: str, step: Step, item) -> str:
    return (
        f"{folder}/artifacts/attempt-{step.attempt}/"
        f"{step.index:02d}-{step.tool}-{item.name}{item.suffix}"
    )


def _step_entry(step: Step, folder: str) -> dict[str, Any]:
    return {
        "attempt": step.attempt,
        "index": step.index,
        "tool": step.tool,
        "args": step.args,
        "ok": step.ok,
        "summary": step.summary,
        "result": step.result,
        "duration_s": step.duration_s,
        "error": step.error or None,
        "message": step.message or None,
        "created": step.created,
        "artifacts": [
            {"name": item.name, "sha256": item.sha256, "file": _artifact_name(folder, step, item)}
            for item in step.artifacts.all()
        ],
    }
