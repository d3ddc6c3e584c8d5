"""Recording a run through the service's own steps, without a worker or the science."""

from __future__ import annotations

from pathlib import Path

from automat_web.runs import execution
from automat_web.runs.models import Run
from reconstruction.agent import AgentResult, StepRecord

CIF = """data_MoS2
_cell_length_a 3.184
_cell_length_b 3.184
_cell_length_c 20.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 120
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Mo1 Mo 0.0 0.0 0.5
S1 S 0.3333 0.6667 0.4217
S2 S 0.3333 0.6667 0.5783
"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # stored and served as bytes, never decoded


def agent_result(status: str = "succeeded") -> AgentResult:
    ok = status == "succeeded"
    return AgentResult(
        status=status,
        error=None if ok else "no lattice found",
        policy="rules",
        cif=CIF if ok else None,
        formula="MoS2" if ok else None,
        elements=["Mo", "S"],
        lattice={"a": 3.184, "b": 3.184, "gamma": 120.0} if ok else None,
        spacegroup="P-6m2" if ok else None,
        energy=(
            {
                "formation_energy_per_atom": -0.81,
                "total_energy_per_atom": -7.24,
                "model": "sevennet-0",
                "relaxed": False,
            }
            if ok
            else None
        ),
        template={"id": "2dm-1", "formula": "MoS2", "distance": 0.012} if ok else None,
        matches=[
            {
                "id": "2dm-1",
                "formula": "MoS2",
                "elements": ["Mo", "S"],
                "spacegroup": "P-6m2",
                "distance": 0.012,
                "formation_energy_per_atom": -0.84,
            }
        ],
        timings_s={"stem2cif": 1.0, "total": 1.0},
    )


def write_step(run: Run, attempt: int, tmp_path: Path, *, index: int = 0) -> None:
    residual = tmp_path / f"residual-{attempt}-{index}.png"
    residual.write_bytes(PNG + bytes([attempt, index]))
    thumbnail = tmp_path / f"template-{attempt}-{index}.png"
    thumbnail.write_bytes(PNG + b"template")
    execution._StepWriter(run.pk, attempt)(
        StepRecord(
            index=index,
            tool="check",
            args={"mode": "idpc"},
            ok=True,
            summary="simulated vs input: score 0.97",
            result={"score": 0.97, "nan": float("nan")},
            artifacts={"residual": residual, "template-2dm-1": thumbnail},
            duration_s=0.5,
            message="check the reconstruction against the image",
        )
    )


def finished_run(sample, tmp_path: Path, *, status: str = "succeeded") -> Run:
    """A run of ``sample`` taken, stepped and finished by the service, as a worker would."""
    run = sample.runs.filter(status="queued").first() or Run.objects.create(sample=sample)
    attempt = execution._claim(run.pk, task_id="t", hostname="test@host")
    write_step(run, attempt, tmp_path)
    execution._finish(Run.objects.get(pk=run.pk), attempt, agent_result(status))
    run.refresh_from_db()
    return run
