"""What a run of the agent leaves behind: one :class:`StepRecord` per tool call and an
:class:`AgentResult` whose ``as_dict`` is the ``result.json`` of ARCHITECTURE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ase import Atoms

STATUSES = ("succeeded", "needs_review", "failed", "cancelled")


@dataclass
class StepRecord:
    """One tool call.

    Attributes
    ----------
    index : int
        Position in the run, from 0.
    tool : str
        Tool name (``denoise``, ``match_templates``, ``stem2cif``, ``check``,
        ``predict_properties``, ``rollback``).
    args : dict
        Arguments as validated (defaults filled in); as given when they failed validation.
    ok : bool
        Whether the tool succeeded.
    summary : str
        One line for a person (the error when not ``ok``).
    result : dict
        JSON-able numbers of the tool's result.
    artifacts : dict of str to Path
        Name -> file written under the run's ``artifacts_dir``.
    duration_s : float
        Wall time of the call [s].
    error : str or None
        Why the tool failed.
    message : str or None
        The policy's reason for the call (rules) or the language model's text.
    """

    index: int
    tool: str
    args: dict[str, Any]
    ok: bool
    summary: str
    result: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    duration_s: float = 0.0
    error: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (artifact paths as strings)."""
        return {
            "index": self.index,
            "tool": self.tool,
            "args": dict(self.args),
            "ok": self.ok,
            "summary": self.summary,
            "result": dict(self.result),
            "artifacts": {k: str(v) for k, v in self.artifacts.items()},
            "duration_s": self.duration_s,
            "error": self.error,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepRecord:
        return cls(
            index=int(d["index"]),
            tool=d["tool"],
            args=dict(d["args"]),
            ok=bool(d["ok"]),
            summary=d["summary"],
            result=dict(d.get("result", {})),
            artifacts={k: Path(v) for k, v in d.get("artifacts", {}).items()},
            duration_s=float(d.get("duration_s", 0.0)),
            error=d.get("error"),
            message=d.get("message"),
        )


@dataclass
class AgentResult:
    """The outcome of :func:`reconstruction.agent.run_agent`.

    Attributes
    ----------
    status : str
        ``"succeeded"`` (a structure that passed every check of the quality gate),
        ``"needs_review"`` (a structure that failed one: kept, with the reasons),
        ``"failed"`` (no structure) or ``"cancelled"``.
    error : str or None
        Why the run failed, stopped or needs review.
    policy : str
        ``"direct"``, ``"rules"`` or ``"llm"`` (or a custom policy's name).
    steps : list of StepRecord
        Every tool call, in order.
    structure : ase.Atoms or None
        Final structure (primitive cell, layer in xy, vacuum along c).
    cif : str or None
        Its CIF text.
    formula : str or None
        Reduced formula.
    elements : list of str
        Elements given.
    mode : str or None
        Imaging mode of the image (``"idpc"``, ``"haadf"``, ``"abf"``).
    pixel_size_A : float or None
        Pixel size the image was read at [Å/px].
    lattice : dict or None
        ``{"a", "b", "gamma"}`` of the final cell [Å, deg].
    spacegroup : str or None
        Hermann-Mauguin symbol.
    energy : dict or None
        ``formation_energy_per_atom``, ``total_energy_per_atom`` [eV/atom], ``model``,
        ``relaxed`` (and ``references``, ``converged``).
    template : dict or None
        ``{"id", "formula", "distance", "use"}`` of the template used (``use``: its whole
        ``structure``, its ``heights``, or ``adopted`` on the measured cell); None when the
        structure owes nothing to a template.
    prior : dict or None
        The template STEM2CIF was offered as a prior for the structure kept, whether it was
        used or not: ``id``, ``vector``, ``distance``, ``accepted``, ``reason``, ... (see
        :mod:`reconstruction.stem2cif.prior`); None when it was offered none.
    stem2cif : dict or None
        STEM2CIF's numbers for the structure kept (:func:`reconstruction.stem2cif.report.
        details`: ``sites``, ``lattice_image``, ``fraction_explained``, ``n_columns``,
        ``source_sigma_A``) with its ``warnings`` and per-stage times ``stages_s`` [s];
        None when the structure was not read from the image.
    matches : list of dict
        Top-k template matches (``TemplateMatch.as_dict()``).
    timings_s : dict
        Seconds per tool (summed over calls) and ``total``.
    review : list of dict
        The quality gate's checks of the final structure (``GateCheck.as_dict()``).
    """

    status: str
    error: str | None
    policy: str
    steps: list[StepRecord] = field(default_factory=list)
    structure: Atoms | None = None
    cif: str | None = None
    formula: str | None = None
    elements: list[str] = field(default_factory=list)
    lattice: dict[str, float] | None = None
    spacegroup: str | None = None
    energy: dict[str, Any] | None = None
    template: dict[str, Any] | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None
    pixel_size_A: float | None = None
    prior: dict[str, Any] | None = None
    stem2cif: dict[str, Any] | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    review: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def as_dict(self) -> dict[str, Any]:
        """The ``result.json`` shape (the structure as its CIF text)."""
        return {
            "status": self.status,
            "error": self.error,
            "policy": self.policy,
            "formula": self.formula,
            "elements": list(self.elements),
            "mode": self.mode,
            "pixel_size_A": self.pixel_size_A,
            "lattice": self.lattice,
            "spacegroup": self.spacegroup,
            "energy": self.energy,
            "template": self.template,
            "prior": self.prior,
            "matches": list(self.matches),
            "timings_s": dict(self.timings_s),
            "review": [dict(c) for c in self.review],
            "stem2cif": self.stem2cif,
            "cif": self.cif,
            "steps": [s.as_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AgentResult:
        """Inverse of :meth:`as_dict` (the structure is read back from the CIF)."""
        structure = None
        if d.get("cif"):
            import io

            from ase.io import read

            structure = read(io.StringIO(d["cif"]), format="cif")
        return cls(
            status=d["status"],
            error=d.get("error"),
            policy=d["policy"],
            steps=[StepRecord.from_dict(s) for s in d.get("steps", [])],
            structure=structure,
            cif=d.get("cif"),
            formula=d.get("formula"),
            elements=list(d.get("elements", [])),
            lattice=d.get("lattice"),
            spacegroup=d.get("spacegroup"),
            energy=d.get("energy"),
            template=d.get("template"),
            matches=list(d.get("matches", [])),
            mode=d.get("mode"),
            pixel_size_A=d.get("pixel_size_A"),
            prior=d.get("prior"),
            stem2cif=d.get("stem2cif"),
            timings_s=dict(d.get("timings_s", {})),
            review=[dict(c) for c in d.get("review", [])],
        )
