"""Fitting elemental chemical potentials to DFT formation energies.

μ_i minimise Σ_k ρ(E_k - Σ_i x_ki μ_i - e_k) + ridge Σ_i (μ_i - prior_i)², with x_ki atomic
fractions, E_k model energies, e_k DFT formation energies [eV/atom] and ρ the Huber loss
(robust: a few structures the model gets badly wrong must not drag every μ). The ridge
weight is chosen by cross-validation inside the training rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .dataset import id_hash

HUBER_DELTA_EV = 0.1  # residuals beyond this [eV/atom] count linearly, not quadratically
RIDGES = (0.001, 0.01, 0.1, 1.0, 10.0)


def _design(compositions: Sequence[dict[str, int]]) -> tuple[list[str], np.ndarray]:
    elements = sorted({s for comp in compositions for s in comp})
    index = {s: i for i, s in enumerate(elements)}
    x = np.zeros((len(compositions), len(elements)))
    for k, comp in enumerate(compositions):
        total = sum(comp.values())
        for symbol, count in comp.items():
            x[k, index[symbol]] = count / total
    return elements, x


def fit_chemical_potentials(
    compositions: Sequence[dict[str, int]],
    energies_eV_per_atom: Sequence[float],
    e_form_eV_per_atom: Sequence[float],
    prior: dict[str, float],
    *,
    ridge: float = 0.01,
    huber_delta_eV: float = HUBER_DELTA_EV,
    iterations: int = 30,
) -> dict[str, float]:
    """Chemical potentials that best turn model energies into the given formation energies.

    Parameters
    ----------
    compositions : sequence of dict
        Element counts per structure.
    energies_eV_per_atom : sequence of float
        Model energies E_k [eV/atom].
    e_form_eV_per_atom : sequence of float
        Target (DFT) formation energies e_k [eV/atom].
    prior : dict
        μ towards which the fit is regularised [eV/atom]; must hold every element.
    ridge : float
        Regularisation weight [per unit atomic fraction²].
    huber_delta_eV : float
        Huber threshold [eV/atom] (iteratively reweighted least squares).
    iterations : int
        Reweighting iterations.

    Returns
    -------
    dict
        μ for every element that occurs in ``compositions`` [eV/atom].
    """
    elements, x = _design(compositions)
    mu0 = np.array([prior[s] for s in elements])
    target = np.asarray(energies_eV_per_atom) - np.asarray(e_form_eV_per_atom) - x @ mu0
    weights = np.ones(len(target))
    penalty = ridge * np.eye(len(elements))
    for _ in range(max(1, iterations)):
        xw = x * weights[:, None]
        delta = np.linalg.solve(x.T @ xw + penalty, xw.T @ target)
        residual = np.abs(target - x @ delta)
        weights = np.where(
            residual <= huber_delta_eV, 1.0, huber_delta_eV / np.maximum(residual, 1e-12)
        )
    return {s: float(v) for s, v in zip(elements, mu0 + delta, strict=True)}


def prediction_errors(rows: Sequence[dict[str, Any]], mu: dict[str, float]) -> np.ndarray:
    """E/atom - Σ x_i μ_i - e_DFT per row [eV/atom]; ``mu`` must cover every element."""
    return np.array([
        r["energy_eV_per_atom"]
        - sum(n * mu[s] for s, n in r["composition"].items()) / sum(r["composition"].values())
        - r["e_form_dft_eV_per_atom"]
        for r in rows
    ])  # fmt: skip


def fit_rows(rows: Sequence[dict[str, Any]], prior: dict[str, float], ridge: float) -> dict:
    """:func:`fit_chemical_potentials` on rows (``composition``, ``energy_eV_per_atom``,
    ``e_form_dft_eV_per_atom``)."""
    return fit_chemical_potentials(
        [r["composition"] for r in rows],
        [r["energy_eV_per_atom"] for r in rows],
        [r["e_form_dft_eV_per_atom"] for r in rows],
        prior,
        ridge=ridge,
    )


def cross_validated_ridge(
    rows: Sequence[dict[str, Any]],
    prior: dict[str, float],
    *,
    ridges: Sequence[float] = RIDGES,
    folds: int = 5,
) -> tuple[float, dict[str, float]]:
    """The ridge weight with the lowest k-fold MAE inside ``rows`` (folds by id hash).

    Returns
    -------
    best : float
        Chosen ridge weight.
    cv_mae : dict
        Cross-validated MAE [eV/atom] per ridge weight (keys are the weights as strings).
    """
    fold = np.array([(id_hash(r["id"]) // 7) % folds for r in rows])
    cv_mae = {}
    for ridge in ridges:
        errors = []
        for f in range(folds):
            train = [r for r, g in zip(rows, fold, strict=True) if g != f]
            test = [r for r, g in zip(rows, fold, strict=True) if g == f]
            if not train or not test:
                continue
            mu = {**prior, **fit_rows(train, prior, ridge)}
            errors.append(prediction_errors(test, mu))
        cv_mae[str(ridge)] = float(np.mean(np.abs(np.concatenate(errors)))) if errors else np.inf
    best = min(ridges, key=lambda r: cv_mae[str(r)])
    return best, cv_mae
