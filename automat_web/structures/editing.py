"""Corrections of a structure as data: apply a curator's edits to ASE atoms and describe
the result (pure functions: no Django here).

An edit is a JSON object; ``site`` indexes the sites of the structure being corrected
(the order of its CIF), whatever order the edits come in:

``{"op": "set_element", "site": i, "element": "W"}``
    Change site i's element.
``{"op": "remove", "site": i}``
    Remove site i.
``{"op": "move", "site": i, "x": 0.5, "y": 0.25, "z_A": 10.1}``
    Put site i at fractional in-plane coordinates ``x``, ``y`` (of a and b, in [0, 1])
    and height ``z_A`` [Å] along c, as the structure page's site table shows them. The
    height is in Å, not a fraction of c, so the cell's c and with it the layer's vacuum
    stay as they were: only the site moves.
``{"op": "add", "element": "S", "x": 0.33, "y": 0.67, "z_A": 8.4}``
    A new site (same coordinates as ``move``), after the existing ones.
``{"op": "set_lattice", "a": 3.2, "b": 3.2, "gamma": 120.0}``
    New in-plane cell: a, b [Å] and gamma [deg]; the sites keep their fractional x, y
    (they scale with the cell) and their heights; c is unchanged.

Edits apply in a fixed order whatever order they are given in: element changes, moves,
removals, additions, then the lattice. No site of the result may be closer than
:data:`MIN_DISTANCE_A` to another (periodic images included) where an edit moved, added
or rescaled it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

OPS = ("set_element", "remove", "move", "add", "set_lattice")
#: Operations that name an existing site.
SITE_OPS = ("set_element", "remove", "move")
#: Real elements only (index 0 is ASE's dummy "X").
ELEMENTS = frozenset(chemical_symbols[1:])
#: Closest two sites may come after an edit [Å].
MIN_DISTANCE_A = 0.5
#: Physical bounds of a corrected cell: a, b [Å] and gamma [deg].
LATTICE_LENGTH_A = (1.0, 100.0)
LATTICE_GAMMA_DEG = (30.0, 150.0)
#: Most sites one correction may add.
MAX_ADDED = 64


class CorrectionError(ValueError):
    """An edit that cannot be applied; ``str(error)`` is the message to show."""


def normalize_element(text: object) -> str:
    """``"mo"`` -> ``"Mo"``; raises :class:`CorrectionError` for anything not an element."""
    text = str(text if text is not None else "").strip()
    symbol = text[:1].upper() + text[1:3].lower()
    if symbol not in ELEMENTS or len(text) > 3:
        raise CorrectionError(f"{text!r} is not an element symbol")
    return symbol


def _number(value: object, what: str) -> float:
    """``value`` as a finite float; the error names ``what`` (e.g. "x of site 2")."""
    if isinstance(value, bool):
        raise CorrectionError(f"{what} must be a number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CorrectionError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise CorrectionError(f"{what} must be a finite number, not {value!r}")
    return number


def _position(edit: dict[str, Any], who: str, height_A: float | None) -> dict[str, float]:
    """Checked ``x``, ``y`` (fractions in [0, 1], 1 wraps to 0) and ``z_A`` [Å]."""
    place: dict[str, float] = {}
    for key in ("x", "y"):
        value = _number(edit.get(key), f"{key} of {who}")
        if not 0.0 <= value <= 1.0:
            raise CorrectionError(f"{key} of {who} must be a fraction from 0 to 1, not {value:g}")
        place[key] = value % 1.0
    z = _number(edit.get("z_A"), f"z_A of {who}")
    if z < 0.0 or (height_A is not None and z >= height_A):
        limit = f"{height_A:.3f}" if height_A is not None else "c"
        raise CorrectionError(f"z_A of {who} must lie in the cell: 0 to {limit} Å, not {z:g}")
    place["z_A"] = z
    return place


def _lattice(edit: dict[str, Any]) -> dict[str, float]:
    lo, hi = LATTICE_LENGTH_A
    cell: dict[str, float] = {}
    for key in ("a", "b"):
        value = _number(edit.get(key), f"lattice {key}")
        if not lo <= value <= hi:
            raise CorrectionError(f"lattice {key} must be {lo:g} to {hi:g} Å, not {value:g}")
        cell[key] = value
    gamma = _number(edit.get("gamma"), "lattice gamma")
    lo, hi = LATTICE_GAMMA_DEG
    if not lo <= gamma <= hi:
        raise CorrectionError(f"lattice gamma must be {lo:g} to {hi:g}°, not {gamma:g}")
    cell["gamma"] = gamma
    return cell


def _site(edit: dict[str, Any], n_sites: int) -> int:
    site = edit.get("site")
    if not isinstance(site, int) or isinstance(site, bool) or not 0 <= site < n_sites:
        raise CorrectionError(f"site {site!r} does not exist (the structure has {n_sites})")
    return site


def checked_edits(
    edits: Sequence[dict[str, Any]], n_sites: int, *, height_A: float | None = None
) -> list[dict[str, Any]]:
    """The edits validated against a structure of ``n_sites`` sites, in a canonical form.

    Parameters
    ----------
    edits : sequence of dict
        The edits (see the module docstring).
    n_sites : int
        Sites of the structure corrected.
    height_A : float, optional
        Height of its cell along c [Å]: a ``z_A`` must lie below it.

    Raises
    ------
    CorrectionError
        No edit, an unknown operation, a site out of range, two edits of one site, a bad
        element, coordinate or lattice value, or every site removed.
    """
    if not edits:
        raise CorrectionError(
            "nothing to correct: change, move, add or remove a site, or the lattice"
        )
    clean: list[dict[str, Any]] = []
    seen: set[int] = set()
    for edit in edits:
        op = edit.get("op") if isinstance(edit, dict) else None
        if op not in OPS:
            raise CorrectionError(f"unknown correction {op!r}; use one of {', '.join(OPS)}")
        if op in SITE_OPS:
            site = _site(edit, n_sites)
            if site in seen:
                raise CorrectionError(f"site {site} is edited twice")
            seen.add(site)
        if op == "set_element":
            clean.append(
                {"op": op, "site": site, "element": normalize_element(edit.get("element"))}
            )
        elif op == "remove":
            clean.append({"op": op, "site": site})
        elif op == "move":
            clean.append({"op": op, "site": site, **_position(edit, f"site {site}", height_A)})
        elif op == "add":
            element = normalize_element(edit.get("element"))
            place = _position(edit, f"the added {element}", height_A)
            clean.append({"op": op, "element": element, **place})
        else:
            if any(e["op"] == "set_lattice" for e in clean):
                raise CorrectionError("the lattice is set twice")
            clean.append({"op": op, **_lattice(edit)})
    added = sum(e["op"] == "add" for e in clean)
    if added > MAX_ADDED:
        raise CorrectionError(f"at most {MAX_ADDED} sites can be added at once, not {added}")
    if sum(e["op"] == "remove" for e in clean) - added >= n_sites:
        raise CorrectionError("a structure needs at least one site")
    return clean


def cell_height_A(atoms: Atoms) -> float:
    """Height of the cell along the layer normal [Å] (c's component out of the ab-plane)."""
    cell = np.asarray(atoms.cell)
    normal = np.cross(cell[0], cell[1])
    return float(abs(np.dot(cell[2], normal)) / np.linalg.norm(normal))


def _fraction(cell: np.ndarray, x: float, y: float, z_A: float) -> list[float]:
    """Fractional coordinates of in-plane fractions ``x``, ``y`` at height ``z_A`` [Å]."""
    in_plane_z = x * cell[0, 2] + y * cell[1, 2]
    return [x, y, (z_A - in_plane_z) / cell[2, 2]]


def _new_cell(atoms: Atoms, lattice: dict[str, float]) -> np.ndarray:
    """The cell with a, b [Å], gamma [deg] replaced; c's length and angles kept."""
    from ase.geometry import cellpar_to_cell

    _, _, c, alpha, beta, _ = atoms.cell.cellpar()
    return cellpar_to_cell([lattice["a"], lattice["b"], c, alpha, beta, lattice["gamma"]])


def apply_edits(atoms: Atoms, edits: Sequence[dict[str, Any]]) -> Atoms:
    """A copy of ``atoms`` with ``edits`` applied (see :func:`checked_edits` and the module
    docstring): element changes, moves, removals, additions, then the lattice, so every
    ``site`` refers to the original order.

    Raises
    ------
    CorrectionError
        An edit that does not apply, or a moved, added or rescaled site closer than
        :data:`MIN_DISTANCE_A` to another.
    """
    edits = checked_edits(edits, len(atoms), height_A=cell_height_A(atoms))
    cell = np.asarray(atoms.cell)
    symbols = atoms.get_chemical_symbols()
    frac = atoms.get_scaled_positions(wrap=True)
    labels = [f"site {i} ({s})" for i, s in enumerate(symbols)]
    touched = np.zeros(len(atoms), dtype=bool)
    keep = np.ones(len(atoms), dtype=bool)
    new_cell = cell
    for edit in edits:
        op = edit["op"]
        if op == "set_element":
            symbols[edit["site"]] = edit["element"]
            labels[edit["site"]] = f"site {edit['site']} ({edit['element']})"
        elif op == "move":
            frac[edit["site"]] = _fraction(cell, edit["x"], edit["y"], edit["z_A"])
            touched[edit["site"]] = True
            labels[edit["site"]] = f"site {edit['site']} moved to ({_where(edit)})"
        elif op == "remove":
            keep[edit["site"]] = False
        elif op == "set_lattice":
            new_cell = _new_cell(atoms, edit)
            touched[:] = True
    added = [e for e in edits if e["op"] == "add"]
    result = Atoms(
        [s for s, k in zip(symbols, keep, strict=True) if k] + [e["element"] for e in added],
        scaled_positions=np.vstack(
            [frac[keep], *[_fraction(cell, e["x"], e["y"], e["z_A"]) for e in added]]
        ),
        cell=new_cell,
        pbc=True,
    )
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    labels += [f"the added {e['element']} at ({_where(e)})" for e in added]
    moved = np.concatenate([touched[keep], np.ones(len(added), dtype=bool)])
    _check_distances(result, labels, moved)
    return result


def _where(edit: dict[str, Any]) -> str:
    return f"x={edit['x']:.4g}, y={edit['y']:.4g}, z={edit['z_A']:.4g} Å"


def _check_distances(atoms: Atoms, labels: Sequence[str], moved: np.ndarray) -> None:
    """Refuse a moved (or added, or rescaled) site within :data:`MIN_DISTANCE_A` of another
    site or of a periodic image of itself."""
    if not moved.any():
        return
    lengths = atoms.cell.lengths()
    if lengths.min() < MIN_DISTANCE_A:
        raise CorrectionError(f"a cell edge of {lengths.min():.2f} Å puts sites on their images")
    distances = atoms.get_all_distances(mic=True)
    np.fill_diagonal(distances, np.inf)
    for i in np.flatnonzero(moved):
        j = int(np.argmin(distances[i]))
        if distances[i, j] < MIN_DISTANCE_A:
            raise CorrectionError(
                f"{labels[i]} would be {distances[i, j]:.2f} Å from {labels[j]}: "
                f"sites must be at least {MIN_DISTANCE_A} Å apart"
            )


def describe(atoms: Atoms) -> dict[str, Any]:
    """Structure columns of ``atoms``: CIF (pymatgen writer, as the reconstruction writes
    it), reduced formula, sorted elements, a, b [Å], gamma [deg], space group."""
    from pymatgen.core import Composition

    from reconstruction.stem2cif.symmetry import spacegroup, to_cif

    symbol, _number = spacegroup(atoms)
    return {
        "cif": to_cif(atoms),
        "formula": Composition(atoms.get_chemical_formula()).reduced_formula[:64],
        "elements": sorted(set(atoms.get_chemical_symbols())),
        **lattice(atoms),
        "spacegroup": symbol[:32],
    }


def lattice(atoms: Atoms) -> dict[str, float]:
    """``{"a", "b", "gamma"}`` of the cell [Å, Å, deg], rounded as the structure stores them."""
    cellpar = atoms.cell.cellpar()
    return {
        "a": round(float(cellpar[0]), 4),
        "b": round(float(cellpar[1]), 4),
        "gamma": round(float(cellpar[5]), 3),
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
