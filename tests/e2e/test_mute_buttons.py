"""« Mettre en sourdine » in Chromium: on a post's page the button toggles in place (htmx), its
label says the new state, the focus stays on it so the keyboard can toggle it back; the page
stays accessible (axe) before and after."""

import re

import pytest
from playwright.sync_api import expect

from groups.models import Group, Membership
from notifications.models import Mute
from social.models import Post


@pytest.fixture
def post(staff) -> Post:
    group = Group.objects.create(name="Foire de Hanovre 2026", slug="foire", created_by=staff)
    Membership.objects.create(group=group, user=staff, role=Membership.Role.OWNER)
    return Post.objects.create(author=staff, group=group, body="Rendez-vous au stand")


def test_the_mute_button_toggles_in_place_and_keeps_the_focus(
    page, visit, login, assert_accessible, staff, post
):
    login(page, staff)
    visit(f"/publications/{post.pk}/")
    mute = page.get_by_role("button", name=re.compile("^Mettre en sourdine"))
    expect(mute).to_have_accessible_name("Mettre en sourdine — cette publication")
    mute.click()

    unmute = page.get_by_role("button", name=re.compile("^Retirer la sourdine"))
    expect(unmute).to_be_focused()
    expect(page.locator("#live-announce")).to_have_text(
        "En sourdine : plus de notification ni d'e-mail à ce sujet."
    )
    expect(page.get_by_text("En sourdine : vous ne recevez ni notification")).to_be_visible()
    assert page.url.endswith(f"/publications/{post.pk}/")  # no reload: htmx
    assert Mute.objects.filter(user=staff, post=post).exists()
    assert_accessible(page)

    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("^Mettre en sourdine"))).to_be_focused()
    assert not Mute.objects.filter(user=staff, post=post).exists()

    # The group's page has its own button.
    visit("/groupes/foire/")
    page.get_by_role("button", name="Mettre en sourdine — ce groupe").click()
    expect(page.get_by_role("button", name="Retirer la sourdine — ce groupe")).to_be_focused()
    assert Mute.objects.filter(user=staff, group=post.group).exists()
    assert_accessible(page)


def settled(page) -> None:
    """Wait until htmx has settled its last swap: the redrawn form answers with htmx only
    then (a key pressed sooner submits it without JavaScript)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_unmuting_a_post_of_a_muted_group_keeps_the_focus_and_says_the_group_stays_muted(
    page, visit, login, assert_accessible, staff, post
):
    Mute.objects.create(user=staff, group=post.group)
    Mute.objects.create(user=staff, post=post)
    login(page, staff)
    visit(f"/publications/{post.pk}/")
    live = page.locator("#live-announce")
    expect(live).to_have_attribute("role", "status")
    expect(live).to_be_empty()
    button = page.locator(f"#detail-mute-post-{post.pk}-button")
    expect(button).to_have_accessible_name("Retirer la sourdine — cette publication")
    button.focus()
    page.keyboard.press("Enter")

    # The same button, redrawn in place, keeps the focus: nothing falls back to the body.
    expect(button).to_have_accessible_name("Mettre en sourdine — cette publication")
    expect(button).to_be_focused()
    settled(page)
    # Said once, through the page's live region (there before the swap, so it is announced).
    expect(live).to_have_text(
        "Sourdine de la publication retirée, mais son groupe reste en sourdine : "
        "toujours aucune notification ni e-mail à son sujet."
    )
    expect(page.get_by_text("Le groupe de cette publication est en sourdine")).to_be_visible()
    assert page.locator('[role="status"]', has_text="Sourdine").count() == 1
    assert not Mute.objects.filter(user=staff, post=post).exists()
    assert_accessible(page)

    # Muted again, then the plain case is announced the same way.
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    expect(live).to_have_text("En sourdine : plus de notification ni d'e-mail à ce sujet.")
    Mute.objects.filter(user=staff, group=post.group).delete()
    settled(page)
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    expect(live).to_have_text("Sourdine retirée : vous serez de nouveau notifié.")
