"""``automat submit IMAGE --elements Mo,S [--pixel-size A] [--wait]``: upload a micrograph
into the portal and queue the agent, through the same services as the upload page.

Prints the run as JSON: at once (queued), or with ``--wait`` when it has finished
(status, steps, formula, energy, the quality gate's review). Exit status 0 when queued or
succeeded, 1 when the run failed or was cancelled, 2 when the file or the options were
refused, 3 when the run ended with a structure that needs review.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROG = "automat submit"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``submit`` on the ``automat`` command's subparsers."""
    parser = sub.add_parser("submit", help="upload a micrograph to the portal and run the agent")
    parser.add_argument("image", help="micrograph file (any supported format)")
    parser.add_argument("--elements", required=True, help="elements present, e.g. Mo,S")
    parser.add_argument(
        "--pixel-size", type=float, default=None, help="[Å/px], overrides the file's calibration"
    )
    parser.add_argument(
        "--mode", default=None, choices=["haadf", "idpc", "abf"],
        help="imaging mode (default: what the file's signal says, else idpc)",
    )  # fmt: skip
    parser.add_argument("--user", default=None, help="owner (default: the admin user)")
    parser.add_argument("--group", default=None, help="lab group (default: the user's first)")
    parser.add_argument("--name", default="", help="sample name (default: the file name)")
    parser.add_argument("--policy", default="rules", choices=["rules", "llm"])
    parser.add_argument("--wait", action="store_true", help="wait for the run; print it as JSON")
    parser.add_argument(
        "--timeout", type=float, default=None, help="[s] to wait (default: the task time limit)"
    )
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automat_web.settings")
    import django

    django.setup()
    from django.conf import settings

    from automat_web.runs import lifecycle
    from automat_web.samples.services import UploadRejected, ingest_upload

    path = Path(args.image)
    if not path.is_file():
        return _fail(f"{args.image}: no such file")
    try:
        owner = _owner(args.user)
        group = _group(owner, args.group)
        outcome = ingest_upload(
            path=path,
            filename=path.name,
            owner=owner,
            group=group,
            name=args.name,
            elements=args.elements,
            pixel_size_A=args.pixel_size,
            mode=args.mode,
        )
        sample = outcome.sample
        run = sample.runs.first() if outcome.created else None
        if run is None:  # the file was there already, or the upload did not start a run
            run = lifecycle.create_run(sample, args.policy, requested_by=owner)
        elif run.policy != args.policy:
            lifecycle.cancel(run)
            run = lifecycle.create_run(sample, args.policy, requested_by=owner)
    except (UploadRejected, lifecycle.RunRejected, LookupError) as exc:
        return _fail(str(exc))
    if args.wait:
        timeout = args.timeout if args.timeout is not None else settings.TASK_TIME_LIMIT_S + 60
        run = lifecycle.wait_for_run(run, timeout_s=timeout)
    summary = lifecycle.run_summary(run)
    json.dump(summary, sys.stdout, indent=2)
    print()
    if args.wait and run.is_active:
        print(f"{PROG}: run {run.pk} still {run.status} after {timeout:g} s", file=sys.stderr)
        return 1
    if run.status == "needs_review":
        print(f"{PROG}: run {run.pk} {run.error}", file=sys.stderr)
        return 3
    return 0 if run.status in ("queued", "running", "succeeded") else 1


def _owner(username: str | None):
    from django.conf import settings
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    name = username or settings.ADMIN_USERNAME
    if name:
        user = users.filter(username=name).first()
        if user is None:
            raise LookupError(f"no user {name!r}")
        return user
    user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise LookupError("no admin user: pass --user or set AUTOMAT_ADMIN_USERNAME")
    return user


def _group(owner, name: str | None):
    from automat_web.accounts.groups import lab_groups

    groups = lab_groups(owner)
    group = groups.filter(name=name).first() if name else groups.first()
    if group is None:
        where = f"the lab group {name!r}" if name else "any lab group"
        raise LookupError(f"{owner.get_username()} is not a member of {where}")
    return group
