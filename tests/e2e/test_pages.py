"""A staff member goes through the pages of the foundation: directory, profiles, account pages,
legal notices and the language selector. Every page is checked with axe."""

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import ApiToken, User


def heading(page: Page):
    return page.get_by_role("heading", level=1)


@pytest.fixture
def signed_in(page, login, staff) -> Page:
    login(page, staff)
    return page


def test_the_directory_search_updates_the_results_without_reloading_the_page(
    signed_in, visit, assert_accessible, make_user
):
    page = signed_in
    make_user(User.Kind.STAFF, display_name="Bruno Biochar", expertise="biomasse, compost")
    make_user(User.Kind.ELECTED, display_name="Chloé Circuit", job_title="Adjointe au maire")
    visit("/annuaire/")
    results = page.locator("#directory-results")
    expect(results.get_by_role("link", name="Chloé Circuit")).to_be_visible()
    expect(results.get_by_text("3 personnes")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Rechercher une personne").fill("compost")

    expect(results.get_by_text("1 personne", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Bruno Biochar")).to_be_visible()
    expect(results.get_by_role("link", name="Chloé Circuit")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/annuaire/\?q=compost$"))
    assert page.evaluate("window.notReloaded") is True
    assert_accessible(page)

    page.get_by_label("Rechercher une personne").fill("personne-inconnue")
    expect(results.get_by_text("Personne ne correspond à cette recherche.")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label("Rechercher une personne").fill("adjointe")
    results.get_by_role("link", name="Chloé Circuit").click()
    expect(heading(page)).to_have_text("Chloé Circuit")
    expect(page.get_by_text("Adjointe au maire")).to_be_visible()
    assert_accessible(page)


def test_staff_edit_their_profile_and_see_it_saved(signed_in, visit, assert_accessible, staff):
    page = signed_in
    visit("/compte/profil/")
    expect(heading(page)).to_have_text("Mon profil")

    page.get_by_label("Fonction").fill("Responsable innovation")
    page.get_by_label("Domaines d'expertise").fill("tiers-lieux, économie circulaire")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text("Votre profil a été enregistré.")).to_be_visible()
    expect(page.get_by_label("Fonction")).to_have_value("Responsable innovation")
    staff.refresh_from_db()
    assert staff.job_title == "Responsable innovation"
    assert_accessible(page)

    page.get_by_role("link", name="Voir mon profil tel que les autres le voient").click()
    expect(heading(page)).to_have_text("Agnès Agent")
    expect(page.get_by_text("Responsable innovation")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="tiers-lieux")).to_be_visible()
    visit(f"/annuaire/{staff.pk}/")


def test_a_new_api_token_is_shown_once_and_works(signed_in, visit, assert_accessible, staff):
    page = signed_in
    visit("/compte/jetons/")
    expect(page.get_by_text("Vous n’avez aucun jeton actif.")).to_be_visible()

    page.get_by_label("Nom du jeton").fill("tableur de suivi")
    page.get_by_role("button", name="Créer un jeton").click()

    shown = page.locator("#new-token")
    expect(shown).to_have_value(re.compile(r"^mlg_\S{20,}$"))
    expect(page.get_by_role("cell", name="tableur de suivi", exact=True)).to_be_visible()
    assert_accessible(page)
    token = shown.input_value()
    api = Client().get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.json()["email"] == staff.email
    assert token not in {value for (value,) in ApiToken.objects.values_list("digest")}

    visit("/compte/jetons/")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("cell", name="tableur de suivi", exact=True)).to_be_visible()
    assert token not in page.content()


def test_legal_notices_are_public(page, visit):
    visit("/confidentialite/")
    expect(heading(page)).to_have_text("Protection des données personnelles")
    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    expect(heading(page)).to_have_text("Déclaration d’accessibilité")
    expect(page).to_have_url(re.compile(r"/accessibilite/$"))
    visit("/accessibilite/")


def test_account_security_pages(signed_in, visit):
    page = signed_in
    visit("/compte/2fa/")
    expect(heading(page)).to_have_text("Authentification à deux facteurs")
    visit("/compte/sessions/")
    expect(heading(page)).to_have_text("Sessions")
    expect(page.get_by_role("cell", name="127.0.0.1")).to_be_visible()
    # The settings menu leads from one account page to the next.
    settings = page.get_by_role("navigation", name="Paramètres du compte")
    expect(settings.get_by_role("link", name="Sessions actives")).to_have_attribute(
        "aria-current", "page"
    )
    settings.get_by_role("link", name="Double authentification").click()
    expect(page).to_have_url(re.compile(r"/compte/2fa/$"))


def test_the_language_selector_switches_to_english_and_back(signed_in, visit, assert_accessible):
    page = signed_in
    visit("/compte/2fa/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.locator("#language-select").select_option("en")
    page.get_by_role("button", name="Changer").click()

    expect(page).to_have_url(re.compile(r"/compte/2fa/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading(page)).to_have_text("Two-Factor Authentication")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Directory")).to_be_visible()
    expect(page.locator("#language-select")).to_have_value("en")
    assert_accessible(page)

    # The choice sticks for the rest of the visit, signed out too.
    nav.get_by_role("link", name="Home").click()
    expect(heading(page)).to_have_text("Hello Agnès Agent")
    assert_accessible(page)
    page.get_by_text("Agnès Agent", exact=True).click()  # the account menu
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/compte/login/$"))
    expect(heading(page)).to_have_text("Sign In")
    expect(page.get_by_role("button", name="Sign In")).to_be_visible()
    assert_accessible(page)

    page.locator("#language-select").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(heading(page)).to_have_text("Connexion")
