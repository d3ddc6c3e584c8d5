"""Reducing a stack of frames (a time series of one field of view) to one image.

Choices, as people type them:

``"sum"``
    The *mean* of the frames (not their sum), so intensities stay in the range of one
    frame; as a float32 image it carries the same information as the sum.
``"align"``
    Align-and-average: each frame is registered by cross-correlation with sub-pixel
    precision (first to the frame before it, then to the mean of that first alignment,
    which is far less noisy), shifted (cubic spline, edges extended) and averaged. The
    result is in the coordinates of frame 0. Corrects rigid drift only (no scan
    distortion); see :func:`align_frames`.
``"frame:<i>"``
    Frame ``i`` alone, counted from 0.
"""

from __future__ import annotations

import numpy as np

from .errors import StackChoiceRequired, UnknownSignal

#: How to say what the choices are, in error messages.
STACK_CHOICES_TEXT = "sum, align or frame:<i>"


def parse_stack_choice(mode: str, n_frames: int) -> str | int:
    """Check a stack choice before any pixel is read.

    Parameters
    ----------
    mode : str
        ``"sum"``, ``"align"`` or ``"frame:<i>"`` (case and spaces ignored).
    n_frames : int
        Number of frames in the stack.

    Returns
    -------
    str or int
        ``"sum"``, ``"align"``, or the frame index.

    Raises
    ------
    StackChoiceRequired
        ``mode`` is none of the choices.
    UnknownSignal
        ``frame:<i>`` names a frame the stack does not have.
    """
    text = str(mode).strip().lower().replace(" ", "")
    if text in ("sum", "align"):
        return text
    prefix, _, number = text.partition(":")
    if prefix != "frame" or not number.isdigit():
        raise StackChoiceRequired(
            f"unknown stack choice {mode!r}; choose {STACK_CHOICES_TEXT} (e.g. frame:0)"
        )
    index = int(number)
    if index >= n_frames:
        raise UnknownSignal(
            f"frame {index} does not exist: this stack has {n_frames} frames, "
            f"frame:0 to frame:{n_frames - 1}"
        )
    return index


def reduce_stack(frames: np.ndarray, mode: str) -> np.ndarray:
    """Turn a stack of frames into one image.

    Parameters
    ----------
    frames : np.ndarray
        Frames of shape (n, ny, nx), any real dtype.
    mode : str
        ``"sum"`` (mean of the frames), ``"align"`` (align-and-average) or
        ``"frame:<i>"``; see the module docstring.

    Returns
    -------
    np.ndarray
        float32 image of shape (ny, nx), in the intensity units of one frame.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n, ny, nx), got {frames.shape}")
    choice = parse_stack_choice(mode, frames.shape[0])
    if isinstance(choice, int):
        return frames[choice].astype(np.float32)
    if choice == "sum":
        return np.mean(frames, axis=0, dtype=np.float64).astype(np.float32)
    image, _ = align_frames(frames)
    return image


def align_frames(
    frames: np.ndarray,
    *,
    upsample_factor: int = 20,
    max_step_px: float = 8.0,
    refinements: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Register every frame to frame 0 and average them (rigid drift correction).

    Pass 1 registers each frame to the one before it and adds up the steps, so drift
    may grow large over the series. Each refinement registers every frame to the mean
    of the *other* frames (a frame in its own reference is pulled to stay put).

    A lattice correlates with itself at every lattice vector, so the global maximum of
    the cross-correlation (what ``skimage.registration.phase_cross_correlation`` takes)
    can be a whole column off. Here a Gaussian weight around the expected shift picks
    the integer peak; the peak is then refined, unweighted, by a matrix-multiply DFT on
    a ``1 / upsample_factor`` px grid (Guizar-Sicairos et al. 2008).

    Parameters
    ----------
    frames : np.ndarray
        Frames of shape (n, ny, nx).
    upsample_factor : int
        Registration precision is ``1 / upsample_factor`` [px].
    max_step_px : float
        Typical drift between consecutive frames [px]: the width of the weight.
        Steps of more than about half a lattice spacing need a larger value.
    refinements : int
        Number of passes against the mean of the other frames.

    Returns
    -------
    image : np.ndarray
        float32 mean of the aligned frames, shape (ny, nx), in frame 0's coordinates.
    shifts : np.ndarray
        Shift (dy, dx) applied to each frame [px], shape (n, 2); ``shifts[0]`` is 0.

    References
    ----------
    M. Guizar-Sicairos, S. T. Thurman, J. R. Fienup, "Efficient subpixel image
    registration algorithms", Opt. Lett. 33, 156 (2008).
    """
    stack = np.asarray(frames)  # frames are converted one at a time: a stack can be large
    n = stack.shape[0]
    if n == 1:
        return stack[0].astype(np.float32), np.zeros((1, 2))
    match = _Correlator(stack.shape[1:], width_px=max_step_px, upsample_factor=upsample_factor)
    shifts = np.zeros((n, 2))
    previous = match.spectrum(stack[0])
    for i in range(1, n):
        current = match.spectrum(stack[i])
        shifts[i] = shifts[i - 1] + match.shift(previous, current, (0.0, 0.0))
        previous = current
    for _ in range(refinements):
        total = _shifted_sum(stack, shifts)
        refined = np.empty_like(shifts)
        for i in range(n):
            # Leave the frame out of its own reference: its noise would pull it to stay put.
            others = match.spectrum((total - _shift(stack[i], shifts[i])) / (n - 1))
            expected = (shifts[i, 0], shifts[i, 1])
            refined[i] = match.shift(others, match.spectrum(stack[i]), expected)
        shifts = refined - refined[0]  # frame 0 stays where it is
    return (_shifted_sum(stack, shifts) / n).astype(np.float32), shifts


class _Correlator:
    """Windowed cross-correlation of frames of one shape, peak picked near a guess."""

    def __init__(self, shape: tuple[int, ...], *, width_px: float, upsample_factor: int):
        ny, nx = shape
        # A window keeps the image borders, which do not wrap around, out of the
        # correlation. It also tapers the correlation by its own autocorrelation, which
        # would pull every peak towards zero shift; dividing by that envelope undoes it.
        self.window = np.outer(np.hanning(ny), np.hanning(nx))
        self.window_power = np.abs(np.fft.fft2(self.window)) ** 2
        self.envelope = np.fft.ifft2(self.window_power).real
        self.lag_y, self.lag_x = np.fft.fftfreq(ny) * ny, np.fft.fftfreq(nx) * nx
        self.width_px = width_px
        self.offsets = np.arange(-upsample_factor, upsample_factor + 1) / upsample_factor

    def spectrum(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, dtype=np.float64)
        return np.fft.fft2((image - image.mean()) * self.window)

    def shift(
        self, reference: np.ndarray, moving: np.ndarray, expected: tuple[float, float]
    ) -> np.ndarray:
        """Shift (dy, dx) [px] that moves ``moving`` onto ``reference`` (both spectra)."""
        product = reference * moving.conj()
        correlation = self._normalised(np.fft.ifft2(product).real, self.envelope)
        dy2 = (self.lag_y[:, None] - expected[0]) ** 2
        dx2 = (self.lag_x[None, :] - expected[1]) ** 2
        weight = np.exp(-(dy2 + dx2) / (2 * self.width_px**2))
        score = (correlation - correlation.min()) * weight
        iy, ix = np.unravel_index(np.argmax(score), score.shape)
        # The correlation at fractional lags near that peak, by a small matrix DFT.
        ys, xs = self.lag_y[iy] + self.offsets, self.lag_x[ix] + self.offsets
        rows = np.exp(2j * np.pi * np.outer(ys, np.fft.fftfreq(len(self.lag_y))))
        cols = np.exp(2j * np.pi * np.outer(np.fft.fftfreq(len(self.lag_x)), xs))
        fine = self._normalised(
            (rows @ product @ cols).real, (rows @ self.window_power @ cols).real
        )
        jy, jx = np.unravel_index(np.argmax(fine), fine.shape)
        return np.array([ys[jy], xs[jx]])

    @staticmethod
    def _normalised(correlation: np.ndarray, envelope: np.ndarray) -> np.ndarray:
        # Far lags overlap little; the floor keeps their division from blowing up noise.
        return correlation / np.maximum(envelope, 0.05 * envelope.max())


def _shift(frame: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``frame`` moved by ``shift`` (dy, dx) [px]: cubic spline, edges extended."""
    from scipy import ndimage

    return ndimage.shift(np.asarray(frame, dtype=np.float64), shift, order=3, mode="nearest")


def _shifted_sum(stack: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    total = np.zeros(stack.shape[1:], dtype=np.float64)
    for frame, shift in zip(stack, shifts, strict=True):
        total += _shift(frame, shift)
    return total
