"""A small template library built in the tests (no shipped dump needed)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from ase import Atoms
from ase.build import mx2

from reconstruction.descriptors import LibraryArrays, describe_structure
from reconstruction.descriptors.retrieval import structure_dict
from reconstruction.simulate import ImagingConfig, simulate_fast
from tests.reconstruction.stem2cif.structures import carbon, cucl2, mos2, nis2


def layer(formula: str, kind: str, a: float, thickness: float) -> Atoms:
    atoms = mx2(formula=formula, kind=kind, a=a, thickness=thickness, vacuum=10.0)
    atoms.pbc = True
    return atoms


def graphane() -> Atoms:
    """Graphene with one H above or below each C (a light element a user may not list)."""
    atoms = carbon()
    z = atoms.positions[:, 2]
    h = atoms.positions.copy()
    h[:, 2] = z + np.array([1.1, -1.1])
    return atoms + Atoms("H2", positions=h, cell=atoms.cell, pbc=True)


STRUCTURES = {
    "MoS2-2H": lambda: mos2(),
    "MoS2-1T": lambda: layer("MoS2", "1T", 3.184, 3.13),
    "WS2-2H": lambda: layer("WS2", "2H", 3.182, 3.14),
    "MoSe2-2H": lambda: layer("MoSe2", "2H", 3.32, 3.34),
    "NiS2-1T": nis2,
    "C-graphene": carbon,
    "CH-graphane": graphane,
    "CuCl2": cucl2,
}


def record(sid: str, atoms: Atoms) -> dict:
    from pymatgen.core import Composition

    cp = atoms.cell.cellpar()
    formula = Composition(atoms.get_chemical_formula()).reduced_formula
    return {
        "id": sid, "source": "test", "formula": formula,
        "elements": sorted(set(atoms.get_chemical_symbols())), "spacegroup": "P1",
        "sg_number": 1, "a": cp[0], "b": cp[1], "gamma": cp[5], "n_atoms": len(atoms),
        "e_form": -0.5, "content_hash": sid, "cif": _cif(atoms),
        "structure": structure_dict(atoms),
    }  # fmt: skip


def _cif(atoms: Atoms) -> str:
    import io

    from ase.io import write

    buf = io.BytesIO()
    write(buf, atoms, format="cif")
    return buf.getvalue().decode()


LIBRARY_MODES = ("idpc", "haadf")


@lru_cache(maxsize=1)
def small_library() -> LibraryArrays:
    """The structures above, described as iDPC and HAADF images (not ABF: a library may
    lack a mode)."""
    records = []
    vectors = {mode: {"rdf": [], "rich": []} for mode in LIBRARY_MODES}
    for sid, make in STRUCTURES.items():
        atoms = make()
        records.append(record(sid, atoms))
        for mode in LIBRARY_MODES:
            d = describe_structure(atoms, mode=mode)
            vectors[mode]["rdf"].append(d.rdf)
            vectors[mode]["rich"].append(d.rich)
    return LibraryArrays(records, vectors)


def noisy_image(atoms: Atoms, *, rotation: float = 23.0, dose: float = 2e4, px: float = 0.1,
                size: int = 400, seed: int = 1, mode: str = "idpc") -> np.ndarray:  # fmt: skip
    config = ImagingConfig(
        mode=mode, dose_e_per_A2=dose, pixel_size_A=px, shape_px=(size, size),
        rotation_deg=rotation, seed=seed,
    )  # fmt: skip
    return simulate_fast(atoms, config).image
