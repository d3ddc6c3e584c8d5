"""Machine-local settings of the science: where its files are and how many threads it uses.

Nothing under ``reconstruction/`` reads the environment. The callers' edge fills a
:class:`ScienceSettings` (the portal and the worker from ``AUTOMAT_*`` variables through
``automat_web.env.science_settings``, the ``automat`` command the same way) and passes it
in; a caller that passes nothing gets the plain defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
# The shared data set of 2D monolayers sits next to the repository (see its NOTICE.md).
SHARED_DATA_DIR = REPO_DIR.parent / "shared" / "data"
ENERGY_CACHE_DIR = REPO_DIR / "var" / "energy_refs"
TEMPLATES_DUMP = REPO_DIR / "templates_lib" / "data" / "templates.npz"

# The variables the edge reads, by field; named here so that messages can point to them.
ENV_VARS = {
    "shared_data_dir": "AUTOMAT_SHARED_DATA",
    "energy_cache_dir": "AUTOMAT_ENERGY_CACHE",
    "energy_threads": "AUTOMAT_ENERGY_THREADS",
    "torch_threads": "AUTOMAT_TORCH_THREADS",
    "mattersim_checkpoint": "AUTOMAT_MATTERSIM_CHECKPOINT",
    "templates_dump": "AUTOMAT_TEMPLATES_DUMP",
    "torch_device": "AUTOMAT_TORCH_DEVICE",
}


@dataclass(frozen=True)
class ScienceSettings:
    """Where the science finds its files, and its thread budget.

    Attributes
    ----------
    shared_data_dir : Path
        Folder holding ``monolayers.extxyz`` and ``elemental_refs_mp.json``.
    energy_cache_dir : Path
        Cache of elemental references (seeded with the shipped ones when used).
    energy_threads : int
        Torch threads of a potential while relaxing (>= 1). One is fastest for monolayer
        cells on a busy machine (docs/benchmarks/energy.md).
    torch_threads : int
        Torch CPU threads of the denoiser; 0 chooses from the idle cores.
    mattersim_checkpoint : Path or None
        MatterSim weights on this machine (None: MatterSim is unavailable).
    templates_dump : Path
        The template library dump searched in memory (CLI, benchmark, agent without a
        database).
    torch_device : str or None
        Torch device of the denoiser and the potentials (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``); None: CUDA when torch sees one, else the CPU.
    """

    shared_data_dir: Path = SHARED_DATA_DIR
    energy_cache_dir: Path = ENERGY_CACHE_DIR
    energy_threads: int = 1
    torch_threads: int = 0
    mattersim_checkpoint: Path | None = None
    templates_dump: Path = TEMPLATES_DUMP
    torch_device: str | None = None

    def __post_init__(self) -> None:
        for name in ("shared_data_dir", "energy_cache_dir", "templates_dump"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        if self.mattersim_checkpoint is not None:
            object.__setattr__(self, "mattersim_checkpoint", Path(self.mattersim_checkpoint))
        if int(self.energy_threads) < 1:
            raise ValueError(f"energy_threads must be at least 1, got {self.energy_threads}")
        if int(self.torch_threads) < 0:
            raise ValueError(f"torch_threads must be >= 0 (0: automatic), got {self.torch_threads}")


DEFAULT = ScienceSettings()

__all__ = ["DEFAULT", "ENV_VARS", "ScienceSettings"]
