"""What the agent's tools share during one run: the images, the current candidate
structure and its check, the template matches, and snapshots to roll back to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from reconstruction.settings import DEFAULT, ScienceSettings


@dataclass(frozen=True)
class Candidate:
    """A structure the run could end with.

    Attributes
    ----------
    structure : ase.Atoms
        Primitive cell, layer in xy, vacuum along c.
    cif : str
        Its CIF text.
    formula, spacegroup : str
        Reduced formula and Hermann-Mauguin symbol.
    lattice : dict
        ``{"a", "b", "gamma"}`` [Å, deg].
    step : int
        Index of the step that made it.
    source : str
        ``"image"`` (STEM2CIF) or ``"template"`` (a template adopted on the measured cell).
    template : dict or None
        ``{"id", "formula", "distance"}`` of the template used.
    rotation_deg : float or None
        Angle of the lattice vector ``a`` in the image [deg], when measured.
    stem2cif : Any
        The :class:`~reconstruction.stem2cif.Stem2CifResult`, when from the image.
    """

    structure: Atoms
    cif: str
    formula: str
    spacegroup: str
    lattice: dict[str, float]
    step: int
    source: str = "image"
    template: dict[str, Any] | None = None
    rotation_deg: float | None = None
    stem2cif: Any = None


@dataclass(frozen=True)
class Snapshot:
    """The part of the state a rollback restores."""

    image: np.ndarray
    image_step: int | None
    candidate: Candidate | None
    check: dict[str, Any] | None
    energy: dict[str, Any] | None


@dataclass
class AgentState:
    """Mutable state of one run (tools read and update it; the runner snapshots it).

    Attributes
    ----------
    original : np.ndarray
        The micrograph as given (float32) — the check always compares with this.
    image : np.ndarray
        The image the next tools work on (denoised when a denoise step ran).
    image_step : int or None
        Step that produced ``image`` (None: the original).
    pixel_size_A : float
        [Å/px].
    elements : list of str
        Elements present.
    mode : str
        ``"idpc"``, ``"haadf"`` or ``"abf"``.
    retriever : Retriever or None
        Template search; None when no library is available (``match_templates`` may
        replace it by the library without some templates).
    artifacts_dir : Path
        Where tools write files.
    energy_model : str or None
        Potential for ``predict_properties`` (None: the default one).
    relax : bool
        Whether ``predict_properties`` relaxes by default.
    settings : ScienceSettings
        The caller's machine-local settings (files, threads) the tools pass on.
    step : int
        Index of the step being run (names artifacts).
    """

    original: np.ndarray
    image: np.ndarray
    pixel_size_A: float
    elements: list[str]
    mode: str
    artifacts_dir: Path
    retriever: Any = None
    energy_model: str | None = None
    relax: bool = True
    settings: ScienceSettings = DEFAULT
    image_step: int | None = None
    step: int = 0
    matches: list[Any] = field(default_factory=list)
    # The distances match_templates judged nearness by; stem2cif offers the matches as
    # priors up to the same ones (empty: the measured defaults).
    prior_limits: dict[str, float | None] = field(default_factory=dict)
    known: list[Any] | None = None  # the library's monolayers of these elements, once asked
    measured_lattice: dict[str, float] | None = None
    candidate: Candidate | None = None
    check: dict[str, Any] | None = None
    energy: dict[str, Any] | None = None
    snapshots: dict[int, Snapshot] = field(default_factory=dict)

    def artifact(self, name: str) -> Path:
        """Path of a new artifact of the current step, e.g. ``03-overlay.png``."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        return self.artifacts_dir / f"{self.step:02d}-{name}"

    def snapshot(self) -> Snapshot:
        return Snapshot(self.image, self.image_step, self.candidate, self.check, self.energy)

    def restore(self, snap: Snapshot) -> None:
        self.image, self.image_step = snap.image, snap.image_step
        self.candidate, self.check, self.energy = snap.candidate, snap.check, snap.energy

    def with_candidate(self, candidate: Candidate) -> None:
        """A new candidate: its check and energy are not known yet."""
        self.candidate = replace(candidate)
        self.check = None
        self.energy = None
