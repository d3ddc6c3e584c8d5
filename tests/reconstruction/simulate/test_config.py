import json

import numpy as np
import pytest

from reconstruction.simulate.config import ImagingConfig, SimulationError, SimulationResult
from reconstruction.simulate.fast import simulate_fast
from tests.reconstruction.simulate.helpers import mos2


def test_it_round_trips_the_config_through_json():
    config = ImagingConfig(mode="haadf", dose_e_per_A2=5e3, shape_px=(64, 80), rotation_deg=12.5)
    again = ImagingConfig.from_dict(json.loads(json.dumps(config.as_dict())))
    assert again == config
    assert hash(again) == hash(config)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mode", "bf"),
        ("dose_e_per_A2", -1.0),
        ("pixel_size_A", 0.0),
        ("shape_px", (1, 64)),
        ("haadf_mrad", (200.0, 60.0)),
        ("source_size_A", float("nan")),
    ],
)
def test_it_rejects_bad_parameters_by_name(name, value):
    with pytest.raises(SimulationError, match=name):
        ImagingConfig(**{name: value})


def test_it_rejects_unknown_keys():
    with pytest.raises(SimulationError, match="unknown"):
        ImagingConfig.from_dict({"modee": "idpc"})


def test_it_round_trips_the_result_through_json():
    result = simulate_fast(mos2(), ImagingConfig(shape_px=(24, 20)))
    again = SimulationResult.from_dict(json.loads(json.dumps(result.as_dict())))
    np.testing.assert_array_equal(again.image, result.image)
    np.testing.assert_allclose(again.columns_xy_px, result.columns_xy_px)
    assert again.column_species == result.column_species
    assert again.config == result.config
