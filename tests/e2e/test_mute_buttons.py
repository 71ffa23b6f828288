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
