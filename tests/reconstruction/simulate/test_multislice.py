import numpy as np
import pytest

from reconstruction.simulate.config import ImagingConfig
from reconstruction.simulate.fast import simulate_fast
from tests.reconstruction.simulate.helpers import carbon


@pytest.mark.slow
def test_it_agrees_with_the_fast_model_on_a_rotated_graphene_cell():
    pytest.importorskip("abtem")
    from reconstruction.simulate.multislice import simulate_full

    config = ImagingConfig(
        shape_px=(96, 96), scan_step_A=0.2, rotation_deg=20.0, dose_e_per_A2=None
    )
    full = simulate_full(carbon(), config)
    fast = simulate_fast(carbon(), config)
    assert np.corrcoef(full.clean.ravel(), fast.clean.ravel())[0, 1] > 0.9
    np.testing.assert_allclose(full.columns_xy_px, fast.columns_xy_px)


def test_a_scan_step_coarser_than_the_probe_band_limit_is_refused():
    pytest.importorskip("abtem")
    from reconstruction.simulate.cell import orthogonal_cell
    from reconstruction.simulate.config import SimulationError
    from reconstruction.simulate.multislice import full_signals

    config = ImagingConfig(shape_px=(32, 32), scan_step_A=0.3)
    with pytest.raises(SimulationError, match="undersamples the probe"):
        full_signals(orthogonal_cell(carbon()), config)


@pytest.mark.slow
def test_views_of_one_scan_are_the_images_of_separate_simulations():
    """The unrotated companion shares the rotated image's multislice, not its detector."""
    pytest.importorskip("abtem")
    from reconstruction.simulate.multislice import simulate_full, simulate_full_views

    rotated = ImagingConfig(shape_px=(64, 64), scan_step_A=0.2, rotation_deg=20.0, seed=3)
    upright = ImagingConfig(shape_px=(64, 64), scan_step_A=0.2, rotation_deg=0.0, seed=3)
    views = simulate_full_views(carbon(), [rotated, upright])
    for view, config in zip(views, (rotated, upright), strict=True):
        alone = simulate_full(carbon(), config)
        np.testing.assert_allclose(view.image, alone.image, rtol=1e-5, atol=1e-6)
    assert not np.allclose(views[0].clean, views[1].clean)


def test_views_of_one_scan_must_share_the_optics():
    from reconstruction.simulate.multislice import simulate_full_views

    with pytest.raises(ValueError, match="defocus_A"):
        simulate_full_views(
            carbon(), [ImagingConfig(), ImagingConfig(rotation_deg=10.0, defocus_A=50.0)]
        )
