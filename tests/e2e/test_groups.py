"""Group pages in the browser: every page passes axe; the htmx search and joining work."""

import re

from playwright.sync_api import expect

from accounts.models import User
from tests.factories import PASSWORD, GroupFactory, MembershipFactory


def test_a_manager_goes_through_every_group_page(
    page, login, visit, assert_accessible, make_user, staff, external
):
    owner = staff
    garage = GroupFactory(
        name="Le Garage — incubateur",
        slug="le-garage",
        visibility="private",
        open_to_external=True,
        charter="Discrétion sur les projets des start-up.",
        created_by=owner,
    )
    MembershipFactory(group=garage, user=external)
    GroupFactory(name="Foire de Hanovre 2026", slug="foire", created_by=make_user(User.Kind.STAFF))
    login(page, owner)

    visit("/groupes/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Rechercher un groupe").fill("hanovre")
    results = page.locator("#group-results")
    expect(results.get_by_text("1 groupe", exact=True)).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert_accessible(page)
    page.get_by_label("Afficher").select_option("external")
    expect(results.get_by_text("Aucun groupe ne correspond à cette recherche.")).to_be_visible()
    page.get_by_label("Rechercher un groupe").fill("")
    expect(results.get_by_role("link", name="Le Garage — incubateur")).to_be_visible()

    for path in ("membres", "a-propos", "fichiers", "modifier", "demandes", "inviter"):
        visit(f"/groupes/le-garage/{path}/")
    visit("/groupes/nouveau/")

    visit("/groupes/")
    page.get_by_role("button", name="Rejoindre Foire de Hanovre 2026").click()
    expect(
        page.get_by_text("Vous avez rejoint le groupe « Foire de Hanovre 2026 ».")
    ).to_be_visible()
    assert_accessible(page)

    visit("/groupes/le-garage/membres/")
    page.get_by_label("Fin d’accès de Ernest Externe").fill("2031-06-30")
    page.get_by_role("button", name="Enregistrer la date").click()
    expect(page.get_by_text("L'accès de Ernest Externe prendra fin le 30/06/2031.")).to_be_visible()
    expect(page.get_by_role("cell", name="30 juin 2031")).to_be_visible()
    assert_accessible(page)


def test_a_newcomer_accepts_an_invitation_in_the_browser(
    page, visit, assert_accessible, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    from groups import services

    garage = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        open_to_external=True,
        charter="Charte.",
        created_by=staff,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=staff, group=garage, email="nina@garage.example")
    link = "/invitations/" + mail.outbox[-1].body.split("/invitations/")[1].split("/")[0] + "/"
    visit(link)
    page.get_by_label("Nom affiché").fill("Nina Nouvelle")
    page.get_by_label("Organisation").fill("Garage Start")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill("autre chose encore")
    page.get_by_role("button", name="Créer mon compte et rejoindre le groupe").click()
    expect(page.get_by_text("Les deux mots de passe ne sont pas identiques.")).to_be_visible()
    assert_accessible(page)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("J'ai lu et j'accepte la charte du groupe").check()
    page.get_by_role("button", name="Créer mon compte et rejoindre le groupe").click()
    expect(page).to_have_url(re.compile(r"/groupes/le-garage/$"))
    expect(page.get_by_role("heading", level=1, name="Le Garage")).to_be_visible()
    assert_accessible(page)
