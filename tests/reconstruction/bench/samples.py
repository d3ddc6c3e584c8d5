"""One sample of a benchmark set rebuilt from its spec, for tests that pin a measured case."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def benchmark_sample(tmp_path: Path, **spec):
    """Build the sample (iDPC, fast simulator, 0.1 Å/px unless ``spec`` says otherwise)
    into ``tmp_path``: (image as float array, truth as ase.Atoms)."""
    from ase.io import read

    from reconstruction.bench.build import build_sample
    from reconstruction.bench.dataset import SampleSpec
    from reconstruction.io import read_micrograph

    spec = SampleSpec(**{"pixel_size_A": 0.1, "mode": "idpc", "simulator": "fast", **spec})
    build_sample(spec, tmp_path)
    folder = tmp_path / spec.sample_id
    data = np.asarray(read_micrograph(folder / "image.tif").data, float)
    return data, read(folder / "truth.cif")
