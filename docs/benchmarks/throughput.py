"""Throughput of the embedded stack: samples/hour with 1 and 2 worker processes.

    nice -n 10 .venv/bin/python docs/benchmarks/throughput.py docs/benchmarks/throughput.json \
        [--samples 6] [--workers 1,2]

What ``automat run`` runs, in a private temporary directory: an embedded PostgreSQL that is
also the broker (kombu's SQL transport), the shipped template library and references, the
default potential with relaxation, the rules policy. Per round: ``--samples`` simulated
MoS2 iDPC micrographs (192 x 192 px at 0.1 Å/px, fast simulator, a fresh seed each) are
uploaded and their runs queued, then N ``celery worker --concurrency 1`` processes (each
on both queues, torch device cpu) are started; the clock runs from the first run's start
to the last run's end, so the models' loading in each worker is counted
(``samples_per_hour``); ``steady_samples_per_hour`` leaves each worker's first run out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _environment(var: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AUTOMAT_BROKER_URL", None)
    env.update(
        DATABASE_URL=url,
        AUTOMAT_VAR_DIR=str(var),
        AUTOMAT_DATA_DIR=str(var / "data"),
        AUTOMAT_TORCH_DEVICE="cpu",
        DJANGO_SETTINGS_MODULE="automat_web.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def _micrograph(path: Path, seed: int) -> Path:
    import numpy as np
    import tifffile

    from reconstruction.data import monolayer
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(mode="idpc", dose_e_per_A2=3e4, pixel_size_A=0.1,
                           shape_px=(192, 192), seed=seed)  # fmt: skip
    image = np.asarray(simulate_fast(monolayer("c2dm-MoS2-H"), config).image, dtype=np.float32)
    tifffile.imwrite(path, image, imagej=True, resolution=(10.0, 10.0),
                     metadata={"unit": "angstrom"})  # fmt: skip
    return path


def _queue(n: int, first_seed: int, folder: Path, owner, group) -> list[int]:
    from automat_web.samples.services import ingest_upload

    ids = []
    for seed in range(first_seed, first_seed + n):
        path = _micrograph(folder / f"mos2-{seed}.tif", seed)
        sample = ingest_upload(path=path, filename=path.name, owner=owner, group=group,
                               name=f"throughput {seed}", elements="Mo,S").sample  # fmt: skip
        ids.append(sample.runs.get().pk)
    return ids


def _round(workers: int, run_ids: list[int], env: dict, logs: Path, timeout_s: float) -> dict:
    from automat_web.runs.models import Run

    procs = []
    for i in range(workers):
        log = open(logs / f"worker-{workers}-{i}.log", "wb")  # noqa: SIM115 - closed below
        cmd = [str(BIN / "celery"), "-A", "automat_web", "worker", "--concurrency", "1",
               "--hostname", f"bench{workers}-{i}@%h", "--without-gossip", "--without-mingle",
               "--loglevel", "INFO"]  # fmt: skip
        procs.append((subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log), log))
    deadline = time.monotonic() + timeout_s
    try:
        while Run.objects.filter(pk__in=run_ids).active().exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs unfinished after {timeout_s} s")
            time.sleep(1.0)
    finally:
        for proc, log in procs:
            proc.terminate()
            proc.wait(timeout=60)
            log.close()
    runs = list(Run.objects.filter(pk__in=run_ids))
    start = min(r.started for r in runs)
    end = max(r.finished for r in runs)
    wall = (end - start).total_seconds()
    each = [(r.finished - r.started).total_seconds() for r in runs]
    # Steady state: from the W-th finish (each worker has loaded its models by then, about)
    # to the last, over the runs finished in between.
    ends = sorted(r.finished for r in runs)
    steady_s = (ends[-1] - ends[workers - 1]).total_seconds()
    steady = (len(runs) - workers) / steady_s * 3600 if steady_s > 0 else None
    statuses: dict[str, int] = {}
    for r in runs:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {
        "workers": workers,
        "samples": len(runs),
        "wall_s": round(wall, 1),
        "samples_per_hour": round(len(runs) / wall * 3600, 1),
        "steady_samples_per_hour": round(steady, 1) if steady else None,
        "run_s_median": round(statistics.median(each), 1),
        "run_s_max": round(max(each), 1),
        "statuses": statuses,
        "attempts_max": max(r.attempts for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--timeout", type=float, default=900.0, help="[s] per round")
    args = parser.parse_args()

    from automat_web.embedded_db import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="automat-throughput-") as tmp:
        var = Path(tmp) / "var"
        (var / "run").mkdir(parents=True)
        with EmbeddedPostgres(var / "postgres", database="automat") as pg:
            env = _environment(var, pg.url)
            manage = [sys.executable, str(ROOT / "manage.py")]
            for command in (["migrate", "-v", "0"], ["compute_references"],
                            ["load_templates", "--if-needed"]):  # fmt: skip
                subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT)
            os.environ.update(env)
            import django

            django.setup()
            from django.contrib.auth import get_user_model
            from django.contrib.auth.models import Group

            group = Group.objects.create(name="Bench")
            owner = get_user_model().objects.create_user("bench")  # no password: no login
            owner.groups.add(group)
            rounds = []
            for k, workers in enumerate(int(w) for w in args.workers.split(",")):
                ids = _queue(args.samples, 100 * (k + 1), Path(tmp), owner, group)
                row = _round(workers, ids, env, Path(tmp), args.timeout)
                print(json.dumps(row), flush=True)
                rounds.append(row)
            from django.db import connections

            connections.close_all()
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch_device": "cpu",
        },
        "setup": {
            "samples_per_round": args.samples,
            "image_px": 192,
            "policy": "rules",
            "relax": True,
            "broker": "embedded PostgreSQL (kombu SQL transport)",
        },
        "rounds": rounds,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
