"""The check compares the structure with the image, not the scan's distortion.

A real HAADF scan of MoS2 (tests/real) shows its hexagonal lattice as 3.10 x 3.18 Å at
117.2°. Simulated on the ideal cell, the structure's columns drift off the image's across
the 130 Å field and the check scored 0.50 for the right structure. The check now
stretches the image back onto the structure's cell first (``scan_correction``).
"""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.agent.tools.check import _bandpass, scan_correction, undistort
from reconstruction.data import monolayer
from reconstruction.detection.lattice import Lattice2D, find_lattice
from reconstruction.simulate import ImagingConfig, simulate_fast

PX = 0.1
#: A scan stretching x by 2 % and shearing by about 3°.
SCAN = np.array([[1.02, 0.027], [0.027, 0.99]])


def _lattice(image: np.ndarray) -> Lattice2D:
    basis = find_lattice(_bandpass(image, PX, "haadf"), pixel_size_A=PX)
    return Lattice2D.from_basis(basis, PX)


@pytest.fixture(scope="module")
def scanned():
    mos2 = monolayer("c2dm-MoS2-H")
    config = ImagingConfig(mode="haadf", dose_e_per_A2=None, pixel_size_A=PX,
                           shape_px=(320, 320), rotation_deg=17.0)  # fmt: skip
    clean = simulate_fast(mos2, config).clean.astype(float)
    distorted, _ = undistort(clean, SCAN)  # the scan applied to the ideal image
    return mos2, distorted


def test_the_scan_is_measured_and_undone(scanned):
    mos2, distorted = scanned
    seen = _lattice(distorted)
    assert abs(seen.gamma_deg - 120.0) > 1.5 or abs(seen.a_A / seen.b_A - 1) > 0.015
    stretch = scan_correction(mos2, seen.basis, PX)
    assert stretch is not None
    np.testing.assert_allclose(stretch @ SCAN, np.eye(2), atol=0.01)
    restored, inside = undistort(distorted, stretch)
    assert inside.mean() > 0.9
    back = _lattice(restored)
    a = mos2.cell.cellpar()[0]
    assert back.a_A == pytest.approx(a, rel=0.005) and back.b_A == pytest.approx(a, rel=0.005)
    assert back.gamma_deg == pytest.approx(120.0, abs=0.3)


def test_a_stretch_within_the_tolerance_is_undone_and_a_supercell_is_not(scanned):
    # Lengths are the scale check's business (4 %); the check only undoes what a scan can
    # do to the metric (10 %), and never maps a structure onto a multiple of its cell.
    mos2, _ = scanned
    wse2_like = np.array([[33.0, -16.5], [0.0, 28.58]])  # 3.30 Å hexagonal, 6 % longer
    assert scan_correction(mos2, wse2_like, PX, tolerance=0.1) is not None  # within 10 %
    supercell = 2 * np.array([[31.8, -15.9], [0.0, 27.54]])
    assert scan_correction(mos2, supercell, PX) is None
