"""Oracle benchmark: DFT truth structures -> relax -> formation energy -> MAE vs DFT.

Run as::

    nice -n 10 .venv/bin/python -m reconstruction.bench.energy_oracle --model chgnet-0.3.0 \\
        --limit 300 --out docs/benchmarks/energy_oracle_chgnet-0.3.0.json

Structures come from the evaluation half of the fixed id-hash split (never used to fit
references), in hash order, so any prefix is an unbiased sample. Each relaxation is appended
to a JSONL file as soon as it finishes; a rerun skips the ids already there (resumable).
The summary scores every finished structure under each reference scheme.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconstruction.energy.dataset import load_labelled, tier_of

DEFAULT_CACHE = Path("var") / "energy_refs"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file (a missing file has none; a torn last line is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def relax_record(atoms: Any, calc: Any, **relax_kwargs: Any) -> dict[str, Any]:
    """Relax one truth structure and return its JSONL record (raw energies, no references)."""
    from reconstruction.energy.relax import relax_2d

    result = relax_2d(atoms, calc, **relax_kwargs)
    info = atoms.info
    return {
        "id": str(info["id"]),
        "formula": str(info["formula"]),
        "source": str(info["e_form_source"]),
        "tier": tier_of(int(info["n_elements"])),
        "n_atoms": len(atoms),
        "symbols": atoms.get_chemical_symbols(),
        "e_form_dft_eV_per_atom": float(info["e_form_pbe"]),
        "model": result.model,
        "converged": result.converged,
        "stop_reason": result.stop_reason,
        "steps": result.steps,
        "time_s": round(result.time_s, 3),
        "energy_eV_per_atom": result.energy_eV_per_atom,
        "initial_energy_eV_per_atom": (
            None if result.initial_energy_eV is None else result.initial_energy_eV / len(atoms)
        ),
        "failure": result.failure,
        "relaxed_structure": result.structure,
    }


def run_relaxations(
    model: str,
    jsonl: Path,
    *,
    limit: int | None,
    split: str = "eval",
    device: str | None = None,
    max_wall_s: float | None = None,
    relax_kwargs: dict[str, Any] | None = None,
) -> int:
    """Relax structures of one split not yet in ``jsonl``; return how many were added."""
    from reconstruction.energy.backends import get_calculator

    done = {r["id"] for r in read_jsonl(jsonl)}
    todo = [a for a in load_labelled(split)[:limit] if str(a.info["id"]) not in done]
    if not todo:
        return 0
    calc = get_calculator(model, device)
    start, added = time.perf_counter(), 0
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    for atoms in todo:
        if max_wall_s is not None and time.perf_counter() - start > max_wall_s:
            break
        record = relax_record(atoms, calc, **(relax_kwargs or {}))
        with jsonl.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        added += 1
        print(
            f"[{len(done) + added}] {record['id']} {record['formula']} {record['stop_reason']} "
            f"{record['time_s']:.1f}s",
            flush=True,
        )
    return added


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m reconstruction.bench.energy_oracle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True)
    p.add_argument("--limit", type=int, default=None, help="first N evaluation structures")
    p.add_argument("--out", type=Path, required=True, help="summary JSON")
    p.add_argument(
        "--jsonl", type=Path, default=None, help="per-structure log (default: --out with .jsonl)"
    )
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="reference cache")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--max-wall-s", type=float, default=None, help="stop relaxing after this")
    p.add_argument("--fmax", type=float, default=0.05)
    p.add_argument("--max-steps", type=int, default=300)
    p.add_argument("--max-time-s", type=float, default=60.0, help="per-structure budget")
    p.add_argument("--phase", choices=("all", "relax", "summary"), default="all")
    p.add_argument(
        "--split", choices=("eval", "train"), default="eval",
        help="train: relax the training half (for fitted_relaxed references), no summary",
    )  # fmt: skip
    p.add_argument(
        "--train-jsonl", type=Path, default=None,
        help="relaxed training records; adds the fitted_relaxed scheme to the summary",
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    import torch

    args = _parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    jsonl = args.jsonl or args.out.with_suffix(".jsonl")
    if args.phase in ("all", "relax"):
        relax_kwargs = {
            "fmax": args.fmax,
            "max_steps": args.max_steps,
            "max_time_s": args.max_time_s,
        }
        run_relaxations(
            args.model,
            jsonl,
            limit=args.limit,
            split=args.split,
            device=args.device,
            max_wall_s=args.max_wall_s,
            relax_kwargs=relax_kwargs,
        )
    if args.phase in ("all", "summary") and args.split == "eval":
        from reconstruction.bench.energy_scoring import summarize

        train = read_jsonl(args.train_jsonl) if args.train_jsonl else None
        summary = summarize(
            args.model,
            read_jsonl(jsonl),
            cache_dir=args.cache_dir,
            device=args.device,
            train_records=train,
        )
        summary["command"] = "python -m reconstruction.bench.energy_oracle " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        summary["date"] = datetime.now(UTC).isoformat(timespec="seconds")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
