"""Element assignment of motif sites from their contrast, the given elements and chemistry.

Each site's intensity is measured on the cell-averaged image, i.e. over the whole
population of equivalent columns. A column holds one atom or two of the same element
stacked along the beam (the S2 columns of 2H-MoS2). Its expected contrast is modelled as
``sum Z**exponent`` over its atoms (iDPC ~ projected potential, HAADF ~ Z^1.7). Every
assignment of contents to sites is scored by a chi-square on intensity ratios plus
priors: every given element appears, the reduced formula is one known for monolayers,
stacked columns cost a little.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from ase.data import atomic_numbers
from pymatgen.core import Composition

from reconstruction.errors import ElementsInconsistent

#: Contrast exponent per imaging mode: column intensity ~ sum of Z**exponent.
CONTRAST_EXPONENT = {"idpc": 0.75, "haadf": 1.7, "abf": 1.0}
_FORMULAS_FILE = Path(__file__).with_name("known_formulas.json")
MAX_ENUMERATION = 20_000


@lru_cache(maxsize=1)
def known_formulas() -> frozenset[str]:
    """Reduced formulas (pymatgen style) of the monolayers in the data set."""
    return frozenset(json.loads(_FORMULAS_FILE.read_text())["formulas"])


@dataclass(frozen=True)
class SiteAssignment:
    """Contents of every site and how sure we are.

    Attributes
    ----------
    contents : tuple of tuple
        Per site, (element, atoms stacked in the column), e.g. ("S", 2).
    confidence : tuple of float
        Per site, posterior probability of its content (0..1).
    formula : str
        Reduced formula of the assignment.
    chi2 : float
        Intensity misfit of the chosen assignment.
    """

    contents: tuple[tuple[str, int], ...]
    confidence: tuple[float, ...]
    formula: str
    chi2: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "contents": [list(c) for c in self.contents],
            "confidence": list(self.confidence),
            "formula": self.formula,
            "chi2": self.chi2,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SiteAssignment:
        return cls(
            contents=tuple((str(e), int(n)) for e, n in d["contents"]),
            confidence=tuple(float(c) for c in d["confidence"]),
            formula=str(d["formula"]),
            chi2=float(d["chi2"]),
        )


def assign_elements(
    intensity: np.ndarray,
    elements: list[str],
    *,
    mode: str = "idpc",
    multiplicity: np.ndarray | None = None,
    relative_error: float = 0.12,
    formula_penalty: float = 8.0,
    stack_penalty: float = 2.0,
    max_stack: int = 2,
    exponent: float | None = None,
    response: dict[str, float] | None = None,
    known: Collection[str] | None = None,
) -> SiteAssignment:
    """Assign each site a content (element, stacked count) from its mean intensity.

    Parameters
    ----------
    intensity : np.ndarray
        Mean column intensity of each site (K,), above the background (> 0).
    elements : list of str
        Elements present (every one must be used).
    mode : str
        Imaging mode, sets the contrast exponent.
    multiplicity : np.ndarray, optional
        Columns per cell of each site (K,), default 1.
    relative_error : float
        Relative model error of the intensity model.
    formula_penalty : float
        Score added when the reduced formula is not a known monolayer formula.
    stack_penalty : float
        Score added per stacked site.
    max_stack : int
        Most atoms of one element stacked in a column.
    exponent : float, optional
        Contrast exponent; default ``CONTRAST_EXPONENT[mode]``.
    response : dict, optional
        Contrast of one atom of each element (any common unit), e.g. from
        :func:`reconstruction.stem2cif.contrast.single_atom_response`; replaces the Z power law.
    known : collection of str, optional
        Reduced formulas (pymatgen style) that pay no ``formula_penalty``: the
        stoichiometries of the template library in use. Default :func:`known_formulas`
        (the data set's); a library that leaves a structure out must leave out its
        formula too, or a held-out test is told the answer's stoichiometry.

    Returns
    -------
    SiteAssignment

    Raises
    ------
    ElementsInconsistent
        Fewer distinguishable sites than elements.
    """
    intensity = np.maximum(np.asarray(intensity, float), 1e-12)
    k = len(intensity)
    mult = np.ones(k, int) if multiplicity is None else np.asarray(multiplicity, int)
    if k < len(elements):
        raise ElementsInconsistent(
            f"{len(elements)} elements given ({', '.join(elements)}) but the image shows "
            f"only {k} distinct column site(s) per unit cell"
        )
    options = [(e, n) for e in elements for n in range(1, max_stack + 1)]
    gamma = CONTRAST_EXPONENT[mode] if exponent is None else exponent
    if response is not None:
        weight = np.array([n * response[e] for e, n in options])
    else:
        weight = np.array([n * atomic_numbers[e] ** gamma for e, n in options])
    groups = _groups(intensity, len(options))
    hyps = _hypotheses(len(groups), len(options), len(elements), max_stack)
    site_hyps = np.zeros((len(hyps), k), dtype=int)
    for g, members in enumerate(groups):
        site_hyps[:, members] = hyps[:, [g]]
    score, chi2 = _scores(
        site_hyps,
        intensity,
        weight,
        options,
        elements,
        mult,
        relative_error,
        formula_penalty,
        stack_penalty,
        known_formulas() if known is None else frozenset(known),
    )
    best = int(np.argmin(score))
    prob = np.exp(-0.5 * (score - score[best]))
    prob /= prob.sum()
    chosen = site_hyps[best]
    confidence = [(prob * (site_hyps[:, i] == chosen[i])).sum() for i in range(k)]
    contents = tuple(options[j] for j in chosen)
    return SiteAssignment(
        contents=contents,
        confidence=tuple(float(c) for c in confidence),
        formula=_formula(contents, mult),
        chi2=float(chi2[best]),
    )


def _groups(intensity: np.ndarray, n_options: int) -> list[np.ndarray]:
    """Sites enumerated one by one when few, else split into as many intensity classes as
    the enumeration allows, at the largest gaps of log-intensity."""
    k = len(intensity)
    if n_options**k <= MAX_ENUMERATION:
        return [np.array([i]) for i in range(k)]
    n_classes = max(1, int(np.log(MAX_ENUMERATION) / np.log(n_options)))
    order = np.argsort(intensity)
    gaps = np.diff(np.log(intensity[order]))
    cuts = np.sort(np.argsort(gaps)[::-1][: n_classes - 1]) + 1
    return [order[part] for part in np.split(np.arange(k), cuts)]


def _hypotheses(n_groups: int, n_options: int, n_elements: int, max_stack: int) -> np.ndarray:
    """All content choices (H, n_groups) that use every element."""
    grid = np.array(list(itertools.product(range(n_options), repeat=n_groups)), dtype=int)
    element_of = grid // max_stack
    uses_all = np.all([(element_of == e).any(axis=1) for e in range(n_elements)], axis=0)
    if not uses_all.any():
        raise ElementsInconsistent(
            f"{n_elements} elements given but only {n_groups} column contrast class(es) seen"
        )
    return grid[uses_all]


def _scores(site_hyps, intensity, weight, options, elements, mult, rel, p_formula, p_stack, known):
    w = weight[site_hyps]  # (H, K)
    scale = (w * intensity).sum(axis=1) / (w * w).sum(axis=1)
    model = scale[:, None] * w
    # Errors on log-ratios keep bright and faint sites on the same footing.
    chi2 = (np.log(intensity[None, :] / model) ** 2 / rel**2).sum(axis=1)
    stacked = np.array([n > 1 for _, n in options])[site_hyps].sum(axis=1)
    element_of = np.array([elements.index(e) for e, _ in options])[site_hyps]
    atoms = np.array([n for _, n in options])[site_hyps] * mult[None, :]
    counts = np.stack([(atoms * (element_of == e)).sum(axis=1) for e in range(len(elements))], 1)
    counts //= np.gcd.reduce(counts, axis=1)[:, None]
    unique, inverse = np.unique(counts, axis=0, return_inverse=True)
    cost = np.array(
        [
            0.0
            if Composition(dict(zip(elements, map(int, row), strict=True))).reduced_formula in known
            else p_formula
            for row in unique
        ]
    )
    return chi2 + p_stack * stacked + cost[inverse.ravel()], chi2


def _formula(contents: tuple[tuple[str, int], ...], mult: np.ndarray) -> str:
    counts: dict[str, int] = {}
    for (element, n), m in zip(contents, mult, strict=True):
        counts[element] = counts.get(element, 0) + int(n * m)
    return Composition(counts).reduced_formula
