"""Periodic geometry shared by both simulators.

A 2D monolayer is made into one rectangular (orthogonal) periodic cell; any signal computed
on that cell is a Fourier series over its reciprocal lattice (:class:`PeriodicSignal`).
Evaluating that series at the rotated pixel positions of the image lays the signal onto any
field of view, pixel size and in-plane rotation exactly, without interpolation blur, and
tiles the cell seamlessly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.build import make_supercell

from reconstruction.simulate.config import SimulationError

MAX_REPETITIONS = 12
COLUMN_TOLERANCE_A = 0.1


@dataclass(frozen=True)
class OrthoCell:
    """One rectangular periodic cell of a monolayer.

    Attributes
    ----------
    atoms : ase.Atoms
        Atoms of the cell, cell = diag(a, b, c), layer in xy.
    strain : float
        Shear strain applied to make the cell rectangular (0 when it is exact).
    """

    atoms: Atoms
    strain: float

    @property
    def ab(self) -> tuple[float, float]:
        """Sides (a, b) of the cell [Å]."""
        return float(self.atoms.cell[0, 0]), float(self.atoms.cell[1, 1])


@dataclass(frozen=True)
class Columns:
    """Projected atom columns of one orthogonal cell.

    Attributes
    ----------
    xy : np.ndarray
        Positions (M, 2) [Å] inside the cell.
    species : tuple of str
        Content of each column, e.g. ``"S2"``.
    z : np.ndarray
        Sum of atomic numbers per column (M,).
    """

    xy: np.ndarray
    species: tuple[str, ...]
    z: np.ndarray


@dataclass(frozen=True)
class PeriodicSignal:
    """Channels of a signal on a rectangular periodic cell, as Fourier series.

    ``f_c(r) = sum_g coeffs[c, g] * exp(2 pi i g . r)``, over the half plane of ``g`` (the
    signal is real; the conjugate half is implied, see :func:`evaluate`).

    Attributes
    ----------
    cell_ab : tuple of float
        Cell sides (a, b) [Å].
    g : np.ndarray
        Reciprocal lattice vectors (G, 2) [1/Å], half plane: g_x > 0 or (g_x = 0, g_y >= 0).
    coeffs : np.ndarray
        Complex coefficients (C, G).
    """

    cell_ab: tuple[float, float]
    g: np.ndarray
    coeffs: np.ndarray


def orthogonal_cell(atoms: Atoms, *, max_repetitions: int = MAX_REPETITIONS) -> OrthoCell:
    """Smallest rectangular supercell of a monolayer with ``a`` along x.

    Parameters
    ----------
    atoms : ase.Atoms
        Monolayer with a1, a2 in the xy-plane and c along z.
    max_repetitions : int
        Largest multiple of a2 tried for the second (perpendicular) side.

    Returns
    -------
    OrthoCell
        Exact for rectangular, hexagonal and centred lattices; otherwise the closest
        candidate is sheared to a right angle and ``strain`` reports the shear.
    """
    atoms = _a_along_x(atoms)
    a1, a2 = atoms.cell[0, :2], atoms.cell[1, :2]
    best = (np.inf, 0, 1)
    for m2 in range(1, max_repetitions + 1):
        m1 = int(np.round(-m2 * a2[0] / a1[0]))
        v = m1 * a1 + m2 * a2
        shear = abs(v[0]) / abs(v[1])
        if shear < best[0] - 1e-9:
            best = (shear, m1, m2)
        if shear < 1e-6:
            break
    shear, m1, m2 = best
    sup = make_supercell(atoms, [[1, 0, 0], [m1, m2, 0], [0, 0, 1]], wrap=True)
    cell = np.array(sup.cell)
    ortho = np.diag([np.linalg.norm(cell[0, :2]), abs(cell[1, 1]), cell[2, 2]])
    sup.set_cell(ortho, scale_atoms=True)
    sup.wrap()
    return OrthoCell(atoms=sup, strain=float(shear))


def _a_along_x(atoms: Atoms) -> Atoms:
    atoms = atoms.copy()
    cell = np.array(atoms.cell)
    if abs(cell[0, 2]) > 1e-6 or abs(cell[1, 2]) > 1e-6 or np.linalg.norm(cell[2, :2]) > 1e-6:
        raise SimulationError("the structure must have its layer in xy and c along z")
    angle = np.degrees(np.arctan2(cell[0, 1], cell[0, 0]))
    if abs(angle) > 1e-9:
        atoms.rotate(-angle, "z", rotate_cell=True)
    if atoms.cell[1, 1] < 0:
        atoms.set_cell(atoms.cell * [[1, 1, 1], [-1, -1, 1], [1, 1, 1]], scale_atoms=True)
    return atoms


def project_columns(cell: OrthoCell, *, tolerance_A: float = COLUMN_TOLERANCE_A) -> Columns:
    """Group the atoms of a cell into projected columns along z.

    Parameters
    ----------
    cell : OrthoCell
        The rectangular cell.
    tolerance_A : float
        Atoms closer than this in projection (periodic) share a column [Å].

    Returns
    -------
    Columns
        Mean positions wrapped into the cell, species labels and summed atomic numbers.
    """
    a, b = cell.ab
    xy = cell.atoms.positions[:, :2]
    numbers = cell.atoms.numbers
    symbols = cell.atoms.get_chemical_symbols()
    label = -np.ones(len(xy), dtype=int)
    for i in range(len(xy)):
        if label[i] >= 0:
            continue
        d = xy - xy[i]
        d -= np.round(d / [a, b]) * [a, b]
        label[(np.hypot(d[:, 0], d[:, 1]) < tolerance_A) & (label < 0)] = label.max() + 1
    positions, species, z = [], [], []
    for k in range(label.max() + 1):
        idx = np.flatnonzero(label == k)
        d = xy[idx] - xy[idx[0]]
        d -= np.round(d / [a, b]) * [a, b]
        positions.append(np.mod(xy[idx[0]] + d.mean(axis=0), [a, b]))
        names = sorted(symbols[i] for i in idx)
        species.append(
            "".join(
                f"{s}{names.count(s) if names.count(s) > 1 else ''}" for s in sorted(set(names))
            )
        )
        z.append(int(numbers[idx].sum()))
    return Columns(xy=np.array(positions).reshape(-1, 2), species=tuple(species), z=np.array(z))


def field_to_specimen(shape_px: tuple[int, int], pixel_size_A: float) -> np.ndarray:
    """Centre (x, y) of the field of view [Å]: the specimen origin is mapped there."""
    rows, cols = shape_px
    return np.array([(cols - 1) / 2, (rows - 1) / 2]) * pixel_size_A


def rotation_matrix(theta_rad: float) -> np.ndarray:
    """2x2 matrix rotating vectors by ``theta_rad`` from +x towards +y."""
    c, s = np.cos(theta_rad), np.sin(theta_rad)
    return np.array([[c, -s], [s, c]])


def tile_columns(
    columns: Columns,
    cell_ab: tuple[float, float],
    *,
    shape_px: tuple[int, int],
    pixel_size_A: float,
    rotation_deg: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Image positions of every column that falls inside the field of view.

    Returns
    -------
    xy_A : np.ndarray
        Positions (N, 2) as (x, y) [Å], x along columns; pixel centres at integer
        multiples of the pixel size.
    index : np.ndarray
        Index (N,) into ``columns`` of each position.
    """
    a, b = cell_ab
    rot = rotation_matrix(np.radians(rotation_deg))
    centre = field_to_specimen(shape_px, pixel_size_A)
    rows, cols = shape_px
    corners = (np.array([[0, 0], [cols, 0], [0, rows], [cols, rows]]) - 0.5) * pixel_size_A
    spec = (corners - centre) @ rot  # rows of R^T (x - c): image -> specimen
    n = np.arange(np.floor(spec[:, 0].min() / a) - 1, np.ceil(spec[:, 0].max() / a) + 1)
    m = np.arange(np.floor(spec[:, 1].min() / b) - 1, np.ceil(spec[:, 1].max() / b) + 1)
    nn, mm, kk = np.meshgrid(n, m, np.arange(len(columns.xy)), indexing="ij")
    s = columns.xy[kk.ravel()] + np.stack([nn.ravel() * a, mm.ravel() * b], axis=1)
    xy = s @ rot.T + centre
    lo = -0.5 * pixel_size_A
    inside = (
        (xy[:, 0] >= lo)
        & (xy[:, 0] < (cols - 0.5) * pixel_size_A)
        & (xy[:, 1] >= lo)
        & (xy[:, 1] < (rows - 0.5) * pixel_size_A)
    )
    return xy[inside], kk.ravel()[inside]


def signal_from_grid(
    values: np.ndarray,
    cell_ab: tuple[float, float],
    k_max: float,
    *,
    repeats: tuple[int, int] = (1, 1),
) -> PeriodicSignal:
    """Fourier series of channels sampled on a grid over the cell (or a repeat of it).

    Parameters
    ----------
    values : np.ndarray
        Samples (C, nx, ny) at positions (i A / nx, j B / ny) [Å] (endpoint excluded), with
        (A, B) = (a, b) times ``repeats``.
    cell_ab : tuple of float
        Cell sides (a, b) [Å].
    k_max : float
        Band limit [1/Å]; coefficients beyond it (and the Nyquist rows) are dropped.
    repeats : tuple of int
        Repetitions of the cell covered by the grid; only the cell's reciprocal lattice
        (every ``repeats``-th harmonic) is kept.

    Returns
    -------
    PeriodicSignal
        Exact interpolant of the samples within the band limit.
    """
    values = np.asarray(values, dtype=float)
    _, nx, ny = values.shape
    (a, b), (rx, ry) = cell_ab, repeats
    spectrum = np.fft.fft2(values, axes=(1, 2)) / (nx * ny)
    ix = np.fft.fftfreq(nx, d=1 / nx).round().astype(int)
    iy = np.fft.fftfreq(ny, d=1 / ny).round().astype(int)
    gx, gy = np.meshgrid(ix / (rx * a), iy / (ry * b), indexing="ij")
    keep = (np.hypot(gx, gy) <= k_max) & half_plane(gx, gy)
    keep &= ((ix % rx) == 0)[:, None] & ((iy % ry) == 0)[None, :]
    if nx % 2 == 0:
        keep[nx // 2, :] = False
    if ny % 2 == 0:
        keep[:, ny // 2] = False
    g = np.stack([gx[keep], gy[keep]], axis=1)
    return PeriodicSignal(cell_ab=(a, b), g=g, coeffs=spectrum[:, keep])


def half_plane(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Mask of the half plane kept for real signals: g_x > 0, or g_x = 0 and g_y >= 0."""
    return (gx > 0) | ((gx == 0) & (gy >= 0))


def reciprocal_half_plane(cell_ab: tuple[float, float], k_max: float) -> np.ndarray:
    """Reciprocal lattice vectors (G, 2) [1/Å] of the cell with |g| <= k_max, half plane."""
    a, b = cell_ab
    h = np.arange(0, int(np.floor(k_max * a)) + 1)
    k = np.arange(-int(np.floor(k_max * b)), int(np.floor(k_max * b)) + 1)
    gx, gy = np.meshgrid(h / a, k / b, indexing="ij")
    keep = (np.hypot(gx, gy) <= k_max) & half_plane(gx, gy)
    return np.stack([gx[keep], gy[keep]], axis=1)
