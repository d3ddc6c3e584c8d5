"""schemathesis against the live schema: every operation of /api/v1/, with generated valid
and invalid input, answers without a server error and as the schema says it does."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.automat_web.runs.conftest import upload
from tests.automat_web.runs.helpers import finished_run
from tests.fixtures import micrographs

#: Examples per operation: 13 operations take about a minute on 2 cores.
EXAMPLES = 30


@pytest.fixture
def live_api(live_server, alice, charlie, tmp_path: Path, monkeypatch) -> dict:
    """The schema as a client loads it, alice's token, and data behind both: alice's sample
    with a finished run and its structure, and a sample of another lab."""
    # Hundreds of requests a minute are the point here, not what the throttle is for.
    monkeypatch.setattr(UserRateThrottle, "allow_request", lambda *args: True)
    sample = upload(micrographs.calibrated_tiff(tmp_path / "a.tif"), alice, alice.groups.get())
    run = finished_run(sample, tmp_path)
    upload(micrographs.dm3(tmp_path / "c.dm3"), charlie, charlie.groups.get())
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/")
    return {
        # POST and DELETE /token/ replace and revoke the very token this test sends.
        "schema": schema.exclude(path="/api/v1/token/", method=["POST", "DELETE"]),
        "headers": {"Authorization": f"Token {Token.objects.create(user=alice).key}"},
        "ids": {"samples": sample.pk, "runs": run.pk, "structures": run.structure.pk},
        "group": "Lab A",
    }


def _strategy(operation, live_api: dict):
    """Valid and invalid cases; half of them aimed at existing rows (random ids are 404s
    and random lab names 400s, which test little)."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    known = live_api["ids"].get(operation.path.split("/")[3])

    def aim(pair: tuple) -> object:
        case, real = pair
        if real and case.path_parameters and "id" in case.path_parameters:
            case.path_parameters["id"] = known
        if real and isinstance(case.body, dict):
            if "group" in case.body:
                case.body["group"] = live_api["group"]
            if "sample" in case.body:
                case.body["sample"] = live_api["ids"]["samples"]
        return case

    return st.tuples(cases, st.booleans()).map(aim)


def test_it_answers_every_operation_without_a_server_error(live_api: dict) -> None:
    # Each operation in a loop of our own: schemathesis' pytest plugin (``from_fixture``)
    # reads a pytest internal that pytest 9 no longer has.
    failures: dict[str, str] = {}
    operations = [result.ok() for result in live_api["schema"].get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:

        @given(case=_strategy(operation, live_api))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same examples every run
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            case.call_and_validate(
                headers=live_api["headers"],
                checks=[not_a_server_error, response_schema_conformance],
                timeout=60,
            )

        try:
            check()
        except Exception as exc:  # collected, reported together below
            failures[operation.label] = str(exc)[:3000]
    assert failures == {}
