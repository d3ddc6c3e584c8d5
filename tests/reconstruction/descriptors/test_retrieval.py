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
        "distance": pytest.approx(matches[0].distance, abs=1e-6),
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


def test_it_ranks_by_the_paper_histogram_too(mos2_descriptor):
    rdf = ArrayRetriever(small_library(), vector="rdf")
    assert rdf.top_k(mos2_descriptor, ["Mo", "S"], k=1)[0].id == "MoS2-2H"


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
    np.testing.assert_allclose(back.rich, small_library().rich, atol=2e-3)  # float16
    top = ArrayRetriever.from_dump(path).top_k(mos2_descriptor, ["Mo", "S"], k=1)
    assert top[0].id == "MoS2-2H"


def test_it_refuses_a_dump_of_another_descriptor_version(tmp_path):
    lib = small_library()
    old = LibraryArrays(lib.records, lib.rdf, lib.rich, descriptor_version="rdf32-v0")
    path = write_dump(old, tmp_path / "old.npz")
    with pytest.raises(ValueError, match="rebuild the library"):
        read_dump(path)
    with pytest.raises(FileNotFoundError, match="build_templates"):
        read_dump(tmp_path / "missing.npz")
