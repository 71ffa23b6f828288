"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every test in this folder is marked `e2e` and put in the xdist group "browser", so that with
`pytest -n 2 --dist loadgroup` they all run on one worker, with one browser and one live
server. Each test gets a fresh browser context (no cookies shared between tests).

Helpers, all fixtures:
- `page`: a new tab in a new French context, whose `base_url` is the live server.
- `visit(path)`: opens a page, checks its status and runs axe on it. Use it for every page.
- `assert_accessible(page)`: axe, WCAG 2.1 A and AA rules, fails on serious and critical
  violations. Call it again after anything that changes the page (htmx swaps, errors shown).
- `login(page, user)`: signs in through the real sign-in page.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# The live server speaks WSGI only: the socket of static/js/realtime.js cannot connect.
# Failed loads are reported by URL from the responses instead of from the console.
CONSOLE_NOISE = re.compile(r"WebSocket|ws://|^Failed to load resource", re.IGNORECASE)
# Chromium asks for it on its own; the site declares no icon.
UNCHECKED_PATHS = ("/favicon.ico",)
TIMEOUT_MS = 5_000

E2E_DIR = Path(__file__).parent
_axe = Axe()


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
def browser() -> Browser:
    """One Chromium for the whole folder.

    Package scope rather than session scope: Playwright's sync API leaves its event loop
    marked as running in this thread for as long as it lives, which would break async code
    (async_to_sync, Channels' communicators) and Django's async-safety check in the tests that
    the same xdist worker runs after this folder. Django's check is lifted only meanwhile, so
    that the tests may use the ORM between two browser calls.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server) -> Page:
    """A tab in a fresh context. Fails the test on a script error, a console error (CSP
    violations are reported there) or a failed sub-request; pages themselves are checked
    by `visit` or by the test."""
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not CONSOLE_NOISE.search(message.text):
            problems.append(f"console error on {tab.url}: {message.text}")

    def on_response(response: Response) -> None:
        request = response.request
        if (
            response.status >= 400
            and request.resource_type != "document"
            and not response.url.endswith(UNCHECKED_PATHS)
        ):
            problems.append(f"HTTP {response.status} for {request.method} {response.url}")

    tab.on("console", on_console)
    tab.on("response", on_response)
    tab.on("pageerror", lambda error: problems.append(f"script error on {tab.url}: {error}"))
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


def accessibility_violations(page: Page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


@pytest.fixture
def assert_accessible():
    def check(page: Page) -> None:
        violations = accessibility_violations(page)
        assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)

    return check


@pytest.fixture
def visit(page, assert_accessible):
    """`visit(path)`: open a page of the live server, check its status, run axe; returns
    the response. `status` is the expected HTTP status of the final response."""

    def go(path: str, *, status: int = 200, accessible: bool = True) -> Response:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
        if accessible:
            assert_accessible(page)
        return response

    return go


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill and send the real sign-in form (the page must be open)."""
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Connexion").click()


@pytest.fixture
def login():
    """`login(page, user)`: sign in through the real sign-in page; ends on the home page."""

    def do(page: Page, user, password: str = PASSWORD) -> None:
        page.goto("/compte/login/")
        sign_in(page, user.email, password)
        expect(page).to_have_url(re.compile(r"/$"))

    return do
