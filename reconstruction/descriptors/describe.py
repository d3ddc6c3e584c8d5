"""Descriptors of micrographs and of known structures (rendered with the fast simulator)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms

from reconstruction.descriptors.observe import Observation, observe
from reconstruction.descriptors.vectors import RDF_BINS, RICH_DIM, rdf_vector, rich_vector
from reconstruction.simulate.config import MODES

# Bumped whenever a change makes stored vectors incomparable with new ones.
DESCRIPTOR_VERSION = "rdf32-rich192-v1"

TEMPLATE_PIXEL_A = 0.1
TEMPLATE_MIN_FIELD_A = 30.0
TEMPLATE_MAX_FIELD_A = 64.0
TEMPLATE_CELLS = 5
TEMPLATE_SUPERCELL_PX = 200
# Templates are rendered at a high dose with a fixed seed, not noise-free: on a noise-free
# image the supercell F-test fires on interpolation residue (measured on 40 structures:
# 28 noise-free vs 32 at 1e5 e/Å² found the structure's own cell).
TEMPLATE_DOSE_E_PER_A2 = 1.0e5
TEMPLATE_SEED = 0
LATTICE_KEYS = ("a", "b", "gamma")


@dataclass(frozen=True)
class Descriptor:
    """Descriptor vectors of one image (or of a structure's simulated image).

    Attributes
    ----------
    rdf : np.ndarray
        The paper's 32-bin histogram of column pair distances, bins of 10/32 Å over
        0-10 Å, L2-normalised (32,).
    rich : np.ndarray
        Lattice + motif descriptor, L2-normalised (``RICH_DIM``,); see
        :mod:`reconstruction.descriptors.vectors`.
    lattice : dict or None
        ``{"a": Å, "b": Å, "gamma": deg}`` of the Gauss-reduced lattice (a <= b,
        gamma >= 90), None when no lattice was found.
    mode : str
        Imaging mode of the image described; retrievers compare it with templates
        rendered in the same mode (a HAADF image hides light columns an iDPC one shows).
    """

    rdf: np.ndarray
    rich: np.ndarray
    lattice: dict | None
    mode: str = "idpc"

    def __post_init__(self) -> None:
        rdf = np.asarray(self.rdf, dtype=np.float32).reshape(-1)
        rich = np.asarray(self.rich, dtype=np.float32).reshape(-1)
        if rdf.shape != (RDF_BINS,):
            raise ValueError(f"rdf must have {RDF_BINS} values, got {rdf.shape[0]}")
        if rich.shape != (RICH_DIM,):
            raise ValueError(f"rich must have {RICH_DIM} values, got {rich.shape[0]}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        object.__setattr__(self, "rdf", rdf)
        object.__setattr__(self, "rich", rich)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": DESCRIPTOR_VERSION,
            "rdf": [round(float(v), 6) for v in self.rdf],
            "rich": [round(float(v), 6) for v in self.rich],
            "lattice": None if self.lattice is None else dict(self.lattice),
            "mode": self.mode,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Descriptor:
        version = d.get("version", DESCRIPTOR_VERSION)
        if version != DESCRIPTOR_VERSION:
            raise ValueError(
                f"descriptor version {version!r} is not {DESCRIPTOR_VERSION!r}: recompute it"
            )
        lattice = d.get("lattice")
        return cls(
            rdf=np.asarray(d["rdf"], np.float32),
            rich=np.asarray(d["rich"], np.float32),
            lattice=None if lattice is None else {k: float(lattice[k]) for k in LATTICE_KEYS},
            mode=d.get("mode", "idpc"),
        )


def lattice_dict(basis_A: np.ndarray | None) -> dict | None:
    """``{"a", "b", "gamma"}`` of a (2, 2) basis [Å] (vectors as columns), or None."""
    if basis_A is None:
        return None
    a, b = basis_A[:, 0], basis_A[:, 1]
    la, lb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    gamma = math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / (la * lb)))))
    return {"a": round(la, 4), "b": round(lb, 4), "gamma": round(gamma, 3)}


def describe_observation(obs: Observation) -> Descriptor:
    """Descriptor of an already detected :class:`Observation`."""
    return Descriptor(
        rdf=rdf_vector(obs), rich=rich_vector(obs), lattice=lattice_dict(obs.basis_A), mode=obs.mode
    )


def describe_image(image: np.ndarray, *, pixel_size_A: float, mode: str = "idpc") -> Descriptor:
    """Descriptor of a micrograph, from the columns the reconstruction's detector finds.

    Parameters
    ----------
    image : np.ndarray
        Micrograph (rows, cols).
    pixel_size_A : float
        Pixel size [Å/px]; every length of the descriptor is in Å.
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    """
    return describe_observation(observe(image, pixel_size_A=pixel_size_A, mode=mode))


def render_template(
    atoms: Atoms, *, mode: str = "idpc", source_size_A: float = 0.0
) -> tuple[np.ndarray, float]:
    """Fast-simulator image of a structure (rotation 0, ``TEMPLATE_DOSE_E_PER_A2``, fixed
    seed) and its pixel size [Å].

    The field is ``TEMPLATE_CELLS`` of the longer lattice vector, at least
    ``TEMPLATE_MIN_FIELD_A`` and at most ``TEMPLATE_MAX_FIELD_A`` wide, at 0.1 Å/px. The
    library is rendered with a point source; ``source_size_A`` (FWHM [Å]) renders it as a
    microscope with that effective source would show it.
    """
    from reconstruction.simulate import ImagingConfig, simulate_fast

    lengths = np.linalg.norm(np.array(atoms.cell)[:2, :2], axis=1)
    side = np.clip(TEMPLATE_CELLS * lengths.max(), TEMPLATE_MIN_FIELD_A, TEMPLATE_MAX_FIELD_A)
    n = math.ceil(float(side) / TEMPLATE_PIXEL_A)
    config = ImagingConfig(
        mode=mode,
        dose_e_per_A2=TEMPLATE_DOSE_E_PER_A2,
        pixel_size_A=TEMPLATE_PIXEL_A,
        shape_px=(n, n),
        seed=TEMPLATE_SEED,
        source_size_A=source_size_A,
    )
    return simulate_fast(atoms, config).image, TEMPLATE_PIXEL_A


def describe_structure(
    atoms: Atoms, *, mode: str = "idpc", source_size_A: float = 0.0
) -> Descriptor:
    """Descriptor of a known structure: rendered with ``simulate_fast`` (high dose; a
    point source unless ``source_size_A``, FWHM [Å], is given), then the detector of
    :func:`describe_image`, so templates and micrographs are seen alike."""
    image, px = render_template(atoms, mode=mode, source_size_A=source_size_A)
    obs = observe(image, pixel_size_A=px, mode=mode, supercell_max_px=TEMPLATE_SUPERCELL_PX)
    return describe_observation(obs)
