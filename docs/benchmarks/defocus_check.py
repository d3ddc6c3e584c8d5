"""Fast against full multislice at defocus -20, 0 and +20 Å (MoS2 2H, 23° rotation, clean
iDPC and HAADF images; one multislice scan per defocus records both detectors).

    nice -n 10 .venv/bin/python docs/benchmarks/defocus_check.py docs/benchmarks/defocus_check.json

Per row: the correlation of the clean images, the least-squares factor ``full ≈ s · fast + c``
and each image's standard deviation (its contrast). The source size is left at 0: it is the
same exact Gaussian convolution in both simulators (``render.blur_source``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from reconstruction.bench.simulator import correlation, fit_scale, load_structures
from reconstruction.simulate.config import ImagingConfig
from reconstruction.simulate.fast import simulate_fast
from reconstruction.simulate.multislice import simulate_full_views


def main(out: Path) -> None:
    atoms = load_structures(["c2dm-MoS2-H"])["c2dm-MoS2-H"]
    rows = []
    for defocus in (0.0, 20.0, -20.0):
        base = ImagingConfig(shape_px=(256, 256), pixel_size_A=0.1, dose_e_per_A2=None, seed=7,
                             rotation_deg=23.0, defocus_A=defocus)  # fmt: skip
        configs = [dataclasses.replace(base, mode=m) for m in ("idpc", "haadf")]
        start = time.perf_counter()
        full = simulate_full_views(atoms, configs)
        full_s = round(time.perf_counter() - start, 1)
        for config, result in zip(configs, full, strict=True):
            fast, ms = simulate_fast(atoms, config).clean.astype(float), result.clean.astype(float)
            row = {
                "defocus_A": defocus, "mode": config.mode, "corr": round(correlation(fast, ms), 4),
                "scale": round(fit_scale(fast, ms)[0], 3), "std_fast": float(fast.std()),
                "std_full": float(ms.std()), "full_s": full_s,
            }  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
