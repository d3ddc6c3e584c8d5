"""result.json carries every column found, in pixels, with its motif site: what the portal
draws over the micrograph and exports as annotations."""

from __future__ import annotations

import json

import numpy as np

from reconstruction.stem2cif import reconstruct, report
from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image


def test_the_details_list_each_column_and_its_site():
    image = noisy_image(STRUCTURES["MoS2-2H"](), rotation=12.0, dose=1.5e4, seed=4)
    result = reconstruct(image, pixel_size_A=0.1, elements="Mo,S")

    details = json.loads(json.dumps(report.details(result)))

    xy = np.asarray(details["columns_xy_px"])
    assert xy.shape == (details["n_columns"], 2) and len(xy) > 100
    assert np.abs(xy - result.columns_xy_px).max() <= 0.005
    assert details["column_site"] == [int(i) for i in result.column_site]
    assert set(details["column_site"]) == set(range(len(details["sites"])))
    assert (xy >= -1).all() and (xy <= np.array(image.shape[::-1]) + 1).all()
