"""Search in Chromium: the box in the navigation finds an accented word typed without its
accent, highlights it, and an external member's search never shows internal posts. Every page
passes axe."""

from playwright.sync_api import expect

from accounts.models import User
from groups.models import Group, Membership
from social import services as social_services


def test_search_from_the_navigation_and_what_an_external_member_finds(
    page, login, visit, assert_accessible, staff, external
):
    internal = Group.objects.create(
        name="Direction du développement",
        slug="direction",
        created_by=staff,
        visibility=Group.Visibility.PUBLIC,
    )
    garage = Group.objects.create(
        name="Le Garage",
        slug="garage",
        created_by=staff,
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
    )
    Membership.objects.create(group=internal, user=staff, role=Membership.Role.OWNER)
    Membership.objects.create(group=garage, user=staff, role=Membership.Role.OWNER)
    Membership.objects.create(group=garage, user=external)
    social_services.create_post(
        author=staff, group=internal, body="Stratégie de développement : document interne"
    )
    social_services.create_post(
        author=staff, group=garage, body="Atelier développement commercial au Garage"
    )

    login(page, staff)
    box = page.get_by_role("search", name="Recherche").get_by_label("Rechercher dans Maillage")
    box.fill("developpement")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche")
    posts = page.get_by_role("region", name="Publications et commentaires")
    expect(posts.get_by_role("listitem")).to_have_count(2)
    expect(posts.locator("mark").first).to_have_text("développement")
    expect(posts.get_by_text("document interne")).to_be_visible()
    assert_accessible(page)

    # Only the posts, newest first, then by relevance: the same two.
    posts.get_by_role("link", name="Tous les résultats : publications et commentaires").click()
    expect(
        page.get_by_role("region", name="Publications et commentaires").get_by_role("listitem")
    ).to_have_count(2)
    page.get_by_label("Ordre").select_option("relevance")
    page.get_by_role("button", name="Rechercher").last.click()
    expect(
        page.get_by_role("region", name="Publications et commentaires").get_by_role("listitem")
    ).to_have_count(2)
    assert_accessible(page)

    page.context.clear_cookies()
    login(page, external)
    assert external.kind == User.Kind.EXTERNAL
    visit("/recherche/?q=developpement")
    posts = page.get_by_role("region", name="Publications et commentaires")
    expect(posts.get_by_role("listitem")).to_have_count(1)
    expect(posts.get_by_text("Atelier")).to_be_visible()
    expect(page.get_by_text("document interne")).to_have_count(0)
    expect(page.get_by_text("Direction du développement")).to_have_count(0)
