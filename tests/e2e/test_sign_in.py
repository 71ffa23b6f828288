"""Signing in through the real sign-in page, in Chromium."""

import re

from playwright.sync_api import expect

from tests.e2e.browser import HOME_URL, sign_in
from tests.factories import PASSWORD


def test_staff_signs_in_and_sees_the_home_page_with_their_name(
    page, visit, assert_accessible, staff
):
    visit("/compte/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")

    sign_in(page, staff.email, PASSWORD)

    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Agnès Agent")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Annuaire")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_have_count(0)
    assert_accessible(page)


def test_a_wrong_password_shows_a_french_error_and_stays_on_the_sign_in_page(
    page, visit, assert_accessible, staff
):
    visit("/compte/login/")

    sign_in(page, staff.email, "not-the-right-password")

    expect(page.get_by_text("L’adresse e-mail ou le mot de passe sont incorrects.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/compte/login/$"))
    expect(page.locator("#id_login")).to_have_value(staff.email)
    expect(page.locator("#id_password")).to_have_value("")
    assert_accessible(page)
    # Still anonymous: a private page sends back to sign-in.
    visit("/annuaire/")
    expect(page).to_have_url(re.compile(r"/compte/login/\?next=/annuaire/$"))
