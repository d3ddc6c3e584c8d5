"""Runs' execution: what the Celery task calls to process one run (the lifecycle is
:mod:`automat_web.runs.lifecycle`).

Processing is safe to repeat. A delivery *claims* the run with a conditional UPDATE that
also counts the attempt; every later write of that delivery is conditional on the run still
being in that attempt, and the final state flips in one transaction together with the
Structure (one per run, a OneToOne). So a redelivered or duplicated task never writes a
second structure, and a superseded attempt stops at its next step.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from automat_web.lib.blobstore import sha256_file
from automat_web.runs import provenance as prov
from automat_web.runs.lifecycle import RunRejected
from automat_web.runs.models import Run, Step, StepArtifact
from automat_web.runs.progress import progress_of
from automat_web.samples.models import blob_store
from automat_web.structures.models import Structure

log = logging.getLogger(__name__)


#: Seconds before the task's soft time limit at which the agent is asked to stop.
STOP_MARGIN_S = 30


def run_agent(run_id: int, *, task_id: str = "", hostname: str = "") -> Run | None:
    """Run the agent on the run's sample and record everything; what the task calls.

    Returns the run, or None if there was nothing to do (finished, cancelled, unknown).
    """
    attempt = _claim(run_id, task_id=task_id, hostname=hostname)
    if attempt is None:
        return None
    run = Run.objects.select_related("sample").get(pk=run_id)
    if attempt > settings.RUN_MAX_ATTEMPTS:
        return fail_attempt(
            run,
            attempt,
            f"gave up after {attempt - 1} attempts: the worker processing this run was "
            "lost each time (killed, or out of memory?)",
        )
    workdir = Path(tempfile.mkdtemp(prefix=f"run-{run_id}-", dir=_scratch_dir()))
    try:
        return _run_agent(run, attempt, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_agent(run: Run, attempt: int, workdir: Path) -> Run:
    from celery.exceptions import SoftTimeLimitExceeded

    from automat_web.samples.services import UploadRejected, load_working_image
    from reconstruction import agent
    from reconstruction.errors import ScienceError

    sample = run.sample
    try:
        image = load_working_image(sample)
    except (UploadRejected, OSError, ValueError) as exc:
        return fail_attempt(run, attempt, f"cannot read the working image: {exc}")
    _record_provenance(run, attempt)
    stopper = _Stopper(run.pk, attempt)
    try:
        result = agent.run_agent(
            image,
            pixel_size_A=sample.pixel_size_A,
            elements=list(sample.elements),
            mode=run.mode,
            policy=run.policy,
            retriever=template_retriever(),
            artifacts_dir=workdir,
            on_step=_StepWriter(run.pk, attempt),
            should_stop=stopper,
            energy_model=settings.RUN_ENERGY_MODEL or None,
            relax=settings.RUN_RELAX,
            llm=llm_settings() if run.policy == "llm" else None,
        )
    except SoftTimeLimitExceeded:
        return fail_attempt(run, attempt, _time_limit_message())
    except (RunRejected, ScienceError) as exc:  # said in words a scientist reads
        return fail_attempt(run, attempt, str(exc))
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task retries (worker/tasks.py), nothing to record
    except Exception:
        log.exception("run %s failed unexpectedly", run.pk)
        return fail_attempt(run, attempt, "unexpected error:\n" + traceback.format_exc(limit=20))
    keep_transcript(run, attempt, workdir / "transcript.json")
    if stopper.timed_out and result.status not in ("succeeded", "needs_review"):
        return fail_attempt(run, attempt, _time_limit_message())
    return _finish(run, attempt, result)


def _record_provenance(run: Run, attempt: int) -> None:
    """Record what this attempt computes with (before it starts, so a failed run has it)."""
    try:
        started = prov.at_start(run)
    except Exception as exc:  # provenance must never stop a run; say why it is missing
        log.exception("could not record the provenance of run %s", run.pk)
        started = {"error": f"provenance unavailable: {exc}"}
    Run.objects.filter(pk=run.pk, attempts=attempt).update(provenance=json_safe(started))


def keep_transcript(run: Run, attempt: int, path: Path) -> dict[str, Any] | None:
    """Store the agent's ``transcript.json`` (with the LLM policy's model and endpoint,
    never its key) as the artifact ``transcript`` of the attempt's last step, and note it
    in the run's provenance. None when the agent wrote none."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    data.update({"run": run.pk, "attempt": attempt, "policy_settings": prov.policy(run)})
    path.write_text(json.dumps(json_safe(data), indent=2))
    sha256, suffix, size = _store(path)
    info: dict[str, Any] = {"sha256": sha256, "size_bytes": size}
    with transaction.atomic():
        locked = Run.objects.select_for_update().filter(pk=run.pk, attempts=attempt).first()
        if locked is None:  # superseded by a later attempt
            return None
        step = Step.objects.filter(run=locked, attempt=attempt).order_by("-index").first()
        if step is not None:
            StepArtifact.objects.update_or_create(
                step=step,
                name="transcript",
                defaults={"sha256": sha256, "suffix": suffix, "size_bytes": size},
            )
            info["step"] = step.index
        locked.provenance = {**(locked.provenance or {}), "transcript": info}
        locked.save(update_fields=["provenance"])
    return info


def llm_settings():
    """The "llm" policy's endpoint from the settings (``AUTOMAT_LLM_*``)."""
    from reconstruction.agent import LLMSettings

    if not (settings.LLM_BASE_URL and settings.LLM_MODEL):
        raise RunRejected(
            "the llm policy needs an endpoint: set AUTOMAT_LLM_BASE_URL and AUTOMAT_LLM_MODEL"
        )
    return LLMSettings(
        base_url=settings.LLM_BASE_URL, model=settings.LLM_MODEL, api_key=settings.LLM_API_KEY
    )


def template_retriever():
    """The template library's retriever, or None when it is not installed."""
    try:
        from templates_lib.services import retriever

        return retriever()
    except Exception:  # not installed or not migrated: the agent runs without templates
        log.exception("the template library is unavailable; running without templates")
        return None


def _claim(run_id: int, *, task_id: str, hostname: str) -> int | None:
    """Take the run for this delivery and count the attempt; None if there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Run.objects.filter(
            pk=run_id, status__in=Run.ACTIVE, cancel_requested=False
        ).update(
            status=Run.Status.RUNNING,
            attempts=F("attempts") + 1,
            started=now,
            heartbeat=now,
            progress=0.0,
            worker=hostname[:255],
            worker_pid=os.getpid(),
            **({"celery_task_id": task_id} if task_id else {}),
        )
        if not claimed:
            # Cancelled while its worker was lost: the redelivery only records that.
            Run.objects.filter(pk=run_id, status__in=Run.ACTIVE, cancel_requested=True).update(
                status=Run.Status.CANCELLED, finished=now, error="cancelled"
            )
            return None
        return Run.objects.values_list("attempts", flat=True).get(pk=run_id)


class _Stopper:
    """``should_stop`` for the agent: cancelled, superseded, or near the time limit."""

    def __init__(self, run_id: int, attempt: int) -> None:
        self.run_id = run_id
        self.attempt = attempt
        self.deadline = time.monotonic() + settings.TASK_TIME_LIMIT_S - 5 - STOP_MARGIN_S
        self.timed_out = False

    def __call__(self) -> bool:
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return True
        state = Run.objects.filter(pk=self.run_id).values("status", "attempts", "cancel_requested")
        row = state.first()
        return (
            row is None
            or row["cancel_requested"]
            or row["status"] != Run.Status.RUNNING
            or row["attempts"] != self.attempt
        )


class _StepWriter:
    """``on_step`` for the agent: one Step row (and its artifacts) per finished tool call."""

    def __init__(self, run_id: int, attempt: int) -> None:
        self.run_id = run_id
        self.attempt = attempt

    def __call__(self, record) -> None:
        artifacts = {name: _store(Path(path)) for name, path in record.artifacts.items()}
        with transaction.atomic():
            step, _ = Step.objects.update_or_create(
                run_id=self.run_id,
                attempt=self.attempt,
                index=record.index,
                defaults={
                    "tool": record.tool[:64],
                    "args": json_safe(record.args),
                    "ok": bool(record.ok),
                    "summary": record.summary or "",
                    "result": json_safe(record.result),
                    "duration_s": float(record.duration_s or 0.0),
                    "error": record.error or "",
                    "message": record.message or "",
                },
            )
            for name, (sha256, suffix, size) in artifacts.items():
                StepArtifact.objects.update_or_create(
                    step=step,
                    name=name[:128],
                    defaults={"sha256": sha256, "suffix": suffix, "size_bytes": size},
                )
        tools = Step.objects.filter(run_id=self.run_id, attempt=self.attempt)
        done = progress_of(tools.values_list("tool", flat=True))
        Run.objects.filter(pk=self.run_id, attempts=self.attempt).update(
            progress=done, heartbeat=timezone.now()
        )


def _store(path: Path) -> tuple[str, str, int]:
    """Put an artifact file into the blob store: (sha256, suffix, size)."""
    sha256 = sha256_file(path)
    suffix = path.suffix.lower()[:16]
    blob_store().put_file(path, sha256=sha256, suffix=suffix)
    return sha256, suffix, path.stat().st_size


def _finish(run: Run, attempt: int, result) -> Run:
    """Record the agent's result: the run's final state and, when it has one (succeeded, or
    needs review), its Structure, in one transaction and only if this attempt still owns
    the run."""
    status = {
        "succeeded": Run.Status.SUCCEEDED,
        "needs_review": Run.Status.NEEDS_REVIEW,
        "cancelled": Run.Status.CANCELLED,
    }.get(result.status, Run.Status.FAILED)
    payload = json_safe(result.as_dict())
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.attempts != attempt or locked.status != Run.Status.RUNNING:
            log.warning("run %s attempt %s was superseded; result dropped", run.pk, attempt)
            return locked
        locked.result = payload
        locked.provenance = json_safe(prov.at_finish(locked.provenance or {}, result))
        if status in Run.WITH_STRUCTURE and result.cif:
            fields = structure_fields(result)
            fields["cif"] = prov.stamp_cif(fields["cif"], prov.cif_items(locked))
            Structure.objects.get_or_create(run=locked, defaults=fields)
        elif status in Run.WITH_STRUCTURE:
            status = Run.Status.FAILED
        locked.status = status
        locked.error = _error_text(status, result)
        locked.progress = 1.0 if status in Run.WITH_STRUCTURE else locked.progress
        locked.timings_s = json_safe(result.timings_s or {})
        locked.matches = json_safe(result.matches or [])
        locked.finished = timezone.now()
        locked.save()
    return locked


def _error_text(status: str, result) -> str:
    if status == Run.Status.SUCCEEDED:
        return ""
    if status == Run.Status.CANCELLED:
        return result.error or "cancelled"
    return result.error or "the agent produced no structure"


def structure_fields(result) -> dict[str, Any]:
    """Structure columns from an AgentResult."""
    lattice = result.lattice or {}
    energy = result.energy or {}
    template = result.template or {}
    return {
        "cif": result.cif,
        "formula": (result.formula or "")[:64],
        "elements": list(result.elements or []),
        "a": _number(lattice.get("a")),
        "b": _number(lattice.get("b")),
        "gamma": _number(lattice.get("gamma")),
        "spacegroup": (result.spacegroup or "")[:32],
        "formation_energy_per_atom": _number(energy.get("formation_energy_per_atom")),
        "total_energy_per_atom": _number(energy.get("total_energy_per_atom")),
        "energy_model": str(energy.get("model") or "")[:64],
        "relaxed": energy.get("relaxed"),
        "template_id": str(template.get("id") or "")[:128],
        "template_distance": _number(template.get("distance")),
    }


def fail_attempt(run: Run, attempt: int, error: str) -> Run:
    """End ``run`` as failed with ``error`` if ``attempt`` is still the one running it (a
    superseded attempt changes nothing); the run as it now is."""
    Run.objects.filter(pk=run.pk, attempts=attempt, status=Run.Status.RUNNING).update(
        status=Run.Status.FAILED, error=error, finished=timezone.now()
    )
    run.refresh_from_db()
    return run


def _time_limit_message() -> str:
    return (
        f"stopped at the time limit of {settings.TASK_TIME_LIMIT_S} s "
        "(AUTOMAT_TASK_TIME_LIMIT_S); the steps done so far are kept"
    )


def _scratch_dir() -> Path:
    path = Path(settings.DATA_DIR) / "tmp" / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the sweep (beat) -----------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """``value`` as JSON PostgreSQL accepts: NaN and infinities become null, paths and
    NumPy scalars plain values."""
    return json.loads(json.dumps(value, default=_default), parse_constant=lambda _: None)


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return str(value)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
