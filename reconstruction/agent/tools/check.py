"""``check``: simulate the current structure as the image shows it and compare.

The structure is rendered with the fast simulator at the image's pixel size, field and
mode, rotated so that one of its cell vectors lies on a lattice vector measured in the
image (both handednesses are tried: a mirrored image is the layer seen from the other
side); the offset is the peak of the cross-correlation. Both images go through the same
column-scale band-pass (the one STEM2CIF uses), so background and noise above the
column scale do not count. The score is the normalised cross-correlation (1: identical up
to contrast scale); the residual map is input minus simulation, both standardised. Beside
it, the score of the image's own periodic part (:func:`periodic_ceiling`): a noisy image
of the right structure cannot score above it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.geometry import cellpar_to_cell

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools.base import Tool, ToolError, ToolOutput

#: Side of the central square on which rotation and offset are searched [px].
SEARCH_PX = 192
#: Lengths of a structure's cell vector and an image lattice vector that may be matched.
LENGTH_TOLERANCE = 0.06
#: Largest scan distortion (relative change of the cell's metric) the check undoes.
MAX_SCAN_STRAIN = 0.1
#: The same, once the image is un-distorted onto the structure's cell (scan_correction).
MEASURED_CELL_TOLERANCE = 0.01


@dataclass(frozen=True)
class Alignment:
    """Best pose of the structure on the image."""

    rotation_deg: float
    mirrored: bool
    shift_px: tuple[float, float]  # (dx, dy)
    score: float


class CheckTool(Tool):
    name = "check"
    description = (
        "Simulate the current structure under the image's conditions (pixel size, field, "
        "mode; rotation and offset measured from the image) and compare it with the input "
        "image: normalised cross-correlation score (1 = perfect; compare scores of "
        "alternatives) and a residual map."
    )
    schema = {"type": "object", "properties": {}, "additionalProperties": False}

    def run(self, state: AgentState, args: dict[str, Any]) -> ToolOutput:
        if state.candidate is None:
            raise ToolError("no structure to check: run stem2cif first")
        cand = state.candidate
        basis = _image_basis(state, cand)
        structure = standard_orientation(cand.structure)
        image = _bandpass(state.original, state.pixel_size_A, state.mode)
        stretch = scan_correction(structure, basis, state.pixel_size_A)
        inside = np.ones(image.shape, bool)
        if stretch is not None:
            # The image is un-distorted onto the structure's cell; a lies on one image
            # vector of exactly its length, not on a neighbour a few per cent off.
            image, inside = undistort(image, stretch)
            basis = stretch @ basis
        target = _standardise(image) * inside
        tolerance = MEASURED_CELL_TOLERANCE if stretch is not None else LENGTH_TOLERANCE
        angles = candidate_angles(structure, basis, state.pixel_size_A, tolerance)
        if not angles:
            raise ToolError(
                f"the structure's cell ({cand.lattice['a']:.2f} x {cand.lattice['b']:.2f} Å) "
                "matches no lattice vector seen in the image"
            )
        # The pose is searched on the central part of the field (same centre, so the same
        # rotation and offset hold for the whole field), then rendered once in full.
        crop = _central(target.shape, SEARCH_PX)
        search = _standardise(target[crop])
        source = source_size_A(cand)
        best = align(structure, search, angles, state.pixel_size_A, state.mode, source)
        sim = _standardise(
            _bandpass(
                render(structure, best, target.shape, state.pixel_size_A, state.mode, source),
                state.pixel_size_A,
                state.mode,
            )
        )
        score = float(np.mean(sim * target))
        ceiling = periodic_ceiling(target, basis)
        residual = (target - sim) * inside
        artifacts = _write(state, residual, sim)
        result = {
            "score": round(score, 4),
            "residual_rms": round(float(np.sqrt(np.mean(residual**2))), 4),
            "rotation_deg": round(best.rotation_deg, 3),
            "mirrored": best.mirrored,
            "shift_A": [round(v * state.pixel_size_A, 4) for v in best.shift_px],
            "structure_step": cand.step,
            "source": cand.source,
            # Largest stretch [fraction] undone to put the image on the structure's cell.
            "scan_strain": 0.0 if stretch is None else round(_strain(stretch), 4),
            # What any structure on this lattice could reach: the image's periodic part.
            "periodic_ceiling": round(ceiling, 4),
        }
        state.check = dict(result)
        summary = (
            f"simulated vs input: score {score:.3f} (normalised cross-correlation; the "
            f"image's periodic part reaches {ceiling:.3f}), "
            f"rotation {best.rotation_deg:.1f}°" + (", mirrored" if best.mirrored else "")
        )
        return ToolOutput(summary, result, artifacts)


def standard_orientation(atoms: Atoms) -> Atoms:
    """The layer with ``a`` along x and ``b`` in the upper half plane (same fractional
    coordinates, so a left-handed cell comes out mirrored; both handednesses are tried)."""
    out = atoms.copy()
    out.set_cell(cellpar_to_cell(atoms.cell.cellpar()), scale_atoms=True)
    out.pbc = True
    return out


def scan_correction(
    atoms: Atoms, basis_px: np.ndarray, pixel_size_A: float, tolerance: float = MAX_SCAN_STRAIN
) -> np.ndarray | None:
    """The stretch (2, 2), acting on (x, y) pixel coordinates, that takes the image's
    lattice onto the structure's metric; None when they are not the same lattice.

    A scan stretches and shears the lattice by a few per cent; the structure is
    symmetrised, so simulated as it is its columns drift off the image's ones across the
    field and the comparison judges the scan instead of the structure. The structure's
    cell vectors are matched to the measured lattice by a change of basis (integer,
    determinant ±1) whose metric agrees within ``tolerance``; without one (a supercell of
    the measured lattice, or more strain than a scan makes) there is nothing to undo. The
    stretch is the symmetric (rotation-free) solution, so the image keeps its orientation.
    """
    cell = np.array(atoms.cell)[:2, :2] / pixel_size_A  # rows [px]
    measured = np.asarray(basis_px, float)  # columns [px]
    g_meas = measured.T @ measured
    best, best_err = None, tolerance
    for entries in itertools.product(range(-2, 3), repeat=4):
        u = np.array(entries, float).reshape(2, 2)
        if abs(round(abs(np.linalg.det(u))) - 1) > 1e-9:
            continue
        t = u @ cell
        err = float(np.max(np.abs(t @ t.T - g_meas)) / np.max(np.abs(g_meas)))
        if err < best_err:
            best, best_err = t @ t.T, err
    if best is None:
        return None
    inv = np.linalg.inv(measured)
    stretch_sq = inv.T @ best @ inv
    w, v = np.linalg.eigh((stretch_sq + stretch_sq.T) / 2)
    return (v * np.sqrt(w)) @ v.T


def _strain(stretch: np.ndarray) -> float:
    return float(np.abs(np.linalg.eigvalsh(stretch) - 1).max())


def undistort(image: np.ndarray, stretch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` resampled through ``stretch`` about its centre, and the mask of the pixels
    that came from inside it."""
    from scipy import ndimage

    swap = np.array([[0.0, 1.0], [1.0, 0.0]])  # (x, y) <-> (row, col)
    matrix = swap @ np.linalg.inv(stretch) @ swap
    centre = (np.array(image.shape, float) - 1) / 2
    offset = centre - matrix @ centre
    out = ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="nearest")
    inside = ndimage.affine_transform(
        np.ones_like(image), matrix, offset=offset, order=0, mode="constant", cval=0.0
    )
    return out, inside > 0.5


def periodic_ceiling(target: np.ndarray, basis_px: np.ndarray, radius_px: float = 2.0) -> float:
    """The highest normalised cross-correlation any structure on this lattice can reach
    with ``target`` (standardised): that of its periodic part, the Fourier components
    within ``radius_px`` (Fourier pixels) of the lattice's reciprocal points. Noise and
    what does not repeat (defects, drift, contamination) lower it: a low-dose image of the
    right structure scores little more than its ceiling, and a structure is judged by its
    share of it (``score / ceiling``), not by a raw score the dose decides.

    ``basis_px``: lattice vectors as columns, (x, y) [px].
    """
    spectrum = np.abs(np.fft.fft2(target - target.mean())) ** 2
    total = float(spectrum.sum())
    if total <= 0:
        return 0.0
    rows, cols = target.shape
    fy, fx = np.meshgrid(np.fft.fftfreq(rows), np.fft.fftfreq(cols), indexing="ij")
    k = np.stack([fx.ravel(), fy.ravel()])  # (2, N) [cycles / px]
    basis = np.asarray(basis_px, float)
    reciprocal = np.linalg.inv(basis).T  # columns g_a, g_b: a . g_a = 1
    nearest = reciprocal @ np.round(basis.T @ k)
    off = np.linalg.norm((k - nearest) * np.array([[cols], [rows]], float), axis=0)
    near = (off < radius_px).reshape(rows, cols)
    near[0, 0] = False  # the mean
    return float(np.sqrt(spectrum[near].sum() / total))


def _image_basis(state: AgentState, cand) -> np.ndarray:
    """Lattice vectors in the image (2, 2) [px], from STEM2CIF or measured here."""
    if cand.stem2cif is not None:
        return cand.stem2cif.lattice.basis
    from reconstruction.detection.lattice import find_lattice
    from reconstruction.errors import ReconstructionError

    filtered = _bandpass(state.image, state.pixel_size_A, state.mode)
    try:
        return find_lattice(filtered, pixel_size_A=state.pixel_size_A)
    except ReconstructionError as exc:
        raise ToolError(f"no lattice in the image to align the structure on ({exc})") from exc


def candidate_angles(
    structure: Atoms, basis_px: np.ndarray, pixel_size_A: float, tolerance=LENGTH_TOLERANCE
) -> list[float]:
    """Angles [deg] at which the structure's ``a`` lies on an image lattice vector of the
    same length (within ``tolerance``)."""
    a_len = float(np.linalg.norm(structure.cell[0, :2]))
    angles: list[float] = []
    for n in range(-3, 4):
        for m in range(-3, 4):
            v = basis_px @ np.array([n, m], float) * pixel_size_A
            length = float(np.linalg.norm(v))
            if length > 0 and abs(length / a_len - 1) <= tolerance:
                angle = float(np.degrees(np.arctan2(v[1], v[0]))) % 360.0
                if all(abs((angle - b + 180) % 360 - 180) > 0.5 for b in angles):
                    angles.append(angle)
    return angles


def source_size_A(cand) -> float:
    """FWHM [Å] of the effective source that STEM2CIF measured on the image (0 when the
    candidate did not come from it): the check simulates the same blur."""
    from reconstruction.simulate.render import FWHM_PER_SIGMA

    sigma = getattr(cand.stem2cif, "source_sigma_A", 0.0) or 0.0
    return float(sigma) * FWHM_PER_SIGMA


def render(
    structure: Atoms, pose: Alignment, shape, pixel_size_A: float, mode: str, source: float = 0.0
):
    """Noise-free image of ``structure`` in ``pose`` (rotation, handedness, offset) with a
    source of FWHM ``source`` [Å]."""
    from reconstruction.simulate import ImagingConfig, simulate_fast

    atoms = structure.copy()
    dx, dy = pose.shift_px
    d = np.array([dx, dy]) * pixel_size_A
    if pose.mirrored:
        # image = flip_y(R(-theta) s): a shift d in the image is s-shift R(theta) F d.
        t = _rot(pose.rotation_deg) @ (np.array([1.0, -1.0]) * d)
        angle = -pose.rotation_deg
    else:
        t = _rot(-pose.rotation_deg) @ d
        angle = pose.rotation_deg
    atoms.positions[:, :2] += t
    atoms.wrap()
    config = ImagingConfig(
        mode=mode, dose_e_per_A2=None, pixel_size_A=pixel_size_A,
        shape_px=tuple(shape), rotation_deg=angle, source_size_A=source,
    )  # fmt: skip
    clean = simulate_fast(atoms, config).clean.astype(np.float64)
    return np.flipud(clean) if pose.mirrored else clean


def align(structure: Atoms, target: np.ndarray, angles, pixel_size_A: float, mode: str, source=0.0):
    """Best rotation, handedness and offset by FFT cross-correlation of band-passed images."""
    best = Alignment(0.0, False, (0.0, 0.0), -np.inf)
    spectrum = np.conj(np.fft.rfft2(target))
    for angle, mirrored in distinct_poses(structure, angles):
        pose = Alignment(angle, mirrored, (0.0, 0.0), 0.0)
        sim = _standardise(
            _bandpass(render(structure, pose, target.shape, pixel_size_A, mode, source),
                      pixel_size_A, mode)
        )  # fmt: skip
        xcorr = np.fft.irfft2(np.fft.rfft2(sim) * spectrum, s=target.shape) / target.size
        iy, ix = np.unravel_index(int(np.argmax(xcorr)), xcorr.shape)
        if xcorr[iy, ix] > best.score:
            # xcorr[k] = sum sim[r + k] target[r]: the simulation must move by -k.
            dy, dx = _subpixel(xcorr, iy, ix)
            best = Alignment(angle, mirrored, (-dx, -dy), float(xcorr[iy, ix]))
    return best


def distinct_poses(structure: Atoms, angles) -> list[tuple[float, bool]]:
    """(angle, mirrored) poses that give different images: two poses P1, P2 (image =
    P structure) look alike when P2^-1 P1 is an in-plane symmetry of the structure."""
    ops = _in_plane_symmetry(structure)
    kept: list[tuple[float, bool, np.ndarray]] = []
    for angle in angles:
        for mirrored in (False, True):
            p = _pose_matrix(angle, mirrored)
            if not any(_is_symmetry(np.linalg.solve(q, p), ops) for _, _, q in kept):
                kept.append((angle, mirrored, p))
    return [(a, m) for a, m, _ in kept]


def _pose_matrix(angle_deg: float, mirrored: bool) -> np.ndarray:
    """Image = P @ structure (in-plane, about the field centre); see :func:`render`."""
    if mirrored:
        return np.diag([1.0, -1.0]) @ _rot(-angle_deg)
    return _rot(angle_deg)


def _in_plane_symmetry(structure: Atoms, symprec_A: float = 0.05) -> list[np.ndarray]:
    """In-plane (2, 2) Cartesian parts of the structure's symmetry operations."""
    import spglib

    cell = np.array(structure.cell)
    try:
        sym = spglib.get_symmetry(
            (cell, structure.get_scaled_positions(), structure.numbers), symprec=symprec_A
        )
    except spglib.error.SpglibError:
        sym = None
    if not sym:
        return [np.eye(2)]
    # Fractional f' = R f  ->  Cartesian r' = L^T R L^-T r (L: lattice vectors as rows).
    return [(cell.T @ r @ np.linalg.inv(cell.T))[:2, :2] for r in sym["rotations"]]


def _is_symmetry(m: np.ndarray, ops: list[np.ndarray]) -> bool:
    return any(np.abs(m - g).max() < 1e-3 for g in ops)


def _subpixel(xcorr: np.ndarray, iy: int, ix: int) -> tuple[float, float]:
    """Peak position (dy, dx) with parabolic interpolation, wrapped to [-n/2, n/2)."""
    ny, nx = xcorr.shape

    def vertex(m, c, p):
        den = m - 2 * c + p
        return 0.0 if den == 0 else 0.5 * (m - p) / den

    c = xcorr[iy, ix]
    fy = vertex(xcorr[(iy - 1) % ny, ix], c, xcorr[(iy + 1) % ny, ix])
    fx = vertex(xcorr[iy, (ix - 1) % nx], c, xcorr[iy, (ix + 1) % nx])
    y = (iy + fy + ny / 2) % ny - ny / 2
    x = (ix + fx + nx / 2) % nx - nx / 2
    return float(y), float(x)


def _central(shape: tuple[int, int], side: int) -> tuple[slice, slice]:
    """Central window of at most ``side`` px whose centre is the field's centre."""
    out = []
    for n in shape:
        m = n if n <= side else side + (n - side) % 2
        start = (n - m) // 2
        out.append(slice(start, start + m))
    return tuple(out)


def _rot(deg: float) -> np.ndarray:
    t = np.radians(deg)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _bandpass(image: np.ndarray, pixel_size_A: float, mode: str) -> np.ndarray:
    from reconstruction.detection.peaks import bandpass

    return bandpass(np.asarray(image, dtype=np.float64), pixel_size_A=pixel_size_A, mode=mode)


def _standardise(image: np.ndarray) -> np.ndarray:
    std = float(image.std())
    if std == 0 or not np.isfinite(std):
        raise ToolError("the image has no contrast to compare")
    return (image - image.mean()) / std


def _write(state: AgentState, residual: np.ndarray, sim: np.ndarray) -> dict:
    """Residual map (blue: input below simulation, red: above) and the simulation."""
    from PIL import Image

    from reconstruction.io.render import stretch_to_unit

    scale = max(float(np.percentile(np.abs(residual), 99.5)), 1e-9)
    r = np.clip(residual / scale, -1, 1)
    rgb = np.stack(
        [1 - np.clip(-r, 0, 1), 1 - np.abs(r), 1 - np.clip(r, 0, 1)], axis=-1
    )  # white at 0
    png = state.artifact("residual.png")
    Image.fromarray((rgb * 255).astype(np.uint8)).save(png)
    simulated = state.artifact("simulated.png")
    Image.fromarray((stretch_to_unit(sim) * 255).astype(np.uint8)).save(simulated)
    npy = state.artifact("residual.npy")
    np.save(npy, residual.astype(np.float32))
    return {"residual": png, "simulated": simulated, "residual_npy": npy}
