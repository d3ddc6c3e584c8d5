"""Development evaluation of STEM2CIF on simulated images of data-set monolayers.

Run as a module::

    python -m reconstruction.bench.stem2cif_dev --n 60 --mode idpc --size 512 --seed 0

Each structure is simulated with the fast simulator (random in-plane rotation, dose drawn
from the tiers' range), reconstructed, and scored: RMSD_xy of the Gauss-reduced in-plane
lattice lengths, C.C. (same reduced formula; also reported: same counts per primitive
cell), S.S. (exp(-MSE_2D) >= 0.8, MSE_2D of projected positions after the best lattice
alignment, translation and element-wise matching; a predicted cell that is a sub-cell of
the reference, as when puckering is invisible in projection, is expanded first). The
reference is the structure as the simulator drew it: oblique cells are sheared to fit
its orthogonal supercell, so the reference is sheared the same way.
This is a development tool, not the benchmark (``reconstruction.metrics`` is).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import Counter

import numpy as np
from ase import Atoms
from pymatgen.core import Composition
from scipy.optimize import linear_sum_assignment

DATA = "/work/shared/data/monolayers.extxyz"


def strained_reference(atoms: Atoms) -> Atoms:
    """The primitive cell with the same shear the simulator applies (identity if none)."""
    from reconstruction.simulate.cell import _a_along_x, orthogonal_cell

    atoms = _a_along_x(atoms)
    ortho = orthogonal_cell(atoms)
    if ortho.strain == 0:
        return atoms
    a1, a2 = np.array(atoms.cell)[0, :2], np.array(atoms.cell)[1, :2]
    lengths = np.diag(np.array(ortho.atoms.cell))[:2]
    best = min(range(1, 40), key=lambda m2: abs((round(-m2 * a2[0] / a1[0]) * a1 + m2 * a2)[0]))
    v = round(-best * a2[0] / a1[0]) * a1 + best * a2
    t = np.linalg.solve(np.array([a1, v]), np.diag(lengths))
    out = atoms.copy()
    cell = np.array(out.cell)
    cell[:2, :2] = cell[:2, :2] @ t
    out.set_cell(cell, scale_atoms=True)
    return out


def _integer_matrices(det: int, limit: int = 3) -> list[np.ndarray]:
    rng = range(-limit, limit + 1)
    return [
        np.array([[a, b], [c, d]])
        for a, b, c, d in itertools.product(rng, rng, rng, rng)
        if abs(a * d - b * c) == det
    ]


def _supercell_sites(frac: np.ndarray, symbols: np.ndarray, m: np.ndarray):
    """Fractional positions and symbols of the supercell whose vectors are ``m @ cell``."""
    inv = np.linalg.inv(m)
    shifts = np.array(list(itertools.product(range(-3, 4), repeat=2)))
    pts = ((frac[None, :, :] + shifts[:, None, :]) @ inv).reshape(-1, 2) % 1.0
    syms = np.tile(symbols, len(shifts))
    key = np.round(pts * 1e4).astype(int) % 10000
    _, first = np.unique(key[:, 0] * 10000 + key[:, 1], return_index=True)
    return pts[first], syms[first]


def mse_2d(pred: Atoms, ref: Atoms) -> float:
    """Mean squared error [Å²] of projected positions after the best alignment.

    When the predicted cell is smaller than the reference (the projection is periodic
    on a finer lattice than the 3D layer, e.g. puckered layers), it is expanded to the
    reference cell first.
    """
    lp, lr = np.array(pred.cell)[:2, :2], np.array(ref.cell)[:2, :2]
    ratio = abs(np.linalg.det(lr) / np.linalg.det(lp))
    n = round(ratio)
    if n < 1 or abs(ratio - n) > 0.05 * n:
        return float("inf")
    fp = pred.get_scaled_positions()[:, :2]
    fr = ref.get_scaled_positions()[:, :2]
    sp, sr = np.array(pred.get_chemical_symbols()), np.array(ref.get_chemical_symbols())
    if n * len(sp) != len(sr):
        return float("inf")
    candidates = []
    for m in _integer_matrices(n):
        lm = m @ lp
        u, _, vt = np.linalg.svd(lm.T @ lr)
        candidates.append((float(np.linalg.norm(lm @ (u @ vt) - lr)), m))
    tol = min(c[0] for c in candidates) + 0.05 * np.linalg.norm(lr)
    best = float("inf")
    for err, m in candidates:
        if err <= tol:
            f, syms = _supercell_sites(fp, sp, m) if n > 1 else ((fp @ np.linalg.inv(m)) % 1, sp)
            if Counter(syms.tolist()) == Counter(sr.tolist()):
                best = min(best, _best_translation(f, syms, fr, sr, lr))
    return best


def _best_translation(fp, sp, fr, sr, lr) -> float:
    best = float("inf")
    el = sp[0]
    for j in np.nonzero(sr == el)[0]:
        shift = fr[j] - fp[0]
        for _ in range(2):
            total, disp = 0.0, []
            for e in set(sp):
                a, b = (fp[sp == e] + shift), fr[sr == e]
                d = b[None, :, :] - a[:, None, :]
                d -= np.round(d)
                cart = d @ lr
                cost = np.sum(cart**2, axis=2)
                r, c = linear_sum_assignment(cost)
                total += cost[r, c].sum()
                disp.append(d[r, c])
            shift = shift + np.concatenate(disp).mean(axis=0)
        best = min(best, total / len(fp))
    return best


def _reduced_lengths(atoms: Atoms) -> list[float]:
    """In-plane lattice lengths [Å] of the Gauss-reduced 2D cell, shortest first."""
    from reconstruction.detection.lattice import gauss_reduce

    basis = gauss_reduce(np.array(atoms.cell)[:2, :2].T)
    return sorted(np.linalg.norm(basis, axis=0).tolist())


def evaluate_one(
    atoms: Atoms, *, mode: str, size: int, rng: np.random.Generator, jitter_A: float = 0.0
) -> dict:
    """Simulate, reconstruct and score one structure."""
    from reconstruction.errors import ReconstructionError
    from reconstruction.simulate import ImagingConfig, simulate_fast
    from reconstruction.stem2cif import reconstruct

    rotation = float(rng.uniform(0, 360))
    dose = _dose(atoms, rng)
    config = ImagingConfig(
        mode=mode,
        shape_px=(size, size),
        rotation_deg=rotation,
        dose_e_per_A2=dose,
        seed=int(rng.integers(1 << 30)),
        scan_jitter_A=jitter_A,
    )
    sim = simulate_fast(atoms, config)
    ref = strained_reference(atoms)
    row = {
        "id": atoms.info["id"],
        "formula": atoms.info["formula"],
        "rotation": rotation,
        "dose": dose,
        "strain": sim.strain,
    }
    t0 = time.perf_counter()
    try:
        res = reconstruct(
            sim.image,
            pixel_size_A=0.1,
            elements=sorted(set(atoms.get_chemical_symbols())),
            mode=mode,
        )
    except ReconstructionError as exc:
        row.update(ok=False, error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0)
        return row
    seconds = time.perf_counter() - t0
    a_p, b_p = _reduced_lengths(res.structure), _reduced_lengths(ref)
    rmsd = float(np.sqrt(((a_p[0] - b_p[0]) ** 2 + (a_p[1] - b_p[1]) ** 2) / 2))
    cc_cell = Counter(res.structure.get_chemical_symbols()) == Counter(ref.get_chemical_symbols())
    cc = res.formula == Composition(ref.get_chemical_formula()).reduced_formula
    mse = mse_2d(res.structure, ref) if cc else float("inf")
    row.update(
        ok=True,
        rmsd_xy=rmsd,
        cc=bool(cc),
        cc_cell=bool(cc_cell),
        mse_2d=mse,
        ss=bool(np.exp(-mse) >= 0.8),
        formula_pred=res.formula,
        seconds=seconds,
        warnings=list(res.warnings),
    )
    row.update(_official(res.structure, ref))
    return row


def _dose(atoms: Atoms, rng: np.random.Generator) -> float:
    """The benchmark tier's dose when reconstruction.metrics is there, else 1e4-6e4."""
    try:
        from reconstruction.metrics import assign_tier, sample_dose

        return sample_dose(assign_tier(atoms), rng)
    except (ImportError, ValueError):
        return float(rng.uniform(1e4, 6e4))


def _official(pred: Atoms, ref: Atoms) -> dict:
    """Scores from reconstruction.metrics (the benchmark scorer), when importable."""
    try:
        from reconstruction.metrics import score_sample
    except ImportError:
        return {}
    score = score_sample(pred, ref)
    return {
        "m_rmsd_xy": score.rmsd_xy_A,
        "m_cc": bool(score.composition_correct),
        "m_ss": bool(score.structure_success),
        "m_mse_2d": score.mse_2d_A2,
    }


def _selected(atoms: Atoms, name: str) -> bool:
    if name.startswith("pass_"):
        return bool(atoms.info[name])
    from reconstruction.metrics import LOOSE, STRICT, qualify

    if not atoms.info["pass_t4"]:
        return False
    return qualify(atoms, criteria=STRICT if name == "strict" else LOOSE).qualifies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--mode", default="idpc")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--filter",
        default="pass_t4",
        choices=["pass_t3", "pass_t4", "strict", "loose"],
        help="data-set flag, or reconstruction.metrics' benchmark filter (with overlap)",
    )
    parser.add_argument("--ids", default="", help="comma-separated ids instead of a sample")
    parser.add_argument("--jitter", type=float, default=0.0, help="scan-line jitter [Å]")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    import ase.io

    frames = ase.io.read(DATA, ":")
    if args.ids:
        wanted = args.ids.split(",")
        pool = [f for f in frames if f.info["id"] in wanted]
    else:
        pool = [f for f in frames if _selected(f, args.filter) and f.info["n_atoms"] <= 24]
    rng = np.random.default_rng(args.seed)
    pick = pool if args.ids else [pool[i] for i in rng.choice(len(pool), args.n, replace=False)]
    rows = []
    for atoms in pick:
        row = evaluate_one(atoms, mode=args.mode, size=args.size, rng=rng, jitter_A=args.jitter)
        rows.append(row)
        print(json.dumps(row, default=float), flush=True)
    _summary(rows)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1, default=float)
    return 0


def _summary(rows: list[dict]) -> None:
    ok = [r for r in rows if r["ok"]]
    n = len(rows)
    rmsd = [r["rmsd_xy"] for r in ok]
    print(f"n={n} reconstructed={len(ok)}")
    if ok:
        print(f"median RMSD_xy={np.median(rmsd):.4f} A  mean={np.mean(rmsd):.4f} A")
    print(
        f"C.C.={sum(r.get('cc', False) for r in rows) / n:.1%} (reduced formula; same cell: "
        f"{sum(r.get('cc_cell', False) for r in rows) / n:.1%})  "
        f"S.S.={sum(r.get('ss', False) for r in rows) / n:.1%}"
    )
    if ok:
        print(f"median time={np.median([r['seconds'] for r in ok]):.2f} s")
    scored = [r for r in ok if "m_cc" in r]
    if scored:
        m_rmsd = [r["m_rmsd_xy"] for r in scored if r["m_rmsd_xy"] is not None]
        print(
            f"reconstruction.metrics: median RMSD_xy={np.median(m_rmsd):.4f} A  "
            f"C.C.={sum(r['m_cc'] for r in scored) / n:.1%}  "
            f"S.S.={sum(r['m_ss'] for r in scored) / n:.1%}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
