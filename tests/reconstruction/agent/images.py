"""Simulated micrographs of monolayers from the shared data set, small enough for tests."""

from __future__ import annotations

from functools import lru_cache

from reconstruction.data import monolayer
from reconstruction.simulate import ImagingConfig, SimulationResult, simulate_fast

PIXEL_SIZE_A = 0.1


@lru_cache(maxsize=8)
def simulated(
    structure_id: str = "c2dm-MoS2-H",
    *,
    size: int = 192,
    rotation_deg: float = 23.0,
    dose: float | None = 3e4,
    seed: int = 3,
) -> SimulationResult:
    """Fast-simulated iDPC image of one monolayer of ``../shared/data`` (cached)."""
    config = ImagingConfig(
        mode="idpc",
        dose_e_per_A2=dose,
        pixel_size_A=PIXEL_SIZE_A,
        shape_px=(size, size),
        rotation_deg=rotation_deg,
        seed=seed,
    )
    return simulate_fast(monolayer(structure_id), config)


#: Every Mo-S monolayer of the shared data set: a small, real template library.
MO_S_TEMPLATES = (
    "c2dm-MoS2-H", "c2dm-MoS2-T", "2dlam-MoS2-1", "2dlam-MoS-1", "2dlam-MoS3-1", "2dlam-Mo3S4-1",
)  # fmt: skip


@lru_cache(maxsize=1)
def mo_s_retriever():
    """An ArrayRetriever over :data:`MO_S_TEMPLATES`, described as the library builder does."""
    import numpy as np

    from reconstruction.descriptors import ArrayRetriever, LibraryArrays, describe_structure
    from reconstruction.stem2cif.symmetry import spacegroup, to_cif

    records, rdf, rich = [], [], []
    for sid in MO_S_TEMPLATES:
        atoms = monolayer(sid)
        d = describe_structure(atoms)
        a, b, _, _, _, gamma = atoms.cell.cellpar()
        sg, number = spacegroup(atoms)
        records.append(
            {
                "id": sid, "source": "test", "formula": atoms.get_chemical_formula("reduce"),
                "elements": sorted(set(atoms.get_chemical_symbols())), "spacegroup": sg,
                "sg_number": number, "a": a, "b": b, "gamma": gamma, "n_atoms": len(atoms),
                "e_form": atoms.info.get("e_form_pbe"), "content_hash": sid,
                "cif": to_cif(atoms),
            }
        )  # fmt: skip
        rdf.append(d.rdf)
        rich.append(d.rich)
    return ArrayRetriever(LibraryArrays(records, np.array(rdf), np.array(rich)))
