"""Markdown tables from oracle summaries.

Run as ``python -m reconstruction.energy.report docs/benchmarks/energy_oracle_*.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _mev(value: float | None) -> str:
    return "–" if value is None else f"{1000 * value:.0f}"


def _cell(stats: dict[str, Any]) -> str:
    return f"{_mev(stats.get('mae_eV_per_atom'))} ({stats.get('n', 0)})"


def mae_table(summaries: list[dict[str, Any]]) -> str:
    """One row per model and scheme: MAE [meV/atom] (n) overall, per source, per tier."""
    all_stats = [v for m in summaries for v in m["schemes"].values()]
    sources = sorted({s for v in all_stats for s in v["by_source"]})
    present = {t for v in all_stats for t in v["by_tier"]}
    tiers = [t for t in ("unary", "binary", "ternary", "quaternary+") if t in present]
    head = ["model", "scheme", "all", *sources, *tiers, "mean error"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for summary in summaries:
        for scheme, stats in summary["schemes"].items():
            cells = [summary["model"], scheme, _cell(stats)]
            cells += [_cell(stats["by_source"].get(s, {})) for s in sources]
            cells += [_cell(stats["by_tier"].get(t, {})) for t in tiers]
            cells.append(_mev(stats.get("mean_error_eV_per_atom")))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def timing_table(summaries: list[dict[str, Any]]) -> str:
    """Relaxation wall time per structure [s] per model, all cells and cells of <= 12 atoms."""
    head = ["model", "structures", "failed", "converged", "mean steps", "mean s", "median s",
            "p90 s", "max s", "<=12 atoms: mean s", "median s", "p90 s", "max s"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in summaries:
        t, a, small = s["timing"], s["timing"]["all"], s["timing"]["le_12_atoms"]
        cells = [s["model"], s["n_structures"], s["n_failed"], t["converged"], t["mean_steps"]]
        cells += [a.get(k) for k in ("mean_s", "median_s", "p90_s", "max_s")]
        cells += [small.get(k) for k in ("mean_s", "median_s", "p90_s", "max_s")]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print both tables for the summary files given as arguments."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    summaries = [json.loads(p.read_text()) for p in paths]
    print(mae_table(summaries), end="\n\n")
    print(timing_table(summaries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
