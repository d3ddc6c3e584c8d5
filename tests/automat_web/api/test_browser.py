"""In a browser, under the site's CSP: the API's Swagger UI and Redoc pages render every
operation with no policy violation and nothing from another host, and a user creates a
token on the profile page."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.e2e.conftest import browser, log_in, page, screenshot  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What Redoc's footer loads from its vendor's CDN (blocked by img-src, then hidden).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _watch_csp(page) -> list[str]:  # noqa: F811 - the fixture imported above
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return errors


def test_swagger_ui_renders_under_the_csp(page) -> None:  # noqa: F811
    csp_errors = _watch_csp(page)
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path >> text=/api/v1/samples/")
    assert page.locator(".opblock").count() >= 14
    screenshot(page, "api-swagger")
    assert csp_errors == []


def test_redoc_renders_under_the_csp(browser, live_server) -> None:  # noqa: F811
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()  # not the shared fixture: the blocked logo is expected here
    elsewhere: list[str] = []
    ours = (live_server.url, f"blob:{live_server.url}")  # the blob: its search worker
    tab.on("request", lambda r: None if r.url.startswith(ours) else elsewhere.append(r.url))
    csp_errors = _watch_csp(tab)
    tab.goto("/api/v1/redoc/")
    tab.wait_for_selector("h2 >> text=samples_create")
    # The styles Redoc injects carry the nonce: its menu is laid out, not a plain list.
    menu = tab.locator(".menu-content")
    assert menu.evaluate("e => getComputedStyle(e).position") in {"sticky", "fixed"}
    assert tab.locator(f"img[src='{REDOC_LOGO}']").count() == 0  # hidden once refused
    screenshot(tab, "api-redoc")
    context.close()
    assert set(elsewhere) <= {REDOC_LOGO}
    assert [e for e in csp_errors if REDOC_LOGO not in e] == []


def test_a_user_creates_a_token_on_the_profile_page(page, alice) -> None:  # noqa: F811
    csp_errors = _watch_csp(page)
    log_in(page, "alice", "alice-pw-2026")
    page.click("nav >> text=Profile")
    page.click("button[value=create]")
    key = page.inner_text("#new-token")
    assert key == Token.objects.get(user=alice).key
    page.reload()  # the page after the POST's redirect: a reload neither shows nor replaces
    assert page.locator("#new-token").count() == 0
    assert Token.objects.get(user=alice).key == key
    assert csp_errors == []
