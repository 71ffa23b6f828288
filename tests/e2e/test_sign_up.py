"""A visitor signs up as a citizen: form, confirmation e-mail, confirmation, signed in."""

import json
import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.notice import NOTICE_VERSION
from tests.consultations.conftest import contribute, make_consultation  # noqa: F401 - fixture
from tests.e2e.browser import HOME_URL
from tests.factories import PASSWORD

EMAIL = "nina@example.test"
STRONG_PASSWORD = "un-long-mot-de-passe-42"
NOTICE_LABEL = "J'ai lu la notice d'information sur le traitement de mes données"


def fill_sign_up(page: Page, *, password: str = STRONG_PASSWORD, consent: bool = True) -> None:
    page.get_by_label("Courriel").fill(EMAIL)
    page.get_by_label("Nom affiché").fill("Nina N.")
    if consent:
        page.get_by_label(NOTICE_LABEL).check()
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)


def send(page: Page) -> None:
    page.get_by_role("button", name="Création de compte").click()


def test_a_visitor_signs_up_confirms_their_address_and_lands_signed_in_as_a_citizen(
    page, visit, assert_accessible
):
    visit("/")  # anonymous: sent to sign-in, which links to the citizens' sign-up
    page.get_by_role("link", name="Créer un compte citoyen").click()
    expect(page).to_have_url(re.compile(r"/compte/signup/$"))
    # The processing notice is on the form, right with its box, and says what it must.
    notice = page.locator("#id_consent_helptext")
    expect(notice).to_contain_text("Notice d'information sur vos données")
    for part in ("Finalité", "Conservation", "Vos droits", "dpo@maillage.test"):
        expect(notice).to_contain_text(part)
    expect(page.get_by_label(NOTICE_LABEL)).to_have_attribute(
        "aria-describedby", re.compile(r"\bid_consent_helptext\b")
    )
    expect(page.get_by_text("Un pseudonyme convient")).to_be_visible()
    assert_accessible(page)

    fill_sign_up(page)
    send(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre adresse e-mail")
    assert_accessible(page)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert message.subject == "[Maillage] Confirmez votre adresse e-mail"
    link = re.search(r"https?://[^/\s]+(/compte/confirm-email/[^/\s]+/)", message.body)
    assert link, message.body
    user = User.objects.get(email=EMAIL)
    assert user.kind == User.Kind.CITIZEN
    assert user.notice_version == NOTICE_VERSION
    assert user.notice_accepted_at is not None
    assert not EmailAddress.objects.get(user=user).verified

    visit(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'adresse e-mail")
    page.get_by_role("button", name="Confirmer").click()

    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Nina N.")
    expect(page.get_by_text(f"Vous avez confirmé {EMAIL}.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Accueil")).to_be_visible()
    expect(page.get_by_role("link", name="Annuaire")).to_have_count(0)
    assert_accessible(page)
    user.refresh_from_db()
    assert user.kind == User.Kind.CITIZEN
    assert (user.display_name, user.is_staff, user.is_superuser) == ("Nina N.", False, False)
    assert EmailAddress.objects.get(user=user).verified
    visit("/annuaire/", status=403)


def test_the_browser_refuses_a_sign_up_without_consent(page, visit):
    visit("/compte/signup/")
    fill_sign_up(page, consent=False)
    send(page)

    consent = page.get_by_label(NOTICE_LABEL)
    assert consent.evaluate("box => box.validity.valueMissing")
    expect(page).to_have_url(re.compile(r"/compte/signup/$"))
    assert not User.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("consent", "password", "error"),
    [
        pytest.param(
            False,
            STRONG_PASSWORD,
            "Cochez la case « J'ai lu la notice d'information » : sans cela, le compte ne "
            "peut pas être créé.",
            id="no-consent",
        ),
        pytest.param(
            True,
            "motdepasse",
            "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères.",
            id="weak-password",
        ),
    ],
)
def test_the_server_refuses_a_sign_up_without_consent_or_with_a_weak_password(
    page, visit, assert_accessible, consent, password, error
):
    visit("/compte/signup/")
    fill_sign_up(page, password=password, consent=consent)
    # As a browser without form validation would: the server must refuse on its own.
    page.locator("form[action='/compte/signup/']").evaluate("form => { form.noValidate = true; }")
    send(page)

    expect(page.get_by_text(error)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/compte/signup/$"))
    expect(page.get_by_label("Courriel")).to_have_value(EMAIL)
    assert_accessible(page)
    assert not User.objects.exists()
    assert not mail.outbox


def test_a_citizen_downloads_their_data_then_deletes_their_account(
    page,
    visit,
    login,
    assert_accessible,
    citizen,
    staff,
    make_consultation,  # noqa: F811 - the fixture imported above
):
    consultation = make_consultation(staff)
    mine = contribute(citizen, consultation, title="Trottoir défoncé rue Haute")
    login(page, citizen)
    page.locator("summary", has_text=citizen.display_name).click()  # the account menu
    page.get_by_role("link", name="Mon profil").click()
    page.get_by_role("navigation", name="Paramètres du compte").get_by_role(
        "link", name="Mes données"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    assert_accessible(page)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    data = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    assert data["compte"]["email"] == citizen.email
    assert [c["titre"] for c in data["consultations"]["contributions"]] == [mine.title]

    delete = page.get_by_role("button", name="Supprimer définitivement mon compte")
    page.get_by_label("Votre mot de passe").fill("pas-le-bon-mot-de-passe")
    delete.click()
    expect(page.get_by_text("Mot de passe incorrect.")).to_be_visible()
    assert_accessible(page)
    assert User.objects.filter(pk=citizen.pk).exists()

    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()

    expect(page).to_have_url(re.compile(r"/compte/login/$"))
    expect(page.get_by_text("Votre compte a été supprimé.")).to_be_visible()
    assert not User.objects.filter(pk=citizen.pk).exists()
    mine.refresh_from_db()
    assert mine.author_id is None
    assert mine.author_display == "un habitant"
