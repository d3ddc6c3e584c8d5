"""Fixtures of the run tests: a simulated MoS2 micrograph, uploaded as a ready sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

PIXEL_SIZE_A = 0.1


def simulated_mos2_tiff(path: Path, *, size: int = 192, seed: int = 7) -> Path:
    """A fast-simulated iDPC micrograph of MoS2 (c2dm-MoS2-H of ../shared/data when present,
    else ASE's 2H MoS2) as a float32 TIFF with its calibration."""
    from reconstruction.simulate import ImagingConfig, simulate_fast

    config = ImagingConfig(
        mode="idpc",
        dose_e_per_A2=3e4,
        pixel_size_A=PIXEL_SIZE_A,
        shape_px=(size, size),
        seed=seed,
    )
    image = simulate_fast(mos2(), config).image
    tifffile.imwrite(
        path,
        np.asarray(image, dtype=np.float32),
        imagej=True,
        resolution=(1 / PIXEL_SIZE_A, 1 / PIXEL_SIZE_A),
        metadata={"unit": "angstrom"},
    )
    return path


def mos2():
    from reconstruction.data import monolayer

    try:
        return monolayer("c2dm-MoS2-H")
    except (FileNotFoundError, KeyError):
        from ase.build import mx2

        atoms = mx2(formula="MoS2", kind="2H", a=3.184, thickness=3.13, vacuum=10.0)
        atoms.pbc = True
        return atoms


def upload(path: Path, owner, group, *, elements: str = "Mo,S", name: str = "MoS2"):
    from automat_web.samples.services import ingest_upload

    return ingest_upload(
        path=path, filename=path.name, owner=owner, group=group, name=name, elements=elements
    ).sample


@pytest.fixture
def mos2_tiff(tmp_path: Path) -> Path:
    return simulated_mos2_tiff(tmp_path / "mos2.tif")
