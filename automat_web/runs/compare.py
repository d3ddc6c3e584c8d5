"""Two runs of a sample side by side: the rows of the comparison page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automat_web.runs.models import Run


@dataclass(frozen=True)
class Row:
    """One fact of both runs; ``differs`` when they disagree."""

    label: str
    a: str
    b: str

    @property
    def differs(self) -> bool:
        return self.a != self.b


def _number(value: Any, fmt: str, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):{fmt}}{unit}"
    except (TypeError, ValueError):
        return str(value)


def facts(run: Run) -> dict[str, str]:
    """What the comparison shows of ``run``, as text (label -> value)."""
    structure = getattr(run, "structure", None) if run.status in Run.WITH_STRUCTURE else None
    result = run.result or {}
    lattice = result.get("lattice") or {}
    energy = result.get("energy") or {}
    info = run.provenance or {}
    potential = info.get("potential") or {}
    templates = info.get("templates") or {}
    policy = info.get("policy") or {}
    denoiser = info.get("denoiser") or {}
    return {
        "Status": run.get_status_display(),
        "Policy": run.policy
        + (f" ({policy.get('model')} at {policy.get('endpoint')})" if policy.get("model") else ""),
        "Started": run.started.strftime("%Y-%m-%d %H:%M:%S") if run.started else "—",
        "Finished": run.finished.strftime("%Y-%m-%d %H:%M:%S") if run.finished else "—",
        "Formula": (structure.formula if structure else result.get("formula")) or "—",
        "Space group": (structure.spacegroup if structure else result.get("spacegroup")) or "—",
        "a": _number(structure.a if structure else lattice.get("a"), ".4f", " Å"),
        "b": _number(structure.b if structure else lattice.get("b"), ".4f", " Å"),
        "γ": _number(structure.gamma if structure else lattice.get("gamma"), ".2f", "°"),
        "Formation energy": _number(
            structure.formation_energy_per_atom
            if structure
            else energy.get("formation_energy_per_atom"),
            ".3f",
            " eV/atom",
        ),
        "Energy model": (structure.energy_model if structure else energy.get("model")) or "—",
        "Check score": _number(run.check_score, ".3f"),
        "Template": ((result.get("template") or {}).get("id")) or "—",
        "Code version": (info.get("code") or {}).get("version") or "—",
        "Denoiser weights": (denoiser.get("sha256") or "—")[:16],
        "Potential": " ".join(
            str(part) for part in (potential.get("name"), potential.get("version")) if part
        )
        or "—",
        "Template library": (
            f"{templates.get('descriptor_version')} · {templates.get('count')} templates · "
            f"{str(templates.get('sha256'))[:12]}"
            if templates.get("sha256")
            else "—"
        ),
    }


def rows(a: Run, b: Run) -> list[Row]:
    left, right = facts(a), facts(b)
    return [Row(label, left[label], right[label]) for label in left]


def review_rows(a: Run, b: Run) -> list[Row]:
    """The quality gate's checks of both runs, by check name."""
    left = {c.get("name"): c for c in a.review_checks}
    right = {c.get("name"): c for c in b.review_checks}
    names = list(left) + [name for name in right if name not in left]
    return [Row(str(name), _check(left.get(name)), _check(right.get(name))) for name in names]


def _check(check: dict | None) -> str:
    if check is None:
        return "—"
    return ("✓ " if check.get("ok") else "✗ ") + str(check.get("detail") or "")
