import dataclasses

import numpy as np
import pytest

from reconstruction.simulate.config import ImagingConfig
from reconstruction.simulate.fast import simulate_fast
from tests.reconstruction.simulate.helpers import GRAPHENE_A, MOS2_A, carbon, mos2, values_at

SMALL = ImagingConfig(shape_px=(96, 96), pixel_size_A=0.1, dose_e_per_A2=None)


@pytest.mark.parametrize(("mode", "sign"), [("idpc", 1), ("haadf", 1), ("abf", -1)])
def test_it_shows_columns_bright_in_idpc_and_haadf_and_dark_in_abf(mode, sign):
    result = simulate_fast(mos2(), dataclasses.replace(SMALL, mode=mode, rotation_deg=11.0))
    clean = result.clean
    at_columns = values_at(clean, result.columns_xy_px)
    assert len(at_columns) > 12
    assert np.all(sign * (at_columns - clean.mean()) > 0.5 * clean.std())


def test_it_puts_the_haadf_maxima_on_the_metal_columns():
    result = simulate_fast(mos2(), dataclasses.replace(SMALL, mode="haadf", rotation_deg=-7.0))
    metal = np.array([s == "Mo" for s in result.column_species])
    for x, y in result.columns_xy_px[metal]:
        r, c = round(y), round(x)
        if 3 <= r < 93 and 3 <= c < 93:
            window = result.clean[r - 3 : r + 4, c - 3 : c + 4]
            dr, dc = np.unravel_index(np.argmax(window), window.shape)
            assert np.hypot(r - 3 + dr - y, c - 3 + dc - x) <= 0.75


def _peak_frequency(image: np.ndarray, pixel_size_A: float, k_max: float) -> tuple[float, float]:
    """|k| [1/Å] and angle [deg] of the strongest peak of a 4x zero-padded FFT below k_max."""
    window = np.outer(np.hanning(image.shape[0]), np.hanning(image.shape[1]))
    n = 4 * max(image.shape)
    power = np.abs(np.fft.fft2((image - image.mean()) * window, s=(n, n)))
    k = np.fft.fftfreq(n, pixel_size_A)
    k_abs = np.hypot(*np.meshgrid(k, k, indexing="ij"))
    power[(k_abs < 0.5 * k_max) | (k_abs > k_max)] = 0
    row, col = np.unravel_index(np.argmax(power), power.shape)
    # centroid of the peak (+-4 padded bins) for sub-bin precision
    rows, cols = np.arange(row - 4, row + 5) % n, np.arange(col - 4, col + 5) % n
    patch = power[np.ix_(rows, cols)]
    ky = np.sum(patch.sum(axis=1) * (k[row] + (np.arange(9) - 4) / (n * pixel_size_A)))
    kx = np.sum(patch.sum(axis=0) * (k[col] + (np.arange(9) - 4) / (n * pixel_size_A)))
    ky, kx = ky / patch.sum(), kx / patch.sum()
    return float(np.hypot(kx, ky)), float(np.degrees(np.arctan2(ky, kx)))


@pytest.mark.parametrize(("make", "a", "theta"), [(mos2, MOS2_A, 17.0), (carbon, GRAPHENE_A, 41.0)])
def test_it_measures_the_lattice_period_of_rotated_specimens(make, a, theta):
    config = dataclasses.replace(SMALL, mode="haadf", shape_px=(160, 160), rotation_deg=theta)
    result = simulate_fast(make(), config)
    d100 = a * np.sqrt(3) / 2  # the (110) spots at 1 / (a / 2) are excluded by k_max
    k, angle = _peak_frequency(result.clean, config.pixel_size_A, k_max=1.4 / d100)
    period_px = 1 / (k * config.pixel_size_A)
    assert abs(period_px - d100 / config.pixel_size_A) < 0.01 * period_px
    # first-order spots of a hexagonal lattice sit at theta + 30 deg + n * 60 deg
    assert abs((angle - theta - 30 + 30) % 60 - 30) < 1.0


@pytest.mark.parametrize("mode", ["idpc", "haadf", "abf"])
def test_it_lowers_the_noise_as_the_dose_rises(mode):
    noise = []
    for dose in (1e3, 1e4, 1e5):
        config = dataclasses.replace(SMALL, mode=mode, dose_e_per_A2=dose, seed=3)
        result = simulate_fast(mos2(), config)
        noise.append(np.var(result.image - result.clean))
    assert noise[0] > noise[1] > noise[2]
    assert 7 < noise[0] / noise[1] < 13 and 7 < noise[1] / noise[2] < 13  # Poisson: 1 / dose


def test_it_gives_idpc_noise_that_rises_at_low_frequency():
    config = dataclasses.replace(SMALL, shape_px=(128, 128), dose_e_per_A2=1e4)
    spectra = []
    for seed in range(4):
        result = simulate_fast(mos2(), dataclasses.replace(config, seed=seed))
        spectra.append(np.abs(np.fft.fft2(result.image - result.clean)) ** 2)
    power = np.mean(spectra, axis=0)
    k = np.hypot(*np.meshgrid(*(np.fft.fftfreq(128, 0.1),) * 2, indexing="ij"))
    low = power[(k > 0.1) & (k < 0.2)].mean() * (0.15**2)
    high = power[(k > 1.0) & (k < 2.0)].mean() * (1.5**2)
    assert 0.5 < low / high < 2.0  # k^2 * PSD is flat: PSD ~ 1 / k^2


def test_it_reproduces_an_image_from_its_seed():
    config = dataclasses.replace(SMALL, dose_e_per_A2=1e4, scan_jitter_A=0.05, seed=11)
    first = simulate_fast(mos2(), config).image
    np.testing.assert_array_equal(first, simulate_fast(mos2(), config).image)
    other = simulate_fast(mos2(), dataclasses.replace(config, seed=12)).image
    assert not np.array_equal(first, other)


def test_it_tiles_the_periodic_cell_seamlessly():
    pixel = MOS2_A / 16  # one lattice vector a is exactly 16 pixels
    config = dataclasses.replace(SMALL, mode="haadf", shape_px=(97, 131), pixel_size_A=pixel)
    clean = simulate_fast(mos2(), config).clean.astype(float)
    shifted = clean[:, 16:] - clean[:, :-16]
    assert np.abs(shifted).max() < 1e-4 * np.ptp(clean)


def test_it_only_changes_the_noisy_image_with_scan_jitter():
    config = dataclasses.replace(SMALL, mode="haadf", scan_jitter_A=0.1)
    result = simulate_fast(mos2(), config)
    assert np.abs(result.image - result.clean).max() > 0.05 * np.ptp(result.clean)
    still = simulate_fast(mos2(), dataclasses.replace(config, scan_jitter_A=0.0))
    np.testing.assert_array_equal(still.image, still.clean)


def test_it_blurs_the_image_with_the_source_size():
    sharp = simulate_fast(mos2(), dataclasses.replace(SMALL, mode="haadf")).clean
    blurred = simulate_fast(mos2(), dataclasses.replace(SMALL, mode="haadf", source_size_A=0.8))
    assert blurred.clean.std() < 0.8 * sharp.std()
    assert abs(blurred.clean.mean() - sharp.mean()) < 0.02 * sharp.mean()
