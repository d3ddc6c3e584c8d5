"""The stem2cif tool offers every match: the one whose column contrasts follow the image is
used, and the step says which."""

from __future__ import annotations

from reconstruction.agent.state import AgentState
from reconstruction.agent.tools import call, default_tools
from reconstruction.data import monolayer
from reconstruction.descriptors import TemplateMatch
from tests.reconstruction.bench.samples import benchmark_sample


def _match(template_id: str, distance: float) -> TemplateMatch:
    atoms = monolayer(template_id)
    return TemplateMatch(
        id=template_id, formula=atoms.get_chemical_formula(), elements=("Co", "Mn", "O"),
        spacegroup="", distance=distance, structure=atoms, formation_energy_per_atom=None,
    )  # fmt: skip


def test_the_match_whose_contrasts_follow_the_image_is_used(tmp_path):
    # Benchmark sample 0353 of the fast 450 HAADF set (seed 0): MnCo2O6 at 1.1e4 e/Å²;
    # MnCo3O8 describes nearer and fits its cation lattice, the contrasts tell them apart.
    image, _ = benchmark_sample(
        tmp_path / "set", sample_id="0353-2dlam-MnCo2O6-1", structure_id="2dlam-MnCo2O6-1",
        tier=3, dose_e_per_A2=11297.4, rotation_deg=113.87, shape_px=512, seed=1644020018,
        mode="haadf",
    )  # fmt: skip
    state = AgentState(
        original=image, image=image, pixel_size_A=0.1, elements=["Co", "Mn", "O"],
        mode="haadf", artifacts_dir=tmp_path / "run",
    )  # fmt: skip
    state.artifacts_dir.mkdir()
    state.matches = [_match("2dlam-MnCo3O8-1", 0.0005), _match("2dlam-MnCo2O6-1", 0.0022)]
    out = call(default_tools()["stem2cif"], state, {"template": "2dlam-MnCo3O8-1"})
    assert out.error is None, out.error
    assert "from 2dlam-MnCo2O6-1" in out.output.summary
    assert out.output.result["formula"] == "Mn(CoO3)2"
    assert out.output.result["template"]["id"] == "2dlam-MnCo2O6-1"
    assert (
        out.output.result["prior"]["accepted"]
        and out.output.result["prior"]["id"] == "2dlam-MnCo2O6-1"
    )
    assert any("used over the nearer 2dlam-MnCo3O8-1" in w for w in out.output.result["warnings"])
