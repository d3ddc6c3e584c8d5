import numpy as np

from reconstruction.simulate.cell import orthogonal_cell, project_columns, tile_columns
from tests.reconstruction.simulate.helpers import MOS2_A, mos2


def test_it_makes_a_hexagonal_cell_rectangular_without_strain():
    cell = orthogonal_cell(mos2())
    a, b = cell.ab
    assert cell.strain == 0.0
    assert abs(a - MOS2_A) < 1e-9
    assert abs(b - MOS2_A * np.sqrt(3)) < 1e-9
    assert len(cell.atoms) == 6


def test_it_groups_the_two_sulfur_atoms_into_one_column():
    columns = project_columns(orthogonal_cell(mos2()))
    assert sorted(columns.species) == ["Mo", "Mo", "S2", "S2"]
    assert sorted(columns.z.tolist()) == [32, 32, 42, 42]


def test_it_lists_every_column_inside_the_field_once():
    cell = orthogonal_cell(mos2())
    columns = project_columns(cell)
    xy, index = tile_columns(
        columns, cell.ab, shape_px=(200, 300), pixel_size_A=0.1, rotation_deg=31.0
    )
    area = 200 * 300 * 0.01
    expected = area / (cell.ab[0] * cell.ab[1]) * len(columns.xy)
    assert abs(len(xy) - expected) < 0.1 * expected
    assert xy.min() >= -0.05 and xy[:, 0].max() < 29.95 and xy[:, 1].max() < 19.95
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 99
    assert gaps.min() > 1.8  # Mo-S projected distance is a / sqrt(3) = 1.84 Å
    assert set(index.tolist()) == set(range(len(columns.xy)))
