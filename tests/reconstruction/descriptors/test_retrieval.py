"""ArrayRetriever: exact top-k over a library dump, filtered by element set."""

from __future__ import annotations

import numpy as np
import pytest

from reconstruction.descriptors import (
    ArrayRetriever,
    Retriever,
    describe_image,
    elements_allowed,
    read_dump,
    write_dump,
)
from reconstruction.descriptors.library import LibraryArrays
from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image, small_library


@pytest.fixture(scope="module")
def retriever() -> ArrayRetriever:
    return ArrayRetriever(small_library())


@pytest.fixture(scope="module")
def mos2_descriptor():
    return describe_image(noisy_image(STRUCTURES["MoS2-2H"](), rotation=71.0), pixel_size_A=0.1)


def test_it_is_a_retriever(retriever):
    assert isinstance(retriever, Retriever)


def test_it_finds_the_structure_of_a_noisy_rotated_image(retriever, mos2_descriptor):
    matches = retriever.top_k(mos2_descriptor, ["S", "Mo"], k=5)
    assert [m.id for m in matches] == ["MoS2-2H", "MoS2-1T"]
    assert matches[0].distance < 0.02 < matches[1].distance
    assert matches[0].structure.get_chemical_formula() == "MoS2"
    assert matches[0].as_dict() == {
        "id": "MoS2-2H", "formula": "MoS2", "elements": ["Mo", "S"], "spacegroup": "P1",
        "distance": pytest.approx(matches[0].distance, abs=1e-6), "vector": "rich",
        "formation_energy_per_atom": -0.5,
    }  # fmt: skip


def test_it_returns_only_templates_with_the_exact_element_set(retriever, mos2_descriptor):
    assert [m.id for m in retriever.top_k(mos2_descriptor, "W,S")] == ["WS2-2H"]
    assert retriever.top_k(mos2_descriptor, ["Mo", "Te"]) == []


def test_it_allows_unlisted_light_elements_only_when_asked(retriever):
    d = describe_image(noisy_image(STRUCTURES["C-graphene"]()), pixel_size_A=0.1)
    assert [m.id for m in retriever.top_k(d, ["C"])] == ["C-graphene"]
    ids = [m.id for m in retriever.top_k(d, ["C"], allow_subset=True)]
    assert sorted(ids) == ["C-graphene", "CH-graphane"]
    assert elements_allowed(("C", "H"), ("C",), allow_subset=True)
    assert not elements_allowed(("Mo", "S", "W"), ("Mo", "S"), allow_subset=True)
    assert not elements_allowed(("C", "H"), ("C",), allow_subset=False)


def test_it_ranks_by_the_paper_histogram_too(retriever, mos2_descriptor):
    rdf = ArrayRetriever(small_library(), vector="rdf")
    assert rdf.top_k(mos2_descriptor, ["Mo", "S"], k=1)[0].id == "MoS2-2H"
    per_call = retriever.top_k(mos2_descriptor, ["Mo", "S"], vector="rdf")
    assert [(m.id, m.distance) for m in per_call] == [
        (m.id, m.distance) for m in rdf.top_k(mos2_descriptor, ["Mo", "S"])
    ]
    with pytest.raises(ValueError, match="vector"):
        retriever.top_k(mos2_descriptor, ["Mo", "S"], vector="pixels")


def test_it_holds_structures_out(retriever, mos2_descriptor):
    held_out = retriever.without(["MoS2-2H"])
    assert len(held_out) == len(retriever) - 1
    assert [m.id for m in held_out.top_k(mos2_descriptor, ["Mo", "S"])] == ["MoS2-1T"]


def test_it_refuses_bad_queries(retriever, mos2_descriptor):
    with pytest.raises(ValueError, match="k must be"):
        retriever.top_k(mos2_descriptor, ["Mo", "S"], k=0)
    with pytest.raises(ValueError):
        retriever.top_k(mos2_descriptor, ["Mo", "Xx"])
    with pytest.raises(ValueError, match="vector"):
        ArrayRetriever(small_library(), vector="pixels")


def test_it_round_trips_the_dump(tmp_path, mos2_descriptor):
    path = write_dump(small_library(), tmp_path / "lib.npz")
    back = read_dump(path)
    assert [r["id"] for r in back.records] == [r["id"] for r in small_library().records]
    assert back.modes == ("idpc", "haadf")
    for mode in back.modes:  # float16 in the dump
        np.testing.assert_allclose(
            back.matrix("rich", mode), small_library().matrix("rich", mode), atol=2e-3
        )
    top = ArrayRetriever.from_dump(path).top_k(mos2_descriptor, ["Mo", "S"], k=1)
    assert top[0].id == "MoS2-2H"


def test_it_still_reads_a_dump_of_the_first_format(tmp_path):
    import json

    lib = small_library()
    meta = {"format": 1, "descriptor_version": lib.descriptor_version, "records": lib.records}
    path = tmp_path / "v1.npz"
    np.savez_compressed(
        path,
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        rdf=lib.matrix("rdf").astype(np.float16),
        rich=lib.matrix("rich").astype(np.float16),
    )
    back = read_dump(path)
    assert back.modes == ("idpc",) and len(back.records) == len(lib.records)


def test_it_compares_an_image_with_templates_rendered_in_its_imaging_mode(retriever):
    image = noisy_image(STRUCTURES["MoS2-2H"](), rotation=71.0, mode="haadf")
    haadf = describe_image(image, pixel_size_A=0.1, mode="haadf")
    assert haadf.mode == "haadf"
    top = retriever.top_k(haadf, ["Mo", "S"], k=1)[0]
    assert top.id == "MoS2-2H" and top.distance < 0.02
    # Against the iDPC rendering the same structure is farther: HAADF weights contrast
    # by Z^1.7, so the contrast profile differs.
    idpc_row = small_library().matrix("rich", "idpc")[0]
    cos = float(haadf.rich @ idpc_row) / float(
        np.linalg.norm(haadf.rich) * np.linalg.norm(idpc_row)
    )
    assert 1.0 - cos > top.distance


def test_it_refuses_a_mode_the_library_was_not_described_in(retriever):
    image = noisy_image(STRUCTURES["MoS2-2H"](), mode="abf")
    abf = describe_image(image, pixel_size_A=0.1, mode="abf")
    with pytest.raises(LookupError, match=r"no abf descriptors.*build_templates --modes abf"):
        retriever.top_k(abf, ["Mo", "S"])


def test_it_skips_templates_not_described_in_the_query_mode(mos2_descriptor):
    lib = small_library()
    haadf = {k: v.copy() for k, v in lib.vectors["haadf"].items()}
    for v in haadf.values():
        v[0] = np.nan  # MoS2-2H has no HAADF descriptor
    partial = ArrayRetriever(
        LibraryArrays(lib.records, {"idpc": lib.vectors["idpc"], "haadf": haadf})
    )
    image = noisy_image(STRUCTURES["MoS2-2H"](), mode="haadf")
    ids = [
        m.id for m in partial.top_k(describe_image(image, pixel_size_A=0.1, mode="haadf"), "Mo,S")
    ]
    assert ids == ["MoS2-1T"]
    assert partial.top_k(mos2_descriptor, "Mo,S", k=1)[0].id == "MoS2-2H"


def test_it_refuses_a_dump_of_another_descriptor_version(tmp_path):
    lib = small_library()
    old = LibraryArrays(lib.records, lib.vectors, descriptor_version="rdf32-v0")
    path = write_dump(old, tmp_path / "old.npz")
    with pytest.raises(ValueError, match="rebuild the library"):
        read_dump(path)
    with pytest.raises(FileNotFoundError, match="build_templates"):
        read_dump(tmp_path / "missing.npz")
