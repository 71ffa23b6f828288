"""The bell, live: Anne mentions Bruno in a post; Bruno's bell count rises without a reload
(two Chromium contexts, one real daphne process sharing the test database and Redis);
clicking the bell then the notification opens the post, and the count goes back to none."""

import re
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from tests.e2e.browser import HOME_URL, TIMEOUT_MS, accessibility_violations, sign_in
from tests.factories import PASSWORD, GroupFactory, MembershipFactory
from tests.servers import servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis: the daphne process shares them with the test",
    ),
]
LIVE_MS = 15_000


@pytest.fixture(scope="module")
def asgi_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    folders = tmp_path_factory.mktemp("daphne-files")
    env = {"FILES_ROOT": str(folders / "files"), "FILES_STAGING_DIR": str(folders / "uploads")}
    with servers(1, **env) as ports:
        yield f"http://127.0.0.1:{ports[0]}"


@pytest.fixture
def open_tab(browser, asgi_url):
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make() -> Page:
        context = browser.new_context(locale="fr-FR", base_url=asgi_url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: problems.append(f"script error on {tab.url}: {error}"))
        return tab

    yield make
    for context in contexts:
        context.close()
    _wait_until_the_server_is_quiet()
    assert not problems, "\n".join(problems)


def _wait_until_the_server_is_quiet(timeout: float = 10) -> None:
    """The database is emptied after the test only once no query of the server runs."""
    quiet, deadline = 0, time.monotonic() + timeout
    with connection.cursor() as cursor:
        while quiet < 3 and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.1)


def login(page: Page, user: User) -> None:
    """The daphne process runs the production hashers: store a hash it can check."""
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    page.goto("/compte/login/")
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(HOME_URL)


def accessible(page: Page) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)


def test_a_mention_raises_the_bell_live_and_opens_the_post(open_tab, make_user):
    anne = make_user(User.Kind.STAFF, display_name="Anne Martin", handle="anne")
    bruno = make_user(User.Kind.STAFF, display_name="Bruno Petit", handle="bruno")
    group = GroupFactory(name="Innovation", slug="innovation", created_by=anne)
    MembershipFactory(group=group, user=bruno)

    anne_tab, bruno_tab = open_tab(), open_tab()
    login(anne_tab, anne)
    login(bruno_tab, bruno)
    bell = bruno_tab.locator("#notification-bell")
    count = bell.locator("[data-notification-count]")
    expect(count).to_be_hidden()
    bruno_tab.wait_for_function("() => window.Maillage && window.Maillage.connected()")

    anne_tab.goto("/groupes/innovation/")
    anne_tab.get_by_label("Votre message").fill("Bonjour @bruno, tu relis la note ?")
    anne_tab.get_by_role("button", name="Publier").click()
    expect(anne_tab.get_by_text("tu relis la note ?")).to_be_visible()

    # Bruno's bell counts it without a reload.
    expect(count).to_be_visible(timeout=LIVE_MS)
    expect(count).to_have_text("1")

    bell.click()
    expect(bruno_tab).to_have_url(re.compile(r"/notifications/$"))
    expect(bruno_tab.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    accessible(bruno_tab)
    bruno_tab.get_by_role("link", name=re.compile("Anne Martin vous a mentionné")).click()
    expect(bruno_tab).to_have_url(re.compile(r"/publications/\d+/$"))
    expect(bruno_tab.get_by_text("tu relis la note ?")).to_be_visible()
    expect(count).to_be_hidden()  # read: the count is back to none
