"""Query latency of the pgvector retriever with the full library.

``python -m templates_lib.benchmarks.latency --queries Q.jsonl
--out docs/benchmarks/templates_latency.json [--dump templates_lib/data/templates.npz]``

Starts its own embedded PostgreSQL (``var/templates/latency-pg``, removed afterwards),
migrates, times ``load_templates`` of the dump, then times ``retriever().top_k`` (k = 10,
exact element set, one SQL query each) for every query descriptor of a benchmark
(``reconstruction.bench.retrieval_runs queries`` output), three passes, the first as
warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m templates_lib.benchmarks.latency")
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--dump", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pgdata", type=Path, default=ROOT / "var" / "templates" / "latency-pg")
    args = parser.parse_args(argv)
    from automat_web.embedded_db import EmbeddedPostgres

    if args.pgdata.exists():
        shutil.rmtree(args.pgdata)
    pg = EmbeddedPostgres(args.pgdata, database="latency")
    pg.start()
    try:
        os.environ["DATABASE_URL"] = pg.url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automat_web.settings")
        import django

        django.setup()
        report = _measure(args)
    finally:
        pg.stop()
        shutil.rmtree(args.pgdata, ignore_errors=True)
    report["machine"] = "2-core AMD EPYC (shared with other jobs), no GPU"
    report["date"] = time.strftime("%Y-%m-%d")
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


def _measure(args) -> dict:
    from django.core.management import call_command

    from reconstruction.descriptors import Descriptor
    from templates_lib import services
    from templates_lib.models import Template

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    loaded = services.load_dump(args.dump)
    load_s = time.perf_counter() - t0
    queries = [json.loads(line) for line in args.queries.read_text().splitlines()]
    descs = [(Descriptor.from_dict(q["descriptor"]), q["elements"]) for q in queries]
    report = {"templates": Template.objects.count(), "loaded": loaded,
              "load_dump_s": round(load_s, 2), "queries": len(descs)}  # fmt: skip
    for vector in ("rich", "rdf"):
        retriever = services.PgRetriever(vector=vector)
        lat = []
        for rep in range(3):
            for d, elements in descs:
                t0 = time.perf_counter()
                retriever.top_k(d, elements, k=10)
                if rep:
                    lat.append(time.perf_counter() - t0)
        ms = np.array(lat) * 1e3
        report[vector] = {
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2),
        }
    qs = services.retriever().queryset(*descs[0])[:10]
    report["plan"] = qs.explain().splitlines()
    return report


if __name__ == "__main__":
    raise SystemExit(main())
