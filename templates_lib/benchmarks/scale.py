"""Scale test of the pgvector index: N synthetic descriptor vectors (default 1,000,000),
HNSW build time, recall@10 against exact search, query latency.

``python -m templates_lib.benchmarks.scale --out docs/benchmarks/templates_scale.json
[--n 1000000]``

Runs its own embedded PostgreSQL (``var/templates/scale-postgres``, removed afterwards
unless ``--keep``), so it touches no other database. Vectors: ``--clusters`` centres drawn
like our descriptors (non-negative, L2-normalised; from the library dump when one is
given, else random), each vector a centre plus Gaussian noise, normalised — clustered
like a real library, which is harder for HNSW than uniform noise. Queries are fresh draws.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int, dim: int, centres: np.ndarray, noise: float, rng) -> np.ndarray:
    idx = rng.integers(0, len(centres), n)
    v = centres[idx] + rng.normal(0, noise, (n, dim)).astype(np.float32)
    np.maximum(v, 0, out=v)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v.astype(np.float32)


def _centres(dump: Path | None, k: int, dim: int, rng) -> np.ndarray:
    if dump is not None:
        from reconstruction.descriptors import read_dump

        base = read_dump(dump).matrix("rich")
        return base[rng.integers(0, len(base), k)].astype(np.float32)
    c = np.maximum(rng.normal(0, 1, (k, dim)), 0).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def run(
    *, n: int, dim: int, queries: int, dump: Path | None, pgdata: Path, keep: bool, seed: int
) -> dict:
    import psycopg
    from pgvector.psycopg import register_vector

    from automat_web.embedded_db import EmbeddedPostgres

    rng = np.random.default_rng(seed)
    centres = _centres(dump, 6000, dim, rng)
    report: dict = {"n": n, "dim": dim, "queries": queries, "seed": seed, "noise": 0.05}
    if pgdata.exists():
        shutil.rmtree(pgdata)
    pg = EmbeddedPostgres(pgdata, database="scale")
    pg.start()
    try:
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            register_vector(conn)
            conn.execute(f"CREATE TABLE item (id integer PRIMARY KEY, v vector({dim}))")
            t0 = time.perf_counter()
            data = np.empty((n, dim), np.float32)
            chunk = 50_000
            sql = "COPY item (id, v) FROM STDIN WITH (FORMAT BINARY)"
            with conn.cursor() as cur, cur.copy(sql) as copy:
                copy.set_types(["int4", "vector"])
                for start in range(0, n, chunk):
                    block = synthetic(min(chunk, n - start), dim, centres, 0.05, rng)
                    data[start : start + len(block)] = block
                    for i, v in enumerate(block):
                        copy.write_row([start + i, v])
            report["load_s"] = round(time.perf_counter() - t0, 1)
            conn.execute("SET maintenance_work_mem = '3GB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            t0 = time.perf_counter()
            conn.execute(
                "CREATE INDEX item_v_hnsw ON item USING hnsw (v vector_cosine_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
            report["index_build_s"] = round(time.perf_counter() - t0, 1)
            size = conn.execute("SELECT pg_relation_size('item_v_hnsw')").fetchone()[0]
            report["index_mb"] = round(size / 1e6, 1)
            q = synthetic(queries, dim, centres, 0.05, rng)
            exact = _exact_top10(data, q)
            report["ef_search"] = {}
            for ef in (40, 100, 200):
                conn.execute(f"SET hnsw.ef_search = {ef}")
                lat, recall = [], []
                for qi, v in enumerate(q):
                    t0 = time.perf_counter()
                    rows = conn.execute(
                        "SELECT id FROM item ORDER BY v <=> %s LIMIT 10", [v]
                    ).fetchall()
                    lat.append(time.perf_counter() - t0)
                    recall.append(len({r[0] for r in rows} & set(exact[qi].tolist())) / 10)
                lat_ms = np.array(lat) * 1e3
                report["ef_search"][str(ef)] = {
                    "recall_at_10": round(float(np.mean(recall)), 4),
                    "latency_ms_p50": round(float(np.percentile(lat_ms, 50)), 2),
                    "latency_ms_p95": round(float(np.percentile(lat_ms, 95)), 2),
                }
            plan = conn.execute(
                "EXPLAIN SELECT id FROM item ORDER BY v <=> %s LIMIT 10", [q[0]]
            ).fetchall()
            report["plan"] = [r[0] for r in plan]
    finally:
        pg.stop()
        if not keep:
            shutil.rmtree(pgdata, ignore_errors=True)
    return report


def _exact_top10(data: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Exact cosine top-10 (vectors are unit length: largest dot product)."""
    sims = np.concatenate([data[i : i + 200_000] @ q.T for i in range(0, len(data), 200_000)])
    return np.argsort(-sims, axis=0)[:10].T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m templates_lib.benchmarks.scale")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=None, help="default: the rich descriptor's")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dump", type=Path, default=None, help="centres from a library dump")
    parser.add_argument("--pgdata", type=Path, default=ROOT / "var" / "templates" / "scale-pg")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from reconstruction.descriptors import RICH_DIM

    start = time.perf_counter()
    report = run(
        n=args.n, dim=args.dim or RICH_DIM, queries=args.queries, dump=args.dump,
        pgdata=args.pgdata, keep=args.keep, seed=args.seed,
    )  # fmt: skip
    report["total_s"] = round(time.perf_counter() - start, 1)
    report["machine"] = f"{platform.machine()}, 2-core AMD EPYC (shared), no GPU"
    report["date"] = time.strftime("%Y-%m-%d")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
