"""Imaging conditions and simulation results for simulated STEM micrographs.

Both simulators (:mod:`.multislice`, full abTEM multislice, and :mod:`.fast`, projected
potential convolved with the probe) take an :class:`ImagingConfig` and return a
:class:`SimulationResult`. Image arrays are indexed ``[row, col]``; in-plane coordinates are
``x`` along columns and ``y`` along rows, in Å or in pixels (``x_px = col``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from reconstruction.errors import ScienceError
from reconstruction.records import check_keys

MODES = ("idpc", "haadf", "abf")


class SimulationError(ScienceError, ValueError):
    """The simulation cannot be run as asked (bad condition, unsupported structure)."""


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise SimulationError(f"{name} must be a finite number {bound}, got {value!r}")


def _check_annulus(name: str, value: tuple[float, float]) -> None:
    if len(value) != 2 or not 0 <= value[0] < value[1]:
        raise SimulationError(
            f"{name} must be (inner, outer) with 0 <= inner < outer, got {value!r}"
        )


@dataclass(frozen=True)
class ImagingConfig:
    """Imaging conditions of one simulated STEM micrograph.

    Parameters
    ----------
    mode : str
        ``"idpc"`` (4-segment detector, Fourier-integrated DPC), ``"haadf"`` or ``"abf"``.
    dose_e_per_A2 : float or None
        Electron dose [e/Å²]; ``None`` gives a noise-free image. Electrons per pixel are
        ``dose * pixel_size_A**2``.
    pixel_size_A : float
        Pixel size of the output image [Å].
    shape_px : tuple of int
        Field of view (rows, cols) [px].
    rotation_deg : float
        In-plane rotation of the specimen relative to the scan [deg]: the lattice vector
        ``a`` appears at this angle from +x towards +y in the image.
    defocus_A : float
        Probe defocus [Å] (abTEM convention, ``defocus = -C10``).
    source_size_A : float
        FWHM of the Gaussian effective source (incoherent blur) [Å].
    scan_jitter_A : float
        Standard deviation of a random shift of each scan line along x [Å]; 0 disables it.
    seed : int
        Seed of every random draw (noise, jitter).
    energy_eV : float
        Beam energy [eV].
    semiangle_mrad : float
        Probe-forming semi-angle [mrad].
    segment_mrad, haadf_mrad, abf_mrad : tuple of float
        (inner, outer) collection angles of the segmented, HAADF and ABF detectors [mrad].
    scan_step_A : float
        Scan step of the one-cell multislice scan [Å] (full simulator only). A STEM signal
        is band-limited to twice the aperture's spatial frequency, 2α/λ, so any step below
        λ/(4α) (0.231 Å at 300 kV, 21.3 mrad) samples it exactly: MoS2 iDPC at 0.22 vs
        0.15 Å differs by 0.04 % rms for 2.7x less time (``simulator.md``). Coarser steps
        are refused.
    min_extent_A : float
        Minimum side of the repeated cell used as multislice potential [Å].
    """

    mode: str = "idpc"
    dose_e_per_A2: float | None = 2.0e4
    pixel_size_A: float = 0.1
    shape_px: tuple[int, int] = (256, 256)
    rotation_deg: float = 0.0
    defocus_A: float = 0.0
    source_size_A: float = 0.0
    scan_jitter_A: float = 0.0
    seed: int = 0
    energy_eV: float = 300e3
    semiangle_mrad: float = 21.3
    segment_mrad: tuple[float, float] = (4.0, 22.0)
    haadf_mrad: tuple[float, float] = (60.0, 200.0)
    abf_mrad: tuple[float, float] = (11.0, 22.0)
    scan_step_A: float = 0.22
    min_extent_A: float = 16.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SimulationError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.dose_e_per_A2 is not None:
            _check_positive("dose_e_per_A2", self.dose_e_per_A2)
        for name in ("pixel_size_A", "energy_eV", "semiangle_mrad", "scan_step_A", "min_extent_A"):
            _check_positive(name, getattr(self, name))
        for name in ("source_size_A", "scan_jitter_A"):
            _check_positive(name, getattr(self, name), allow_zero=True)
        if len(self.shape_px) != 2 or min(self.shape_px) < 2:
            raise SimulationError(f"shape_px must be (rows, cols) >= 2, got {self.shape_px!r}")
        for name in ("segment_mrad", "haadf_mrad", "abf_mrad"):
            _check_annulus(name, getattr(self, name))
        # Lists coming from JSON become tuples so that the frozen object stays hashable.
        for name in ("shape_px", "segment_mrad", "haadf_mrad", "abf_mrad"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "shape_px", tuple(int(n) for n in self.shape_px))

    @property
    def electrons_per_pixel(self) -> float:
        """Electrons per pixel [e], ``inf`` without noise."""
        if self.dose_e_per_A2 is None:
            return math.inf
        return self.dose_e_per_A2 * self.pixel_size_A**2

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImagingConfig:
        """Inverse of :meth:`as_dict`; unknown keys raise :class:`SimulationError`."""
        check_keys(cls, data, what="imaging parameters", error=SimulationError)
        return cls(**data)


@dataclass(frozen=True)
class SimulationResult:
    """A simulated micrograph and the ground truth of what it shows.

    Attributes
    ----------
    image : np.ndarray
        Noisy image, float32, shape ``config.shape_px``. iDPC: integrated normalised
        segment differences [Å] (zero mean); HAADF/ABF: fraction of the beam collected.
    clean : np.ndarray
        The same without noise or scan jitter, float32.
    pixel_size_A : float
        Pixel size [Å].
    columns_xy_A : np.ndarray
        Atom column positions (N, 2) as (x, y) [Å] in the image frame; pixel (row, col)
        centre is at (col, row) * pixel_size_A.
    columns_xy_px : np.ndarray
        The same in pixels (x = col, y = row).
    column_species : tuple of str
        Each column's content, e.g. ``"S2"`` or ``"Mo"`` (symbols sorted, counts appended).
    column_z : np.ndarray
        Sum of atomic numbers of each column, int (N,).
    cell_A : tuple of float
        Sides (a, b) [Å] of the orthogonal periodic cell that was simulated.
    strain : float
        Largest strain applied to make the cell orthogonal (0 for hexagonal/rectangular).
    simulator : str
        ``"full"`` (multislice) or ``"fast"``.
    config : ImagingConfig
        The imaging conditions.
    """

    image: np.ndarray
    clean: np.ndarray
    pixel_size_A: float
    columns_xy_A: np.ndarray
    columns_xy_px: np.ndarray
    column_species: tuple[str, ...]
    column_z: np.ndarray
    cell_A: tuple[float, float]
    strain: float
    simulator: str
    config: ImagingConfig

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; arrays become nested lists."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, ImagingConfig):
                value = value.as_dict()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationResult:
        """Inverse of :meth:`as_dict`."""
        return cls(
            image=np.asarray(data["image"], dtype=np.float32),
            clean=np.asarray(data["clean"], dtype=np.float32),
            pixel_size_A=float(data["pixel_size_A"]),
            columns_xy_A=np.asarray(data["columns_xy_A"], dtype=float).reshape(-1, 2),
            columns_xy_px=np.asarray(data["columns_xy_px"], dtype=float).reshape(-1, 2),
            column_species=tuple(data["column_species"]),
            column_z=np.asarray(data["column_z"], dtype=int),
            cell_A=(float(data["cell_A"][0]), float(data["cell_A"][1])),
            strain=float(data["strain"]),
            simulator=str(data["simulator"]),
            config=ImagingConfig.from_dict(data["config"]),
        )
