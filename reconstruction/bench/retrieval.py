"""Evaluation behind ``python -m reconstruction.bench.retrieval_runs evaluate``.

Retrieval is right when the template is the sample's structure or an equivalent one:
same composition, RMSD_xy <= 0.05 Å and projected MSE_2D <= 0.01 Å² (reconstruction.metrics
matching: any cell, rotation, mirror or origin). A projection image cannot tell apart
structures that agree this closely in projection.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from reconstruction.descriptors.retrieval import cosine_distance, structure_from_cif
from reconstruction.descriptors.vectors import paper_pixel_histogram

METHODS = ("rich", "rdf", "paper_px")
EQUIV_RMSD_A = 0.05
EQUIV_MSE_A2 = 0.01
TEMPLATE_PIXEL_A = 0.1


def _formula_key(atoms) -> str:
    from pymatgen.core import Composition

    return Composition(atoms.get_chemical_formula()).reduced_formula


class Library:
    """Builder records (JSON lines) grouped by element set, with all three vectors."""

    def __init__(self, records_path: Path, element_sets: set[tuple[str, ...]]) -> None:
        self.by_key: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        self.total = 0
        for line in Path(records_path).read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "rich" not in r:
                continue
            self.total += 1
            key = tuple(r["elements"])
            if key not in element_sets:
                continue
            cols = np.asarray(r["observation"]["columns_A"], float).reshape(-1, 2)
            r["paper_px"] = paper_pixel_histogram(cols / TEMPLATE_PIXEL_A).tolist()
            del r["observation"], r["png"]
            self.by_key[key].append(r)
        self.ids = {r["id"] for rows in self.by_key.values() for r in rows}
        self.matrix = {
            (key, m): np.array([r[m] for r in rows], np.float32)
            for key, rows in self.by_key.items()
            for m in METHODS
        }

    def rank(self, key: tuple[str, ...], method: str, query: np.ndarray) -> list[tuple[str, float]]:
        rows = self.by_key.get(key, [])
        if not rows:
            return []
        dist = cosine_distance(self.matrix[(key, method)], np.asarray(query, np.float32))
        order = np.argsort(dist, kind="stable")
        return [(rows[i]["id"], float(dist[i])) for i in order]

    def record(self, sid: str) -> dict:
        for rows in self.by_key.values():
            for r in rows:
                if r["id"] == sid:
                    return r
        raise KeyError(sid)


@lru_cache(maxsize=20000)
def _cif_atoms(cif: str):
    return structure_from_cif(cif)


def equivalent(template_cif: str, truth_path: str) -> bool:
    from ase.io import read

    from reconstruction.metrics.scores import composition_correct, rmsd_xy, structure_match

    t, truth = _cif_atoms(template_cif), read(truth_path)
    if not composition_correct(t, truth):
        return False
    try:
        if rmsd_xy(t, truth) > EQUIV_RMSD_A:
            return False
        mse = structure_match(t, truth).mse_2d_A2
    except Exception:  # metrics give up on odd pairs: not equivalent
        return False
    return mse is not None and mse <= EQUIV_MSE_A2


def _rank_sample(args) -> dict:
    """Rankings of one sample for every method, with equivalence of the candidates."""
    row, lib_by_key, truth_path = args
    key = tuple(sorted(row["elements"]))
    truth_id = row["structure_id"]
    from ase.io import read

    truth_formula = _formula_key(read(truth_path))
    out: dict[str, Any] = {"sample_id": row["sample_id"], "tier": row["tier"], "methods": {}}
    cache: dict[str, bool] = {}

    def ok(sid: str, rec: dict) -> bool:
        if sid == truth_id:
            return True
        if sid not in cache:
            cache[sid] = rec["formula_key"] == truth_formula and equivalent(rec["cif"], truth_path)
        return cache[sid]

    recs = {r["id"]: r for r in lib_by_key.get(key, [])}
    for method in METHODS:
        query = row["descriptor"][method] if method != "paper_px" else row["paper_px"]
        rows = lib_by_key.get(key, [])
        if not rows:
            out["methods"][method] = {"rank": None, "top": [], "held_out": None}
            continue
        mat = np.array([r[method] for r in rows], np.float32)
        dist = cosine_distance(mat, np.asarray(query, np.float32))
        order = np.argsort(dist, kind="stable")
        ranked = [(rows[i]["id"], float(dist[i])) for i in order]
        rank = next((i for i, (sid, _) in enumerate(ranked[:10]) if ok(sid, recs[sid])), None)
        # Held out: the nearest template that is neither the truth nor equivalent to it.
        held = next(((sid, d) for sid, d in ranked[:30] if not ok(sid, recs[sid])), None)
        out["methods"][method] = {
            "rank": rank,
            "top": ranked[:10],
            "held_out": held,
        }
    return out


def evaluate(dataset: Path, queries_path: Path, records_path: Path, *, workers: int = 1):
    from reconstruction.bench.dataset import read_dataset

    t0 = time.perf_counter()
    samples = {s.sample_id: s for s in read_dataset(dataset)}
    queries = [json.loads(line) for line in Path(queries_path).read_text().splitlines()]
    queries = [q for q in queries if q["sample_id"] in samples]
    keys = {tuple(sorted(q["elements"])) for q in queries}
    lib = Library(records_path, keys)
    for rows in lib.by_key.values():
        for r in rows:
            r["formula_key"] = _formula_key(_cif_atoms(r["cif"]))
    missing = [q["structure_id"] for q in queries if q["structure_id"] not in lib.ids]
    jobs = [(q, dict(lib.by_key), str(samples[q["sample_id"]].truth)) for q in queries]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            ranked = list(pool.map(_rank_sample, jobs, chunksize=8))
    else:
        ranked = [_rank_sample(j) for j in jobs]
    summary = summarise(ranked)
    summary["library_templates"] = lib.total
    summary["truth_not_in_library"] = len(missing)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return {"summary": summary, "samples": ranked, "missing": missing}


def summarise(ranked: list[dict]) -> dict:
    out: dict[str, Any] = {"n": len(ranked)}
    for method in METHODS:
        per_tier: dict[str, dict] = {}
        for tier in ("1", "2", "3", "all"):
            rows = [r for r in ranked if tier == "all" or str(r["tier"]) == tier]
            ranks = [r["methods"][method]["rank"] for r in rows]
            n = len(rows)
            per_tier[tier] = {
                "n": n,
                "top1": round(100 * sum(k == 0 for k in ranks) / max(n, 1), 1),
                "top10": round(100 * sum(k is not None for k in ranks) / max(n, 1), 1),
            }
        out[method] = per_tier
    out["distances_rich"] = distance_stats(ranked, "rich")
    return out


def distance_stats(ranked: list[dict], method: str) -> dict:
    """Top-1 distances when right, when wrong, and held out (truth not in the library)."""
    right = [r["methods"][method]["top"][0][1] for r in ranked if r["methods"][method]["rank"] == 0]
    wrong = [
        r["methods"][method]["top"][0][1]
        for r in ranked
        if r["methods"][method]["top"] and r["methods"][method]["rank"] != 0
    ]
    held = [r["methods"][method]["held_out"][1] for r in ranked if r["methods"][method]["held_out"]]

    def pct(v):
        if not v:
            return None
        return {p: round(float(np.percentile(v, p)), 4) for p in (5, 25, 50, 75, 95, 99)}

    best = None
    for t in np.unique(np.round(np.concatenate([right, held, [0.0]]), 4)):
        tpr = np.mean(np.array(right) <= t) if right else 0.0
        fpr = np.mean(np.array(held) <= t) if held else 0.0
        if best is None or tpr - fpr > best[0] + 1e-12:
            best = (tpr - fpr, float(t), float(tpr), float(fpr))
    return {
        "right": pct(right),
        "wrong": pct(wrong),
        "held_out": pct(held),
        "n_right": len(right),
        "n_wrong": len(wrong),
        "n_held_out": len(held),
        "threshold": None if best is None else {"distance": best[1], "tpr": round(best[2], 4),
                                                 "fpr_held_out": round(best[3], 4)},
    }  # fmt: skip


def _prior_sample(args) -> dict:
    """Reconstruct one sample with a template prior; score it."""
    sample_id, image_path, truth_path, elements, mode, cif, tid, distance, max_distance = args
    from ase.io import read

    from reconstruction.errors import ReconstructionError
    from reconstruction.io import read_micrograph
    from reconstruction.metrics.scores import score_sample
    from reconstruction.stem2cif import reconstruct
    from reconstruction.stem2cif.prior import TemplatePrior

    micro = read_micrograph(Path(image_path))
    prior = TemplatePrior(
        structure_from_cif(cif), id=tid, distance=distance, max_distance=max_distance
    )
    t0 = time.perf_counter()
    try:
        res = reconstruct(micro.data, pixel_size_A=micro.calibration.pixel_size_A,
                          elements=elements, mode=mode, prior=prior)  # fmt: skip
    except ReconstructionError as exc:
        return {"sample_id": sample_id, "status": "failed", "error": str(exc),
                "score": score_sample(None, read(truth_path)).as_dict()}  # fmt: skip
    return {
        "sample_id": sample_id,
        "status": "succeeded",
        "prior": res.prior,
        "formula": res.formula,
        "lattice": {"a": res.lattice.a_A, "b": res.lattice.b_A, "gamma": res.lattice.gamma_deg},
        "score": score_sample(res.structure, read(truth_path)).as_dict(),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def prior_effect(
    dataset: Path,
    queries_path: Path,
    records_path: Path,
    report: dict,
    plain_scores: Path,
    *,
    max_distance: float,
    workers: int = 1,
    held_out: bool = False,
) -> dict:
    """C.C. and S.S. with the prior vs without, per tier.

    Only samples whose top-1 distance is within ``max_distance`` are reconstructed again
    (the others fall back before any work: their result is the template-free one, read
    from ``plain_scores``, a ``bench score`` report). ``held_out``: the template offered
    is the nearest one that is neither the truth nor equivalent to it.
    """
    from reconstruction.bench.dataset import read_dataset

    samples = {s.sample_id: s for s in read_dataset(dataset)}
    queries = {
        q["sample_id"]: q for q in map(json.loads, Path(queries_path).read_text().splitlines())
    }
    plain = {r["sample_id"]: r for r in json.loads(Path(plain_scores).read_text())["samples"]}
    cifs: dict[str, str] = {}
    for line in Path(records_path).read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        cifs[r["id"]] = r["cif"]
    jobs, offered = [], {}
    for row in report["samples"]:
        m = row["methods"]["rich"]
        pick = m["held_out"] if held_out else (m["top"][0] if m["top"] else None)
        sid = row["sample_id"]
        offered[sid] = pick
        if pick is None or pick[1] > max_distance:
            continue
        s, q = samples[sid], queries[sid]
        jobs.append((sid, str(s.image), str(s.truth), q["elements"], q["mode"], cifs[pick[0]],
                     pick[0], pick[1], max_distance))  # fmt: skip
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            redone = {r["sample_id"]: r for r in pool.map(_prior_sample, jobs)}
    else:
        redone = {r["sample_id"]: r for r in map(_prior_sample, jobs)}
    rows = []
    for row in report["samples"]:
        sid = row["sample_id"]
        with_prior = redone.get(sid)
        rows.append({
            "sample_id": sid, "tier": row["tier"], "offered": offered[sid],
            "accepted": bool(with_prior and (with_prior.get("prior") or {}).get("accepted")),
            "without": plain[sid],
            "with": with_prior["score"] if with_prior else plain[sid],
            "detail": with_prior,
        })  # fmt: skip
    return {"max_distance": max_distance, "held_out": held_out, "table": _table(rows),
            "samples": rows}  # fmt: skip


def _table(rows: list[dict]) -> dict:
    out = {}
    for tier in ("1", "2", "3", "all"):
        sel = [r for r in rows if tier == "all" or str(r["tier"]) == tier]
        n = max(len(sel), 1)

        def pct(key, side, sel=sel, n=n):
            return round(100 * sum(bool(r[side][key]) for r in sel) / n, 1)

        out[tier] = {
            "n": len(sel),
            "accepted": sum(r["accepted"] for r in sel),
            "cc_without": pct("composition_correct", "without"),
            "cc_with": pct("composition_correct", "with"),
            "ss_without": pct("structure_success", "without"),
            "ss_with": pct("structure_success", "with"),
        }
    return out
