"""A lab the sample is not shared with gets 404 on every sharing URL, page and API, even
while another lab sees the sample."""

from __future__ import annotations

import pytest
from django.urls import reverse

from automat_web.samples import sharing

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_answers_404_to_a_third_lab(client, alice, erin, lab_b, lab_c, processed) -> None:
    sharing.share(processed.sample, lab_b, by=alice)
    client.force_login(erin)
    url = reverse("samples:sharing", args=[processed.sample_id])
    for action in ("share", "unshare", "public", "private"):
        assert client.post(url, {"action": action, "group": lab_c.pk}).status_code == 404
    api = token_client(erin)
    base = f"/api/v1/samples/{processed.sample_id}"
    assert api.get(f"{base}/sharing/").status_code == 404
    for path, body in (
        ("share", {"group": "Lab C"}),
        ("unshare", {"group": "Lab B"}),
        ("visibility", {"public": True}),
    ):
        assert api.post(f"{base}/{path}/", body, format="json").status_code == 404, path
    assert list(sharing.shared_with(processed.sample)) == [lab_b]
    processed.sample.refresh_from_db()
    assert not processed.sample.is_public
