"""MP2020 anion corrections, to compare CHGNet energies with uncorrected PBE.

CHGNet 0.3.0 was trained on MPtrj energies *with* the Materials Project 2020 compatibility
corrections (e.g. -0.503 eV per sulfide S: 0.33 eV/atom on MoS2), while the DFT formation
energies here are uncorrected PBE. SevenNet-0 and MatterSim learned uncorrected energies.
Elemental entries carry no correction, so only compound energies need it removed.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ase import Atoms

# Models whose predicted energies include the MP2020 anion corrections.
CORRECTED_MODELS = frozenset({"chgnet-0.3.0"})


def mp2020_correction_eV(atoms: Atoms) -> float:
    """Total MP2020 anion correction of a structure [eV].

    Uses pymatgen's ``MaterialsProject2020Compatibility`` rules (oxide/peroxide type from
    the structure, sulfide type, anions by oxidation-state guess). Oxides and fluorides of
    the +U metals are presented as GGA+U entries (MP's own setting for them, and what CHGNet
    learned), but only the anion corrections are returned: the GGA/GGA+U mixing shift is
    what puts such energies on the GGA scale, so it stays.

    Parameters
    ----------
    atoms : ase.Atoms
        The structure (a single element gives 0).

    Returns
    -------
    float
        Sum of the anion corrections [eV] (negative: corrected energies are lower).
    """
    from pymatgen.analysis.compatibility import MaterialsProject2020Compatibility
    from pymatgen.entries.computed_entries import ComputedStructureEntry
    from pymatgen.io.ase import AseAtomsAdaptor

    structure = AseAtomsAdaptor.get_structure(atoms)
    compat = MaterialsProject2020Compatibility(check_potcar=False)
    anion = max(structure.composition.elements, key=lambda el: el.X).symbol
    expected_u = compat.u_settings.get(anion, {})
    hubbards = {el.symbol: expected_u[el.symbol] for el in structure.composition.elements
                if el.symbol in expected_u}  # fmt: skip
    run_type = "GGA+U" if hubbards else "GGA"
    entry = ComputedStructureEntry(
        structure, 0.0, parameters={"run_type": run_type, "hubbards": hubbards or None}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adjustments = compat.get_adjustments(entry)
    return float(sum(adj.value for adj in adjustments if "anion correction" in adj.name))


def uncorrected_energy_eV(atoms: Atoms, energy_eV: float, model: str) -> float:
    """A model's total energy put on the uncorrected-PBE scale [eV].

    Removes the MP2020 anion corrections for models trained on corrected energies (see
    :data:`CORRECTED_MODELS`); other models' energies are returned unchanged.
    """
    if model not in CORRECTED_MODELS or len(set(atoms.numbers)) < 2:
        return energy_eV
    return energy_eV - mp2020_correction_eV(atoms)
