"""Fixtures of the curation tests: a curator of Lab A (dora) and finished runs' structures.

alice and bob are members of Lab A, charlie of Lab B (tests/conftest.py); dora is a member
and the curator of Lab A.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from automat_web.structures.curators import grant_curator
from automat_web.structures.models import Structure
from tests.automat_web.runs.conftest import simulated_mos2_tiff, upload
from tests.automat_web.runs.helpers import finished_run
from tests.conftest import _user


@pytest.fixture
def dora(lab_a):
    """The curator of Lab A."""
    user = _user("dora", lab_a)
    grant_curator(user, lab_a)
    return user


@pytest.fixture
def make_structure(tmp_path: Path):
    """``make_structure(owner, group, seed=...)``: the machine result of a finished run of a
    freshly uploaded (simulated MoS2) sample; each seed is a distinct file."""

    def make(owner, group, *, seed: int = 7, name: str = "MoS2") -> Structure:
        tif = simulated_mos2_tiff(tmp_path / f"mos2-{seed}.tif", size=96, seed=seed)
        sample = upload(tif, owner, group, name=name)
        return finished_run(sample, tmp_path).structure

    return make


@pytest.fixture
def structure(make_structure, alice, lab_a) -> Structure:
    """The machine result (MoS2: one Mo, two S) of a run of alice's sample in Lab A."""
    return make_structure(alice, lab_a)


@pytest.fixture
def token_client(db):
    """``token_client(user)``: a client with only ``Authorization: Token <key>``."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
