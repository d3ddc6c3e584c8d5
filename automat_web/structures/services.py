"""Curation: review a structure, correct it into a new version, compute the new version's
energy (what the Celery task calls) and promote an accepted one to the template library.

Every change of a structure's ``curation_state`` goes through :func:`_transition`, which
locks the row, checks the move is allowed and adds a :class:`Review` row in the same
transaction: the audit trail and the state cannot disagree. Views, the management
commands and tests call these functions; each checks the caller is a curator of the
structure's lab (views first turn structures of other labs into a 404).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from automat_web.runs.models import Run
from automat_web.structures.curators import is_curator
from automat_web.structures.editing import (
    CorrectionError,
    apply_edits,
    cell_height_A,
    checked_edits,
    describe,
)
from automat_web.structures.models import Review, Structure

log = logging.getLogger(__name__)

State = Structure.Curation
Energy = Structure.EnergyStatus

#: Name of the Celery task that computes a corrected version's energy (tasks.py).
ENERGY_TASK = "structures.tasks.compute_energy"

#: The moves a review may make. "corrected" is reached only by saving a correction, and a
#: corrected structure is final: later corrections are made on its newer version.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.UNREVIEWED: frozenset({State.ACCEPTED, State.REJECTED, State.CORRECTED}),
    State.ACCEPTED: frozenset({State.REJECTED, State.CORRECTED}),
    State.REJECTED: frozenset({State.ACCEPTED, State.CORRECTED}),
    State.CORRECTED: frozenset(),
}


class CurationError(Exception):
    """A curation action that cannot be done; ``str(error)`` is the message to show."""


class NotACurator(CurationError):
    """The user may see the structure but is not a curator of its lab (a 403)."""


def can_curate(user: AbstractBaseUser, structure: Structure) -> bool:
    return is_curator(user, structure.lab)


def _require_curator(user: AbstractBaseUser, structure: Structure) -> None:
    if not can_curate(user, structure):
        raise NotACurator(f"only curators of {structure.lab.name} may review its structures")


# --- reviews --------------------------------------------------------------------------------


def review(
    structure: Structure, *, reviewer: AbstractBaseUser, state: str, comment: str = ""
) -> Review:
    """Accept or reject ``structure`` (or revise an earlier review); returns the new row."""
    _require_curator(reviewer, structure)
    if state == State.CORRECTED:
        raise CurationError("a structure becomes corrected by saving a correction of it")
    if state not in State.values:
        raise CurationError(f"unknown review state {state!r}")
    with transaction.atomic():
        return _transition(structure.pk, reviewer, state, comment)


def _transition(
    pk: int,
    reviewer: AbstractBaseUser,
    to_state: str,
    comment: str,
    *,
    new_version: Structure | None = None,
) -> Review:
    """Move structure ``pk`` to ``to_state`` and record it (call inside a transaction)."""
    locked = Structure.objects.select_for_update().get(pk=pk)
    if to_state not in TRANSITIONS[locked.curation_state]:
        raise CurationError(_refusal(locked.curation_state, to_state))
    row = Review.objects.create(
        structure=locked,
        from_state=locked.curation_state,
        to_state=to_state,
        reviewer=reviewer,
        comment=comment.strip(),
        new_version=new_version,
    )
    Structure.objects.filter(pk=pk).update(curation_state=to_state)
    return row


def _refusal(from_state: str, to_state: str) -> str:
    if from_state == State.CORRECTED:
        return "this structure was corrected already: review or correct its newer version"
    if from_state == to_state:
        return f"this structure is {to_state} already"
    return f"a structure that is {from_state} cannot become {to_state}"


# --- corrections ----------------------------------------------------------------------------


def correct(
    structure: Structure,
    *,
    curator: AbstractBaseUser,
    edits: list[dict[str, Any]],
    comment: str = "",
) -> Structure:
    """Save ``edits`` (see :mod:`.editing`) of ``structure`` as a new version, mark
    ``structure`` corrected and queue the new version's energy once this commits.

    Returns the new version. Raises :class:`CurationError` when the edits do not apply
    (or the structure cannot be corrected), :class:`NotACurator` for a non-curator.
    """
    _require_curator(curator, structure)
    try:
        original = structure.atoms()
        edits = checked_edits(edits, len(original), height_A=cell_height_A(original))
        fields = describe(apply_edits(original, edits))
    except CorrectionError as exc:
        raise CurationError(str(exc)) from exc
    except ValueError as exc:  # the CIF writer's read-back check
        raise CurationError(f"the corrected structure could not be written: {exc}") from exc
    with transaction.atomic():
        # One lineage changes at a time, so version numbers are handed out in order.
        Run.objects.select_for_update().get(pk=structure.origin_run_id)
        latest = Structure.objects.filter(origin_run_id=structure.origin_run_id).aggregate(
            Max("version")
        )["version__max"]
        version = Structure.objects.create(
            origin_run_id=structure.origin_run_id,
            parent=structure,
            version=(latest or 1) + 1,
            created_by=curator,
            edits=edits,
            template_id=structure.template_id,
            template_distance=structure.template_distance,
            energy_status=Energy.QUEUED,
            **fields,
        )
        # Refused (and the new version rolled back) unless the structure may be corrected.
        _transition(structure.pk, curator, State.CORRECTED, comment, new_version=version)
        transaction.on_commit(lambda: enqueue_energy(version.pk))
    return version


# --- the energy of a corrected version --------------------------------------------------------


def enqueue_energy(structure_id: int) -> bool:
    """Send the energy task of a queued version; False if the broker refused (the version
    stays queued, and a curator can send it again from its page)."""
    from automat_web.celery import app

    if not Structure.objects.filter(pk=structure_id, energy_status=Energy.QUEUED).exists():
        return False
    try:
        with app.connection_for_write() as conn:
            app.send_task(
                ENERGY_TASK,
                args=[structure_id],
                connection=conn,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
    except Exception:  # the broker is down: the row stays queued
        log.exception("could not send the energy task of structure %s", structure_id)
        return False
    return True


def requeue_energy(structure: Structure, *, curator: AbstractBaseUser) -> None:
    """Queue the energy of a curated version again (after a failure, or a lost message)."""
    _require_curator(curator, structure)
    if structure.parent_id is None:
        raise CurationError("the machine result keeps the energy of its run")
    queued = Structure.objects.filter(
        pk=structure.pk, energy_status__in=[Energy.FAILED, Energy.QUEUED]
    ).update(energy_status=Energy.QUEUED, energy_error="")
    if not queued:
        raise CurationError("the energy of this version is running or done")
    transaction.on_commit(lambda: enqueue_energy(structure.pk))


def compute_energy(structure_id: int) -> Structure | None:
    """Relax (as runs do, ``AUTOMAT_RUN_RELAX``) and score a queued version with the runs'
    potential (``AUTOMAT_ENERGY_MODEL``); what the task calls. Returns None when the
    version is not queued (done, or taken by another delivery)."""
    claimed = Structure.objects.filter(pk=structure_id, energy_status=Energy.QUEUED).update(
        energy_status=Energy.RUNNING, energy_error=""
    )
    if not claimed:
        return None
    structure = Structure.objects.get(pk=structure_id)
    try:
        from automat_web.devices import science_device
        from automat_web.env import science_settings
        from reconstruction.energy.properties import predict_properties

        outcome = predict_properties(
            structure.atoms(),
            model=settings.RUN_ENERGY_MODEL or None,
            relax=settings.RUN_RELAX,
            device=science_device(settings.TORCH_DEVICE),
            settings=science_settings(),
        )
    except Exception:
        log.exception("energy of structure %s failed unexpectedly", structure_id)
        return _energy_done(
            structure_id,
            energy_status=Energy.FAILED,
            energy_error="unexpected error:\n" + traceback.format_exc(limit=20),
        )
    if not outcome.ok:
        model = str(outcome.energy.get("model") or "")[:64]
        return _energy_done(
            structure_id,
            energy_status=Energy.FAILED,
            energy_error=outcome.summary,
            energy_model=model,
        )
    energy = outcome.energy
    return _energy_done(
        structure_id,
        energy_status=Energy.SUCCEEDED,
        formation_energy_per_atom=energy["formation_energy_per_atom"],
        total_energy_per_atom=energy["total_energy_per_atom"],
        energy_model=str(energy["model"])[:64],
        relaxed=bool(energy["relaxed"]),
    )


def _energy_done(structure_id: int, **fields: Any) -> Structure:
    Structure.objects.filter(pk=structure_id, energy_status=Energy.RUNNING).update(**fields)
    return Structure.objects.get(pk=structure_id)


# --- promotion --------------------------------------------------------------------------------


def library_id(structure: Structure) -> str:
    """The template-library id of a promoted structure (stable: promoting again replaces)."""
    return f"automat-{structure.formula}-{structure.pk}"[:128]


def promote(structure: Structure, *, curator: AbstractBaseUser):
    """Render and describe an accepted structure in every imaging mode and store it in the
    template library (retrieval sees it at once). Returns the ``Template`` row."""
    from templates_lib.services import add_structure

    _require_curator(curator, structure)
    structure.refresh_from_db()
    if structure.curation_state != State.ACCEPTED:
        raise CurationError("only an accepted structure can go into the template library")
    atoms = structure.atoms()
    try:
        template = add_structure(atoms, source_id=library_id(structure), source="curated")
    except ValueError as exc:
        raise CurationError(f"the template library refused it: {exc}") from exc
    Structure.objects.filter(pk=structure.pk).update(
        library_id=template.source_id, promoted_by=curator, promoted_at=timezone.now()
    )
    return template
