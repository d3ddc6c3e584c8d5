"""Reviews move a structure unreviewed -> accepted / rejected (and back), each move an
audit-trail row with who, when and the comment; the rows are never overwritten."""

from __future__ import annotations

import pytest

from automat_web.structures import services
from automat_web.structures.models import Review, Structure

pytestmark = pytest.mark.django_db


def test_it_starts_unreviewed_and_records_each_review(structure, dora) -> None:
    assert structure.curation_state == "unreviewed" and not structure.reviews.exists()
    first = services.review(structure, reviewer=dora, state="accepted", comment="fits the image")
    second = services.review(structure, reviewer=dora, state="rejected", comment="S is too low")
    structure.refresh_from_db()
    assert structure.curation_state == "rejected"
    rows = list(structure.reviews.all())
    assert rows == [first, second]
    assert [(r.from_state, r.to_state) for r in rows] == [
        ("unreviewed", "accepted"),
        ("accepted", "rejected"),
    ]
    assert all(r.reviewer == dora for r in rows)
    assert rows[0].comment == "fits the image" and rows[0].created <= rows[1].created


def test_it_refuses_a_move_that_is_not_allowed(structure, dora) -> None:
    services.review(structure, reviewer=dora, state="accepted")
    with pytest.raises(services.CurationError, match="accepted already"):
        services.review(structure, reviewer=dora, state="accepted")
    with pytest.raises(services.CurationError, match="saving a correction"):
        services.review(structure, reviewer=dora, state="corrected")
    with pytest.raises(services.CurationError, match="unknown review state"):
        services.review(structure, reviewer=dora, state="unreviewed ")
    assert Review.objects.count() == 1


def test_a_corrected_structure_is_final(structure, dora) -> None:
    services.correct(structure, curator=dora, edits=[{"op": "remove", "site": 1}])
    structure.refresh_from_db()
    assert structure.curation_state == "corrected"
    with pytest.raises(services.CurationError, match="newer version"):
        services.review(structure, reviewer=dora, state="accepted")
    with pytest.raises(services.CurationError, match="newer version"):
        services.correct(structure, curator=dora, edits=[{"op": "remove", "site": 2}])
    assert Structure.objects.count() == 2  # the refused correction left no version behind


def test_the_review_page_form_records_a_review(client, structure, dora) -> None:
    client.force_login(dora)
    page = client.get(structure.get_absolute_url())
    assert page.status_code == 200 and b'id="review-form"' in page.content
    response = client.post(
        f"/structures/{structure.pk}/review/", {"state": "accepted", "comment": "good fit"}
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.to_state, review.reviewer, review.comment) == ("accepted", dora, "good fit")
    page = client.get(structure.get_absolute_url()).content.decode()
    assert 'data-to="accepted"' in page and "good fit" in page and "dora" in page
