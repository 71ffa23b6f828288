"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every test in this folder is marked `e2e` and put in the xdist group "browser", so that with
`pytest -n 2 --dist loadgroup` they all run on one worker, with one browser and one live
server. Each test gets a fresh browser context (no cookies shared between tests).

Fixtures:
- `page`: a new tab in a new French context whose `base_url` is the live server; the test
  fails on a script error, a console error (CSP violations among them) or a failed sub-request.
- `visit(path)`: opens a page, checks its HTTP status and runs axe on it. Use it for every page.
- `assert_accessible(page)`: axe with the WCAG 2.1 A and AA rules; fails on serious and
  critical violations. Call it again after anything that changes the page (htmx swaps,
  errors or messages shown).
- `login(page, user)`: signs in through the real sign-in page and ends on the home page.
Plain helpers (`sign_in`, `HOME_URL`, ...) are in tests/e2e/browser.py.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOME_URL,
    TIMEOUT_MS,
    accessibility_violations,
    sign_in,
)
from tests.factories import PASSWORD

# The live server speaks WSGI only: the socket of static/js/realtime.js cannot connect.
# Failed loads are reported with their URL by the response listener, not from the console.
CONSOLE_NOISE = re.compile(r"WebSocket|ws://|^Failed to load resource", re.IGNORECASE)
E2E_DIR = Path(__file__).parent


def pytest_configure(config):
    # Registered by pytest-xdist, but the suite also runs with `-p no:xdist` and strict markers.
    config.addinivalue_line("markers", "xdist_group(name): tests that share one xdist worker")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole folder.

    Package scope rather than session scope: Playwright's sync API leaves its event loop
    marked as running in this thread for as long as it lives, which breaks async code
    (async_to_sync in tests/realtime) in the tests that the same process runs after this
    folder. For the same reason Django's async-safety check must be lifted so that tests can
    use the ORM between two browser calls: it is lifted only while the browser lives.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not CONSOLE_NOISE.search(message.text):
            problems.append(f"console error on {tab.url}: {message.text}")

    def on_response(response: Response) -> None:
        request = response.request
        # Pages themselves are checked by `visit` or by the test.
        if response.status >= 400 and request.resource_type != "document":
            problems.append(f"HTTP {response.status} for {request.method} {response.url}")

    tab.on("console", on_console)
    tab.on("response", on_response)
    tab.on("pageerror", lambda error: problems.append(f"script error on {tab.url}: {error}"))
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def assert_accessible():
    def check(page: Page) -> None:
        violations = accessibility_violations(page)
        assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)

    return check


@pytest.fixture
def visit(page, assert_accessible):
    """`visit(path, status=200)`: open a page of the live server (following redirects),
    check the status of the final response, run axe; returns the response."""

    def go(path: str, *, status: int = 200, accessible: bool = True) -> Response:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
        if accessible:
            assert_accessible(page)
        return response

    return go


@pytest.fixture
def login():
    """`login(page, user)`: sign in through the real sign-in page; ends on the home page."""

    def do(page: Page, user, password: str = PASSWORD) -> None:
        page.goto("/compte/login/")
        sign_in(page, user.email, password)
        expect(page).to_have_url(HOME_URL)

    return do
