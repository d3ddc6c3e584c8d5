"""Corrections of a structure as data: apply a curator's edits to ASE atoms and describe
the result (pure functions: no Django here).

An edit is a JSON object ``{"op": "set_element", "site": i, "element": "W"}`` or
``{"op": "remove", "site": i}``; ``site`` indexes the sites of the structure being
corrected (the order of its CIF), whatever order the edits come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

OPS = ("set_element", "remove")
#: Real elements only (index 0 is ASE's dummy "X").
ELEMENTS = frozenset(chemical_symbols[1:])


class CorrectionError(ValueError):
    """An edit that cannot be applied; ``str(error)`` is the message to show."""


def normalize_element(text: str) -> str:
    """``"mo"`` -> ``"Mo"``; raises :class:`CorrectionError` for anything not an element."""
    symbol = text.strip()[:1].upper() + text.strip()[1:3].lower()
    if symbol not in ELEMENTS:
        raise CorrectionError(f"{text.strip()!r} is not an element symbol")
    return symbol


def checked_edits(edits: Sequence[dict[str, Any]], n_sites: int) -> list[dict[str, Any]]:
    """The edits validated against a structure of ``n_sites`` sites, in a canonical form.

    Raises
    ------
    CorrectionError
        No edit, an unknown operation, a site out of range, two edits of one site, a bad
        element, or every site removed.
    """
    if not edits:
        raise CorrectionError("nothing to correct: change an element or remove a site")
    clean: list[dict[str, Any]] = []
    seen: set[int] = set()
    for edit in edits:
        op, site = edit.get("op"), edit.get("site")
        if op not in OPS:
            raise CorrectionError(f"unknown correction {op!r}; use one of {', '.join(OPS)}")
        if not isinstance(site, int) or isinstance(site, bool) or not 0 <= site < n_sites:
            raise CorrectionError(f"site {site!r} does not exist (the structure has {n_sites})")
        if site in seen:
            raise CorrectionError(f"site {site} is edited twice")
        seen.add(site)
        if op == "set_element":
            clean.append({"op": op, "site": site, "element": normalize_element(edit["element"])})
        else:
            clean.append({"op": op, "site": site})
    if sum(e["op"] == "remove" for e in clean) >= n_sites:
        raise CorrectionError("a structure needs at least one site")
    return clean


def apply_edits(atoms: Atoms, edits: Sequence[dict[str, Any]]) -> Atoms:
    """A copy of ``atoms`` with ``edits`` applied (see :func:`checked_edits`): element
    changes first, then removals, so every ``site`` refers to the original order."""
    edits = checked_edits(edits, len(atoms))
    symbols = atoms.get_chemical_symbols()
    for edit in edits:
        if edit["op"] == "set_element":
            symbols[edit["site"]] = edit["element"]
    keep = np.ones(len(atoms), dtype=bool)
    for edit in edits:
        if edit["op"] == "remove":
            keep[edit["site"]] = False
    return Atoms(
        [s for s, k in zip(symbols, keep, strict=True) if k],
        positions=atoms.positions[keep],
        cell=atoms.cell,
        pbc=True,
    )


def describe(atoms: Atoms) -> dict[str, Any]:
    """Structure columns of ``atoms``: CIF (pymatgen writer, as the reconstruction writes
    it), reduced formula, sorted elements, a, b [Å], gamma [deg], space group."""
    from pymatgen.core import Composition

    from reconstruction.stem2cif.symmetry import spacegroup, to_cif

    cellpar = atoms.cell.cellpar()
    symbol, _number = spacegroup(atoms)
    return {
        "cif": to_cif(atoms),
        "formula": Composition(atoms.get_chemical_formula()).reduced_formula[:64],
        "elements": sorted(set(atoms.get_chemical_symbols())),
        "a": round(float(cellpar[0]), 4),
        "b": round(float(cellpar[1]), 4),
        "gamma": round(float(cellpar[5]), 3),
        "spacegroup": symbol[:32],
    }


def sites(atoms: Atoms) -> list[dict[str, Any]]:
    """One row per site: index, element, fractional x, y and height z [Å]."""
    frac = atoms.get_scaled_positions(wrap=True)
    return [
        {
            "index": i,
            "element": symbol,
            "x": round(float(frac[i, 0]), 4),
            "y": round(float(frac[i, 1]), 4),
            "z_A": round(float(atoms.positions[i, 2]), 3),
        }
        for i, symbol in enumerate(atoms.get_chemical_symbols())
    ]
