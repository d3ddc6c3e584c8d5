import numpy as np

from reconstruction.detection.peaks import bandpass, local_maxima, refine_positions


def _gaussians(xy: np.ndarray, shape=(128, 128), sigma=2.0) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    image = np.zeros(shape)
    for cx, cy in xy:
        image += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
    return image


def test_it_refines_columns_to_sub_pixel_precision():
    rng = np.random.default_rng(1)
    grid = np.array([[x, y] for x in range(20, 110, 22) for y in range(20, 110, 22)], float)
    truth = grid + rng.uniform(-0.5, 0.5, size=grid.shape)
    image = _gaussians(truth)
    start = np.round(truth) + rng.uniform(-1, 1, size=truth.shape)
    refined, peak = refine_positions(image, start, pixel_size_A=0.1, radius_A=0.3, smooth_A=0)
    assert np.abs(refined - truth).max() < 0.1
    assert np.all(peak > 0.8)


def test_it_inverts_abf_so_that_columns_are_bright():
    truth = np.array([[40.0, 50.0], [90.0, 70.0]])
    dark = 1.0 - _gaussians(truth)
    filtered = bandpass(dark, pixel_size_A=0.1, mode="abf")
    maxima = local_maxima(filtered, pixel_size_A=0.1, threshold=0.5 * filtered.max())
    assert sorted(map(tuple, maxima.tolist())) == [(40, 50), (90, 70)]


def test_it_removes_a_smooth_background():
    y, x = np.mgrid[0:128, 0:128]
    background = 5.0 * np.sin(x / 40.0) + 3.0 * y / 128
    image = _gaussians(np.array([[64.0, 64.0]])) + background
    filtered = bandpass(image, pixel_size_A=0.1)
    assert np.unravel_index(np.argmax(filtered), filtered.shape) == (64, 64)
