"""Browser-test helpers that test modules may import; the fixtures are in conftest.py."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browsers are never installed
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 5_000
HOME_URL = re.compile(r"^https?://[^/]+/$")

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()


def accessibility_violations(page: Page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations of the page as it is now, one line
    each: rule id, impact, then the CSS selector of every node at fault."""
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


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill and send the real (French) sign-in form; the page must be open."""
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Connexion").click()
