"""An accepted structure goes into the template library in one action: rendered and
described in every imaging mode, and retrieval finds it at once."""

from __future__ import annotations

import pytest

from automat_web.structures import services
from reconstruction.simulate.config import MODES
from templates_lib.models import Template, vector_column
from templates_lib.services import retriever

pytestmark = pytest.mark.django_db


def test_an_unaccepted_structure_is_refused(structure, dora) -> None:
    with pytest.raises(services.CurationError, match="only an accepted structure"):
        services.promote(structure, curator=dora)
    assert not Template.objects.exists()


def test_the_page_promotes_an_accepted_structure(client, structure, dora) -> None:
    version = services.correct(
        structure, curator=dora, edits=[{"op": "set_element", "site": 0, "element": "W"}]
    )
    services.review(version, reviewer=dora, state="accepted")
    client.force_login(dora)
    assert b'id="promote-form"' in client.get(version.get_absolute_url()).content
    response = client.post(f"/structures/{version.pk}/promote/", follow=True)
    assert "Added to the template library" in response.content.decode()
    template = Template.objects.get()
    version.refresh_from_db()
    assert version.library_id == template.source_id == services.library_id(version)
    assert version.promoted_by == dora and version.promoted_at is not None
    assert (template.source, template.formula, list(template.elements)) == (
        "curated",
        "WS2",
        ["S", "W"],
    )
    for mode in MODES:
        assert getattr(template, vector_column("rich", mode)) is not None
    found = retriever().with_elements(["W", "S"])
    assert [m.id for m in found] == [template.source_id]
    # Promoting again replaces the same template rather than adding one.
    client.post(f"/structures/{version.pk}/promote/")
    assert Template.objects.count() == 1
