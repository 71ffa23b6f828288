"""Instant messaging in two Chromium contexts against a real ASGI server (daphne).

pytest-django's live server speaks WSGI only, so the sockets of static/js/realtime.js cannot
connect there: this test starts one daphne process on the test database (and Redis) instead.
Agnès (staff) and Fatou (a start-up member) both belong to « Le Garage »: Agnès writes from
Fatou's profile; Fatou's unread badge counts it without reload; the message, the typing
indicator, « Vu » and the reply all arrive live; and a message sent while Fatou's network is
cut appears exactly once when it comes back.
"""

import re
import time
from collections.abc import Iterator
from uuid import uuid4

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from groups.models import Group
from messaging import selectors, services
from messaging.models import Message
from tests.e2e.browser import HOME_URL, TIMEOUT_MS, accessibility_violations, sign_in
from tests.factories import PASSWORD, GroupFactory, MembershipFactory, OrganisationFactory
from tests.files.conftest import png_bytes
from tests.servers import servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis: the daphne process shares them with the test",
    ),
]
LIVE_MS = 15_000  # socket reconnection after the network returns has a back-off


@pytest.fixture(scope="module")
def asgi_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    # Files uploaded through the server go to folders of this test run, not to var/.
    folders = tmp_path_factory.mktemp("daphne-files")
    env = {
        "FILES_ROOT": str(folders / "files"),
        "FILES_STAGING_DIR": str(folders / "uploads"),
    }
    with servers(1, **env) as ports:
        yield f"http://127.0.0.1:{ports[0]}"


@pytest.fixture
def open_tab(browser, asgi_url):
    """`open_tab()`: a page in a fresh French context on the daphne server. Script errors
    fail the test (console errors are expected while the network is cut)."""
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
    """Closing the tabs makes daphne run its disconnect handlers (presence, contacts): the
    database is emptied after the test only once no query of the server is running, else the
    TRUNCATE and those queries can deadlock."""
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


def thread_messages(page: Page, text: str):
    return page.locator("[data-thread] [data-message]", has_text=text)


@pytest.fixture
def garage(staff, make_user) -> dict:
    group = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=staff,  # and its owner: a member
    )
    founder = make_user(
        User.Kind.EXTERNAL,
        display_name="Fatou Fondatrice",
        organisation=OrganisationFactory(name="Biochar & Co"),
    )
    MembershipFactory(group=group, user=founder)
    return {"group": group, "founder": founder}


def test_a_direct_message_typing_read_receipt_and_an_outage_all_live_between_two_browsers(
    open_tab, staff, garage
):
    founder = garage["founder"]
    agnes, fatou = open_tab(), open_tab()
    login(agnes, staff)
    login(fatou, founder)
    badge = fatou.locator("[data-unread-badge]")
    expect(badge).to_be_hidden()

    # Agnès writes to Fatou from her profile.
    agnes.goto(f"/annuaire/{founder.pk}/")
    agnes.get_by_role("button", name="Envoyer un message").click()
    expect(agnes).to_have_url(re.compile(r"/messages/\d+/$"))
    expect(agnes.get_by_role("heading", level=1, name="Fatou Fondatrice")).to_be_visible()
    accessible(agnes)
    conversation_url = agnes.url
    composer = agnes.get_by_label("Votre message")
    composer.fill("Bonjour Fatou, on fait le point sur la levée de fonds ?")
    composer.press("Enter")
    expect(thread_messages(agnes, "levée de fonds")).to_have_count(1)
    expect(composer).to_have_value("")

    # Fatou, on the home page, sees the unread count without reloading.
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("1")

    # She opens it: the message is there, she has read it, Agnès sees « Vu ».
    fatou.get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(fatou.get_by_role("link", name=re.compile("Agnès Agent"))).to_be_visible()
    accessible(fatou)
    fatou.get_by_role("link", name=re.compile("Agnès Agent")).click()
    expect(fatou).to_have_url(conversation_url)
    expect(thread_messages(fatou, "levée de fonds")).to_have_count(1)
    expect(badge).to_be_hidden()
    expect(agnes.locator("[data-seen]")).to_have_text("Vu")
    expect(agnes.locator("[data-seen]")).to_be_visible()

    # Fatou types: Agnès sees it; then the reply arrives live and « Vu » goes away.
    reply = fatou.get_by_label("Votre message")
    reply.press_sequentially("Avec plaisir", delay=20)
    expect(agnes.locator("[data-typing]")).to_have_text("Fatou Fondatrice écrit…")
    reply.press("Shift+Enter")
    reply.press_sequentially("jeudi ?")
    reply.press("Enter")
    expect(thread_messages(agnes, "Avec plaisir")).to_have_count(1)
    expect(agnes.locator("[data-typing]")).to_have_text("")
    expect(agnes.locator("[data-seen]")).to_be_hidden()
    accessible(agnes)

    # Fatou's network is cut and her socket drops (Chromium's offline mode alone holds the
    # frames of an open socket rather than losing them); Agnès writes meanwhile; the network
    # comes back: the tab reconnects, resyncs, and shows the message exactly once.
    fatou.evaluate(
        """() => {
          window.outage = { drops: 0, resyncs: 0 };
          document.addEventListener("maillage:disconnected", () => window.outage.drops++);
          document.addEventListener("maillage:resync", () => window.outage.resyncs++);
        }"""
    )
    fatou.context.set_offline(True)
    fatou.evaluate("() => window.Maillage.socket().close()")
    composer.fill("Message envoyé pendant la coupure")
    composer.press("Enter")
    expect(thread_messages(agnes, "pendant la coupure")).to_have_count(1)
    fatou.wait_for_timeout(1500)
    expect(thread_messages(fatou, "pendant la coupure")).to_have_count(0)
    fatou.context.set_offline(False)
    expect(thread_messages(fatou, "pendant la coupure")).to_have_count(1, timeout=LIVE_MS)
    fatou.wait_for_timeout(1000)  # a late duplicate (event + resync) would show up by now
    expect(thread_messages(fatou, "pendant la coupure")).to_have_count(1)
    expect(fatou.locator("[data-thread] [data-message]")).to_have_count(3)
    outage = fatou.evaluate("() => window.outage")
    assert outage["drops"] >= 1
    assert outage["resyncs"] >= 1
    assert Message.objects.filter(body="Message envoyé pendant la coupure").count() == 1


def test_new_posts_of_a_group_show_as_a_banner_that_reloads_the_feed_in_place(
    open_tab, staff, garage
):
    agnes, fatou = open_tab(), open_tab()
    login(agnes, staff)
    login(fatou, garage["founder"])
    agnes.goto("/groupes/le-garage/")
    expect(agnes.locator("[data-live-feed][data-subscribed]")).to_have_count(1)
    accessible(agnes)
    fatou.goto("/groupes/le-garage/")
    for body in ("Notre prototype est prêt", "Démo vendredi au Garage"):
        fatou.get_by_label("Votre message").fill(body)
        fatou.get_by_role("button", name="Publier").click()
        expect(fatou.get_by_text(body)).to_be_visible()

    banner = agnes.locator("[data-live-feed]")
    expect(banner.get_by_role("status")).to_have_text("2 nouvelles publications")
    expect(agnes.get_by_text("Notre prototype est prêt")).to_have_count(0)
    agnes.evaluate("window.notReloaded = true")
    banner.get_by_role("button", name="Afficher").click()
    expect(agnes.get_by_text("Démo vendredi au Garage")).to_be_visible()
    expect(agnes.get_by_text("Notre prototype est prêt")).to_be_visible()
    assert agnes.evaluate("window.notReloaded") is True  # the list was swapped, not the page
    expect(banner.get_by_role("button", name="Afficher")).to_be_hidden()
    expect(agnes.locator(".feed-section > ol.feed")).to_be_focused()
    accessible(agnes)


def test_an_author_edits_and_deletes_a_message_and_the_other_side_sees_it_live(
    open_tab, staff, garage
):
    founder = garage["founder"]
    conversation = services.start_direct(actor=staff, person=founder)
    for n in range(selectors.PAGE + 2):
        services.send_message(
            author=staff, conversation=conversation, body=f"Ancien {n:02d}", client_key=uuid4()
        )
    agnes, fatou = open_tab(), open_tab()
    login(agnes, staff)
    login(fatou, founder)
    url = f"/messages/{conversation.pk}/"
    agnes.goto(url)
    fatou.goto(url)

    # Older messages load in place, oldest first, without leaving the page.
    expect(thread_messages(fatou, "Ancien 00")).to_have_count(0)
    fatou.get_by_role("link", name="Messages précédents").click()
    expect(thread_messages(fatou, "Ancien 00")).to_have_count(1)
    expect(fatou.get_by_role("link", name="Messages précédents")).to_have_count(0)
    expect(fatou).to_have_url(re.compile(rf"{url}$"))

    composer = agnes.get_by_label("Votre message")
    composer.fill("Rendez-vous à 10 h")
    composer.press("Enter")
    mine = thread_messages(agnes, "Rendez-vous à 10 h")
    expect(mine).to_have_count(1)
    expect(thread_messages(fatou, "Rendez-vous à 10 h")).to_have_count(1)

    mine.get_by_role("button", name="Modifier ce message").click()
    editor = agnes.get_by_label("Modifier le message")
    expect(editor).to_be_focused()
    editor.fill("Rendez-vous à 11 h")
    agnes.get_by_role("button", name="Enregistrer").click()
    edited = thread_messages(fatou, "Rendez-vous à 11 h")
    expect(edited).to_have_count(1)
    expect(edited).to_contain_text("(modifié)")
    accessible(agnes)

    agnes.once("dialog", lambda dialog: dialog.accept())
    thread_messages(agnes, "Rendez-vous à 11 h").get_by_role(
        "button", name="Supprimer ce message"
    ).click()
    expect(thread_messages(fatou, "Message supprimé")).to_have_count(1)
    expect(thread_messages(fatou, "Rendez-vous")).to_have_count(0)
    expect(thread_messages(agnes, "Message supprimé")).to_have_count(1)
    # Fatou's own view never offers to change Agnès's messages.
    expect(fatou.get_by_role("button", name="Modifier ce message")).to_have_count(0)


def test_a_file_attached_in_the_composer_arrives_live_with_the_message(
    open_tab, staff, garage, tmp_path
):
    founder = garage["founder"]
    conversation = services.start_direct(actor=staff, person=founder)
    agnes, fatou = open_tab(), open_tab()
    login(agnes, staff)
    login(fatou, founder)
    url = f"/messages/{conversation.pk}/"
    agnes.goto(url)
    fatou.goto(url)
    plan = tmp_path / "plan-du-stand.png"
    plan.write_bytes(png_bytes())

    # Agnès chooses a file: it is uploaded at once and listed, with a way to remove it.
    agnes.get_by_text("Joindre des fichiers", exact=True).click()
    chooser = agnes.get_by_label("Choisir des fichiers")
    chooser.set_input_files(str(plan))
    attached = agnes.get_by_role("list", name="Fichiers joints au message")
    expect(attached.get_by_role("listitem")).to_have_count(1)
    expect(attached).to_contain_text("plan-du-stand.png")
    accessible(agnes)
    attached.get_by_role("button", name="Retirer plan-du-stand.png").click()
    expect(attached).to_be_hidden()
    expect(chooser).to_be_focused()
    hidden_ids = agnes.locator('[data-composer] input[type="hidden"][name="attachments"]')
    expect(hidden_ids).to_have_count(0)

    # She chooses it again, and sends it with a message.
    chooser.set_input_files(str(plan))
    expect(attached.get_by_role("listitem")).to_have_count(1)
    composer = agnes.get_by_label("Votre message")
    composer.fill("Voici le plan du stand")
    composer.press("Enter")
    mine = thread_messages(agnes, "Voici le plan du stand")
    expect(mine.get_by_role("link", name="plan-du-stand.png")).to_be_visible()
    expect(attached).to_be_hidden()
    expect(hidden_ids).to_have_count(0)

    # Fatou sees the message and its file without reloading, and may open it.
    theirs = thread_messages(fatou, "Voici le plan du stand")
    link = theirs.get_by_role("link", name="plan-du-stand.png")
    expect(link).to_be_visible()
    accessible(fatou)
    link.click()
    expect(fatou).to_have_url(re.compile(r"/fichiers/\d+/$"))
    expect(fatou.get_by_role("heading", level=1)).to_contain_text("plan-du-stand.png")
    message = Message.objects.get(body="Voici le plan du stand")
    assert [f.name for f in message.attachments.all()] == ["plan-du-stand.png"]
