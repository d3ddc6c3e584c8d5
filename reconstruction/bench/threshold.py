"""How far may a template be and still be used? C.C./S.S. against the prior's threshold.

    python -m reconstruction.bench.threshold STRICT_RUN PERMISSIVE_RUN [--held STRICT PERMISSIVE]
        [--thresholds 0.02,0.03,0.05]

``STRICT_RUN`` and ``PERMISSIVE_RUN`` are ``automat bench run --templates`` results of the
same data set at a low threshold T0 (the default) and a high one T1
(``--template-max-distance``, or ``--template-rdf-max-distance`` for the histogram's
second opinion: a template's distance is that of the descriptor that ranked it), both
already scored (``bench score``). For any T between,
a sample's outcome is the permissive run's when its template was used there at a distance
of at most T, else the strict run's. Prints one JSON line per threshold: C.C. and S.S.
per tier and overall, with the library and (``--held``) with each sample's own structure
left out — the threshold is safe while the held-out numbers do not fall.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

THRESHOLDS = (0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def _outcomes(run: Path) -> dict[str, dict]:
    from reconstruction.bench.compare import offered_prior

    scores = json.loads((run / "scores.json").read_text())
    out = {}
    for row in scores["samples"]:
        result = json.loads((run / row["sample_id"] / "result.json").read_text())
        template = offered_prior(result) or {}
        out[row["sample_id"]] = {
            "tier": row["tier"],
            "cc": bool(row["composition_correct"]),
            "ss": bool(row["structure_success"]),
            "used": bool(template.get("accepted")),
            "distance": template.get("distance"),
        }
    return out


def curve(strict: Path, permissive: Path, thresholds=THRESHOLDS) -> list[dict]:
    """C.C./S.S. (%) per tier and overall at each threshold."""
    low, high = _outcomes(strict), _outcomes(permissive)
    rows = []
    for t in thresholds:
        tally: dict[str, list[int]] = {}
        for sid, base in low.items():
            alt = high[sid]
            near = alt["distance"] is not None and alt["distance"] <= t
            pick = alt if alt["used"] and near else base
            for key in (str(base["tier"]), "all"):
                n, cc, ss = tally.get(key, [0, 0, 0])
                tally[key] = [n + 1, cc + pick["cc"], ss + pick["ss"]]
        rows.append({
            "threshold": t,
            **{k: {"n": n, "cc": round(100 * cc / n, 1), "ss": round(100 * ss / n, 1)}
               for k, (n, cc, ss) in sorted(tally.items())},
        })  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("strict", type=Path)
    parser.add_argument("permissive", type=Path)
    parser.add_argument("--held", nargs=2, type=Path, metavar=("STRICT", "PERMISSIVE"))
    parser.add_argument("--thresholds", default=",".join(map(str, THRESHOLDS)),
                        help="comma-separated thresholds to tabulate")  # fmt: skip
    args = parser.parse_args(argv)
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    lib = curve(args.strict, args.permissive, thresholds)
    held = curve(*args.held, thresholds) if args.held else [None] * len(lib)
    for a, b in zip(lib, held, strict=True):
        print(json.dumps({"threshold": a["threshold"], "library": a,
                          "held_out": b}), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
