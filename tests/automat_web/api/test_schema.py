"""The OpenAPI schema of /api/v1/, its Swagger UI and Redoc pages, and the /api/ aliases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_generates_a_valid_schema_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    # --fail-on-warn: a view the generator cannot describe fails here, not in a client.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = set(schema["paths"])
    assert all(p.startswith("/api/v1/") for p in paths)
    assert {"/api/v1/samples/", "/api/v1/runs/{id}/", "/api/v1/structures/"} <= paths
    upload = schema["paths"]["/api/v1/samples/"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_it_serves_the_schema_to_anyone() -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_it_serves_the_doc_pages_under_the_csp(client, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    policy = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline scripts, no other hosts
    styles = policy["style-src"].split()
    assert "'unsafe-inline'" not in styles
    [nonce] = [s.removeprefix("'nonce-").rstrip("'") for s in styles if s.startswith("'nonce-")]
    assert re.search(r"<script>|<script [^>]*>[^<]", html) is None
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<style[^>]*>", html))
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    for static in (s for s in sources if s.startswith("/static/")):
        assert finders.find(static.removeprefix("/static/")), static
    if page.endswith("docs/"):
        [script] = [s for s in sources if "script" in s]
        init = client.get(script)
        assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()


def test_it_keeps_the_unversioned_aliases(token_client, alice) -> None:
    client = token_client(alice)
    for path in ("/api/samples/", "/api/runs/", "/api/structures/"):
        assert client.get(path).json() == client.get(path.replace("/api/", "/api/v1/")).json()
    assert client.get("/api/v1/").status_code == 200  # the browsable root lists v1's links
    assert "/api/v1/samples/" in client.get("/api/v1/").json()["samples"]
