"""A meeting prepared in two Chromium contexts against a real ASGI server (daphne), so that the
meeting page's socket works: issue 6's « Done when ».

Julien (staff, owner of « Zone d'activité du Royeux ») organises a meeting; Claire (staff,
member of the group) is invited. Claire gives a position with an argument on an item and
marks herself ready; Julien, on the meeting page, sees the preparation table change live
(without reloading); he opens the synthesis, records a decision, closes the meeting, and the
minutes appear in the group's feed. axe runs on every page and after every change.
"""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from groups.models import Group, Membership
from meetings import services
from meetings.models import Decision, Meeting
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
LIVE_MS = 10_000
ITEM = "Extension de la voirie du lot 4"
ARGUMENT = "Sans cette voie, le lot 4 reste invendable pour un industriel."
DECISION = "Lancer la consultation des entreprises de travaux pour la voirie du lot 4."


@pytest.fixture(scope="module")
def asgi_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    folders = tmp_path_factory.mktemp("daphne-meetings")
    env = {
        "FILES_ROOT": str(folders / "files"),
        "FILES_STAGING_DIR": str(folders / "uploads"),
    }
    with servers(1, **env) as ports:
        yield f"http://127.0.0.1:{ports[0]}"


def _wait_until_the_server_is_quiet(timeout: float = 10) -> None:
    """The database is emptied after the test only once no query of the server is running
    (the disconnect handlers of closed tabs), else TRUNCATE and those queries can deadlock."""
    quiet, deadline = 0, time.monotonic() + timeout
    with connection.cursor() as cursor:
        while quiet < 3 and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.1)


@pytest.fixture
def open_tab(browser, asgi_url):
    """`open_tab()`: a page in a fresh French context on the daphne server; a script error,
    a console error (CSP violations among them) or a failed sub-request fails the test."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make() -> Page:
        context = browser.new_context(locale="fr-FR", base_url=asgi_url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: problems.append(f"script error on {tab.url}: {error}"))
        tab.on(
            "console",
            lambda message: (
                problems.append(f"console error on {tab.url}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        tab.on(
            "response",
            lambda response: (
                problems.append(f"HTTP {response.status} for {response.url}")
                if response.status >= 400
                else None
            ),
        )
        return tab

    yield make
    for context in contexts:
        context.close()
    _wait_until_the_server_is_quiet()
    assert not problems, "\n".join(problems)


def login(page: Page, user: User) -> None:
    """The real sign-in page. The daphne process runs the production settings, whose password
    hashers do not include the tests' fast MD5 one: store a hash it can check."""
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    page.goto("/compte/login/")
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(HOME_URL)


def accessible(page: Page) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)


@pytest.fixture
def royeux(make_user) -> dict:
    julien = make_user(User.Kind.STAFF, display_name="Julien Bernard", handle="julien")
    claire = make_user(User.Kind.STAFF, display_name="Claire Martin", handle="claire")
    group = GroupFactory(
        name="Zone d'activité du Royeux",
        slug="zone-dactivite-du-royeux",
        visibility=Group.Visibility.PRIVATE,
        created_by=julien,  # and its owner
    )
    MembershipFactory(group=group, user=claire, role=Membership.Role.MEMBER)
    start = timezone.now() + timedelta(days=3)
    meeting = services.create_meeting(
        actor=julien,
        group=group,
        title="Comité de suivi de l'extension du Royeux",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Hôtel de communauté, salle du conseil",
        participants=[claire],
    )
    item = services.add_item(
        actor=julien,
        meeting=meeting,
        title=ITEM,
        description="Prolonger la voie de desserte de 120 m pour ouvrir le lot 4.",
    )
    services.add_item(actor=julien, meeting=meeting, title="Calendrier de la commercialisation")
    return {"group": group, "julien": julien, "claire": claire, "meeting": meeting, "item": item}


def _preparation_row(page: Page, name: str):
    return page.locator("#preparation tbody tr", has_text=name)


def test_a_participant_prepares_and_the_organiser_decides_and_closes(open_tab, royeux):
    meeting, item = royeux["meeting"], royeux["item"]
    url = f"/meetings/{meeting.pk}/"
    julien, claire = open_tab(), open_tab()
    login(julien, royeux["julien"])
    login(claire, royeux["claire"])

    # The organiser's page: Claire has not read the agenda nor prepared anything.
    julien.goto(url)
    expect(julien.get_by_role("heading", level=1)).to_have_text(meeting.title)
    row = _preparation_row(julien, "Claire Martin")
    expect(row.locator("td").nth(0)).to_have_text("non")
    expect(row.locator("td").nth(2)).to_have_text("0 sur 2")
    accessible(julien)
    julien.wait_for_function("() => window.Maillage && window.Maillage.socket()")

    # Claire gives a position with an argument on the first item, then says she is ready.
    claire.goto(url)
    point = claire.locator(f"#point-{item.pk}")
    expect(point.get_by_role("heading", name=ITEM)).to_be_visible()
    accessible(claire)
    point.get_by_role("radio", name="Pour").check()
    point.get_by_label("Votre argument (facultatif)").fill(ARGUMENT)
    point.get_by_role("button", name="Enregistrer ma position").click()
    # (The confirmation line is transient: the page's own live refresh of the item may
    # replace it, so the lasting state is checked.)
    point = claire.locator(f"#point-{item.pk}")
    expect(point.get_by_role("button", name="Changer ma position")).to_be_visible()
    expect(point.get_by_role("radio", name="Pour")).to_be_checked()
    expect(point.get_by_label("Votre argument (facultatif)")).to_have_value(ARGUMENT)
    accessible(claire)
    claire.get_by_role("button", name="Je suis prêt·e").click()
    expect(claire.locator("#ma-preparation")).to_contain_text(
        "Vous êtes indiqué·e comme prêt·e pour la réunion."
    )
    accessible(claire)

    # Julien sees it live, without reloading: ready, agenda read, one item prepared.
    row = _preparation_row(julien, "Claire Martin")
    expect(row.locator("td").nth(0)).to_have_text("oui", timeout=LIVE_MS)
    expect(row.locator("td").nth(1)).to_have_text("oui", timeout=LIVE_MS)
    expect(row.locator("td").nth(2)).to_have_text("1 sur 2", timeout=LIVE_MS)
    expect(julien.locator(f"#point-{item.pk}")).to_contain_text("Positions (1 avis)")
    accessible(julien)

    # He opens the synthesis: the position counted and the argument under « Pour ».
    julien.get_by_role("link", name="Synthèse de la réunion").click()
    expect(julien).to_have_url(f"{julien.url.split('/meetings/')[0]}{url}synthese/")
    expect(julien.get_by_text(ARGUMENT)).to_be_visible()
    expect(julien.locator("main")).to_contain_text(ITEM)
    accessible(julien)

    # Back on the meeting page, he records a decision on the item, owned by Claire.
    julien.goto(url)
    julien.get_by_label("Décision ou action").fill(DECISION)
    julien.get_by_label("Responsable").select_option(str(royeux["claire"].pk))
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    julien.get_by_label("Échéance (facultative)").fill(due)
    julien.get_by_label("Point de l’ordre du jour").select_option(str(item.pk))
    julien.get_by_role("button", name="Enregistrer la décision").click()
    expect(julien.locator("#decisions")).to_contain_text(DECISION)
    accessible(julien)
    decision = Decision.objects.get(meeting=meeting)
    assert (decision.owner, decision.item_id) == (royeux["claire"], item.pk)

    # He closes the meeting: the minutes are published in the group's feed.
    julien.get_by_text("Clore la réunion…").click()
    julien.get_by_role("button", name="Confirmer la clôture").click()
    # (The status badge is not checked: « Close » is translated « Fermer » by Django admin's
    # French catalogue — reported to the core's author.)
    expect(julien.locator("#outils")).to_have_count(0)  # nothing left to record
    minutes_link = julien.get_by_role("link", name="Compte rendu publié dans le fil du groupe")
    expect(minutes_link).to_be_visible()
    accessible(julien)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert meeting.minutes_post is not None

    julien.goto(f"/groupes/{royeux['group'].slug}/")
    minutes = julien.locator("article", has_text=f"Compte rendu de la réunion « {meeting.title} »")
    expect(minutes.first).to_be_visible()
    expect(minutes.first).to_contain_text(DECISION)
    expect(minutes.first).to_contain_text(ARGUMENT)
    accessible(julien)

    # Claire, who is a member of the group, finds it in the feed too.
    claire.goto(f"/groupes/{royeux['group'].slug}/")
    expect(claire.locator("article", has_text="Compte rendu de la réunion").first).to_be_visible()
    accessible(claire)
