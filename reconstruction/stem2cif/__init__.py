"""STEM2CIF: one micrograph in, a periodic crystal structure out.

Stages, one module each: ``peaks`` (atom columns, sub-pixel) -> ``lattice`` (periodicity,
least-squares refinement, drift) -> ``supercell`` (true cell behind a pseudo-lattice) ->
``motif`` (sites from the lattice-averaged image) -> ``contrast`` + ``elements`` (which
element, how many atoms per column) -> ``zcoords`` (heights) -> ``symmetry`` (layer group,
primitive cell, CIF). ``pipeline.reconstruct`` runs them; ``cli`` is ``automat reconstruct``.
"""

from reconstruction.stem2cif.pipeline import Stem2CifConfig, Stem2CifResult, reconstruct

__all__ = ["Stem2CifConfig", "Stem2CifResult", "reconstruct"]
