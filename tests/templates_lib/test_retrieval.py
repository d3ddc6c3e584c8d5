"""The pgvector retriever: top-k in one SQL query, filtered by element set."""

from __future__ import annotations

import pytest
from django.db import connection

from reconstruction.descriptors import ArrayRetriever, Retriever, describe_image
from templates_lib import services
from templates_lib.models import Template
from tests.reconstruction.descriptors.library import STRUCTURES, noisy_image


@pytest.fixture(scope="module")
def mos2_image_descriptor():
    return describe_image(noisy_image(STRUCTURES["MoS2-2H"](), rotation=40.0), pixel_size_A=0.1)


@pytest.fixture(scope="module")
def mos2_haadf_descriptor():
    image = noisy_image(STRUCTURES["MoS2-2H"](), rotation=40.0, mode="haadf")
    return describe_image(image, pixel_size_A=0.1, mode="haadf")


def test_it_is_a_retriever_that_answers_in_one_query(
    built, mos2_image_descriptor, django_assert_num_queries
):
    retriever = services.retriever()
    assert isinstance(retriever, Retriever)
    with django_assert_num_queries(1):
        matches = retriever.top_k(mos2_image_descriptor, ["Mo", "S"], k=10)
    assert [m.id for m in matches] == ["MoS2-2H", "MoS2-1T"]
    assert matches[0].distance < 0.02 < matches[1].distance
    assert matches[0].formation_energy_per_atom == pytest.approx(-0.842)
    assert matches[0].structure.get_chemical_formula() == "MoS2"


def test_it_agrees_with_exact_search_on_the_exported_dump(
    built, tmp_path, mos2_image_descriptor, mos2_haadf_descriptor
):
    exact = ArrayRetriever.from_dump(services.export_dump(tmp_path / "lib.npz"))
    assert exact.library.modes == ("idpc", "haadf", "abf")
    for vector in ("rich", "rdf"):
        for d in (mos2_image_descriptor, mos2_haadf_descriptor):
            pg = services.PgRetriever(vector=vector).top_k(d, ["Mo", "S"])
            ex = ArrayRetriever(exact.library, vector=vector).top_k(d, ["Mo", "S"])
            assert [m.id for m in pg] == [m.id for m in ex]
            assert [m.distance for m in pg] == pytest.approx([m.distance for m in ex], abs=2e-3)
            per_call = services.retriever().top_k(d, ["Mo", "S"], vector=vector)
            assert [m.distance for m in per_call] == [m.distance for m in pg]


def test_it_compares_within_the_query_imaging_mode(built, mos2_haadf_descriptor):
    matches = services.retriever().top_k(mos2_haadf_descriptor, ["Mo", "S"])
    assert [m.id for m in matches] == ["MoS2-2H", "MoS2-1T"]
    assert matches[0].distance < 0.02 < matches[1].distance
    Template.objects.update(rich_haadf=None, rdf_haadf=None)
    with pytest.raises(LookupError, match="no haadf descriptors"):
        services.retriever().top_k(mos2_haadf_descriptor, ["Mo", "S"])


def test_it_admits_unlisted_light_elements_only_when_asked(built):
    d = describe_image(noisy_image(STRUCTURES["C-graphene"]()), pixel_size_A=0.1)
    r = services.retriever()
    assert [m.id for m in r.top_k(d, ["C"])] == ["C-graphene"]
    assert {m.id for m in r.top_k(d, ["C"], allow_subset=True)} == {"C-graphene", "CH-graphane"}
    assert r.top_k(d, ["Mo"], allow_subset=True) == []


def test_it_has_hnsw_indexes_the_planner_can_use(built, mos2_image_descriptor):
    qs = services.retriever().queryset(mos2_image_descriptor, ["Mo", "S"])
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        plan = (
            Template.objects.annotate(distance=qs.query.annotations["distance"])
            .order_by("distance")[:5]
            .explain()
        )
    assert "template_rich_hnsw" in plan
    names = {i.name for i in Template._meta.indexes}
    assert {"template_rdf_hnsw", "template_elements", "template_elements_gin"} <= names


def test_it_refuses_bad_queries(built, mos2_image_descriptor):
    with pytest.raises(ValueError, match="k must be"):
        services.retriever().top_k(mos2_image_descriptor, ["Mo", "S"], k=0)
    with pytest.raises(ValueError, match="vector"):
        services.PgRetriever(vector="pixels")


def test_it_lists_every_template_of_an_element_set_in_any_mode(built, tmp_path):
    """What the quality gate compares a structure with: all Mo-S monolayers, unranked."""
    import math

    listed = services.retriever().with_elements(["S", "Mo"])
    assert [m.id for m in listed] == ["MoS2-1T", "MoS2-2H"]
    assert all(math.isnan(m.distance) for m in listed)
    exact = ArrayRetriever.from_dump(services.export_dump(tmp_path / "lib.npz"))
    assert sorted(m.id for m in exact.with_elements(["Mo", "S"])) == [m.id for m in listed]
    assert services.retriever().with_elements(["W", "Se"]) == []
