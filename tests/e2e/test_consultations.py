"""A citizen's request from sign-up to the official answer, in four browsers: issue 7's « Done
when ».

Nina signs up as a citizen (accepting the processing notice), contributes a signalement with
a photo to an a-priori-moderated consultation; Mona, moderator of the consultation, approves
it; Bruno, another citizen, supports it (htmx, no reload); Simon, agent of the agency, routes
it to a service, moves it to « En cours » and answers; Nina finds the status and the answer
under « Mes demandes ». axe runs on every page and after every change.
"""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from consultations import services
from consultations.models import Consultation, Contribution
from tests.e2e.browser import HOME_URL, TIMEOUT_MS, sign_in
from tests.factories import PASSWORD

EMAIL = "nina@example.test"
STRONG_PASSWORD = "un-long-mot-de-passe-42"
TITLE = "Lampadaire éteint devant l'école Jules-Ferry"
BODY = "Le lampadaire à l'angle de l'école ne s'allume plus depuis trois semaines."
ANSWER = "Une équipe remplacera la lampe le 4 décembre. Merci pour votre signalement."


@pytest.fixture
def another_page(browser, live_server) -> Iterator[Callable[[], Page]]:
    """`another_page()`: a tab in a new browser context (its own cookies); a script error, a
    console error or a failed sub-request fails the test, as with `page`."""
    contexts, problems = [], []

    def make() -> Page:
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: problems.append(f"script error on {tab.url}: {error}"))
        tab.on(
            "console",
            lambda message: (
                problems.append(f"console error on {tab.url}: {message.text}")
                if message.type == "error"
                and "WebSocket" not in message.text
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        tab.on(
            "response",
            lambda response: (
                problems.append(f"HTTP {response.status} for {response.url}")
                if response.status >= 400 and response.request.resource_type != "document"
                else None
            ),
        )
        return tab

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def europe(make_user) -> dict:
    mona = make_user(User.Kind.STAFF, display_name="Mona Modératrice")
    simon = make_user(User.Kind.STAFF, display_name="Simon Agent")
    elise = make_user(User.Kind.ELECTED, display_name="Élise Maire")
    bruno = make_user(User.Kind.CITIZEN, display_name="Bruno Voisin")
    voirie = services.create_service(actor=simon, name="Service éclairage public")
    now = timezone.now()
    consultation = services.create_consultation(
        actor=simon,
        title="Visite du quartier Europe — 12 décembre",
        neighbourhoods="Europe, Gare",
        description="Dites aux élus ce qui compte pour vous avant leur visite.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        visit_date=(now + timedelta(days=12)).date(),
        moderation=Consultation.Moderation.A_PRIORI,
        officials=[elise],
        moderators=[mona],
        services=[voirie],
    )
    return {"mona": mona, "simon": simon, "bruno": bruno, "consultation": consultation}


def photo_file(tmp_path) -> str:
    path = tmp_path / "lampadaire.jpg"
    Image.new("RGB", (320, 240), (30, 30, 60)).save(path, format="JPEG")
    return str(path)


def sign_in_as(tab: Page, user: User) -> None:
    tab.goto("/compte/login/")
    sign_in(tab, user.email, PASSWORD)
    expect(tab).to_have_url(HOME_URL)


def sign_up(page: Page, visit, assert_accessible) -> None:
    """Nina creates her citizen account, accepting the processing notice, and confirms it."""
    visit("/consultations/")
    page.get_by_role("link", name="Créer un compte citoyen").first.click()
    expect(page).to_have_url(re.compile(r"/compte/signup/"))
    assert_accessible(page)
    page.get_by_label("Courriel").fill(EMAIL)
    page.get_by_label("Nom affiché").fill("Nina N.")
    page.get_by_label("J'ai lu la notice d'information").check()
    page.locator("#id_password1").fill(STRONG_PASSWORD)
    page.locator("#id_password2").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre adresse e-mail")
    link = re.search(r"https?://[^/\s]+(/compte/confirm-email/[^/\s]+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    visit(link.group(1))
    page.get_by_role("button", name="Confirmer").click()
    expect(page).to_have_url(HOME_URL)
    assert User.objects.get(email=EMAIL).kind == User.Kind.CITIZEN


def test_a_citizens_request_goes_from_sign_up_to_the_official_answer(
    page, visit, assert_accessible, another_page, europe, tmp_path
):
    consultation = europe["consultation"]

    # Nina signs up and contributes with a photo.
    sign_up(page, visit, assert_accessible)
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Consultations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultations citoyennes")
    assert_accessible(page)
    page.get_by_role("link", name=consultation.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(consultation.title)
    assert_accessible(page)
    page.get_by_role("link", name="Contribuer").click()
    assert_accessible(page)
    page.get_by_role("radio", name="Signalement").check()
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Votre contribution").fill(BODY)
    page.get_by_label("Catégorie").select_option(label="éclairage")
    page.get_by_label("Rue ou lieu (facultatif)").fill("4 rue Jules-Ferry")
    page.get_by_label("Photos (facultatif)").set_input_files(photo_file(tmp_path))
    page.get_by_role("button", name="Envoyer ma contribution").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(
        page.get_by_text("Votre contribution est en attente de modération").first
    ).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Photo 1 jointe"))).to_be_visible()
    assert_accessible(page)
    contribution = Contribution.objects.get(title=TITLE)
    assert contribution.moderation_state == "pending"
    assert contribution.photos.count() == 1
    contribution_path = f"/contributions/{contribution.pk}/"

    # Bruno cannot see it yet.
    bruno = another_page()
    sign_in_as(bruno, europe["bruno"])
    assert bruno.goto(contribution_path).status == 404

    # Mona approves it from the moderation queue.
    mona = another_page()
    sign_in_as(mona, europe["mona"])
    mona.goto(f"/consultations/{consultation.pk}/moderation/")
    assert_accessible(mona)
    mona.get_by_role("button", name=f"Approuver « {TITLE} »").click()
    expect(mona.get_by_text("Aucune contribution en attente.")).to_be_visible()
    assert_accessible(mona)

    # Bruno supports it, without a page reload (htmx), then sees it counted.
    bruno.goto(f"/consultations/{consultation.pk}/")
    bruno.get_by_role("link", name=TITLE).click()
    expect(bruno.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert_accessible(bruno)
    bruno.evaluate("window.notReloaded = true")
    bruno.get_by_role("button", name=f"Soutenir « {TITLE} »").click()
    support = bruno.locator(f"#soutien-{contribution.pk}")
    expect(support.get_by_text("1 soutien", exact=True)).to_be_visible()
    expect(support.get_by_role("button", name=re.compile("Retirer mon soutien"))).to_be_focused()
    assert bruno.evaluate("window.notReloaded") is True
    assert_accessible(bruno)

    # Bruno's empty comment is refused with a message tied to the field, then he comments.
    bruno.get_by_role("button", name="Commenter").click()
    expect(bruno.get_by_text("Le commentaire est obligatoire.")).to_be_visible()
    box = bruno.get_by_label("Votre commentaire")
    expect(box).to_have_attribute("aria-describedby", re.compile("id_body_error"))
    assert_accessible(bruno)
    box.fill("Je passe devant tous les soirs, c'est très sombre.")
    bruno.get_by_role("button", name="Commenter").click()
    expect(bruno.get_by_text("Votre commentaire est en attente de modération")).to_be_visible()
    expect(bruno.get_by_text("Je passe devant tous les soirs")).to_be_visible()
    assert_accessible(bruno)

    # Simon routes it, moves it on and answers, from the staff page of the contribution.
    simon = another_page()
    sign_in_as(simon, europe["simon"])
    simon.goto(f"/consultations/gestion/contributions/{contribution.pk}/")
    assert_accessible(simon)
    route = simon.get_by_role("region", name="Orienter")
    route.get_by_label("Service").select_option(label="Service éclairage public")
    route.get_by_role("button", name="Orienter vers ce service").click()
    followup = simon.get_by_role("region", name="Suivi", exact=True)
    expect(followup.get_by_text("Service éclairage public")).to_be_visible()
    simon.get_by_label("Nouveau statut").select_option(label="En cours")
    simon.get_by_role("button", name="Changer le statut").click()
    expect(followup.get_by_text("En cours").first).to_be_visible()
    simon.get_by_label("Réponse officielle (publique)").fill(ANSWER)
    simon.get_by_role("button", name="Publier la réponse").click()
    expect(simon.get_by_text(ANSWER)).to_be_visible()
    assert_accessible(simon)

    # Nina finds the status and the answer under « Mes demandes ».
    visit(f"/consultations/{consultation.pk}/")
    page.get_by_role("link", name="Mes demandes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes demandes")
    request = page.locator(f"#demande-{contribution.pk}")
    expect(request.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(request.get_by_text("En cours", exact=True).first).to_be_visible()
    expect(request.get_by_text("Reçu → En cours")).to_be_visible()
    expect(request.get_by_text(ANSWER)).to_be_visible()
    expect(request.get_by_text("Réponse officielle de Service éclairage public")).to_be_visible()
    assert_accessible(page)
