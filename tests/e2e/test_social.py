"""A group's conversation in Chromium: a post with a @mention (chosen from the suggestions)
and a #topic, a poll, then another member comments, likes and votes; the topic page lists the
post. Every page, and every page change made by htmx, is checked with axe."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from groups.models import Group, Membership
from social.models import Comment, PollVote, Post, Reaction


@pytest.fixture
def fair(staff, make_user) -> dict:
    bruno = make_user(User.Kind.STAFF, handle="bruno", display_name="Bruno Biochar")
    make_user(User.Kind.STAFF, handle="brigitte", display_name="Brigitte Ailleurs")
    group = Group.objects.create(name="Foire de Hanovre 2026", slug="foire", created_by=staff)
    Membership.objects.create(group=group, user=staff, role=Membership.Role.OWNER)
    Membership.objects.create(group=group, user=bruno)
    return {"group": group, "bruno": bruno}


def switch_user(page: Page, login, user) -> None:
    page.context.clear_cookies()
    login(page, user)


def test_a_post_with_a_mention_and_a_topic_then_a_comment_a_like_and_a_vote(
    page, visit, login, assert_accessible, staff, fair
):
    bruno = fair["bruno"]
    login(page, staff)
    assert_accessible(page)
    visit("/groupes/foire/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Foire de Hanovre 2026")

    # The @mention is chosen from the suggestions, with the keyboard.
    body = page.get_by_label("Votre message")
    body.click()
    body.press_sequentially("Rendez-vous au stand avec @br")
    suggestions = page.get_by_role("listbox", name="Personnes à mentionner")
    expect(suggestions.get_by_role("option")).to_have_count(2)
    expect(suggestions.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    assert_accessible(page)
    body.press("ArrowDown")
    expect(suggestions.get_by_role("option", name=re.compile("Brigitte"))).to_have_attribute(
        "aria-selected", "false"
    )
    expect(suggestions.get_by_role("option", name=re.compile("Bruno"))).to_have_attribute(
        "aria-selected", "true"
    )
    body.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(body).to_have_value("Rendez-vous au stand avec @bruno ")
    body.press_sequentially("pour le #cloud")
    page.get_by_role("button", name="Publier").click()

    expect(page.get_by_text("Votre publication est en ligne.")).to_be_visible()
    post = Post.objects.get(author=staff)
    article = page.locator(f"#feed-post-{post.pk}")
    expect(article.get_by_role("link", name="@bruno")).to_have_attribute(
        "href", f"/annuaire/{bruno.pk}/"
    )
    expect(article.get_by_role("link", name="#cloud")).to_have_attribute("href", "/sujets/cloud/")
    assert_accessible(page)

    # A poll: its options show once « Sondage » is chosen.
    page.get_by_label("Votre message").fill("Quel créneau pour la navette ?")
    expect(page.get_by_label(re.compile(r"^Réponse 1\s"))).to_be_hidden()
    page.get_by_role("radio", name="Sondage").check()
    page.get_by_label(re.compile(r"^Réponse 1\s")).fill("8 h")
    page.get_by_label(re.compile(r"^Réponse 2\s")).fill("9 h")
    assert_accessible(page)
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Votre publication est en ligne.")).to_be_visible()
    poll = Post.objects.get(kind=Post.Kind.POLL)

    # Another member comments (htmx, no reload), likes and votes.
    switch_user(page, login, bruno)
    visit(f"/publications/{post.pk}/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Votre commentaire").fill("J'apporte les badges.")
    page.get_by_role("button", name="Commenter").click()
    comments = page.locator("#commentaires")
    expect(comments.get_by_text("J'apporte les badges.")).to_be_visible()
    expect(comments.get_by_role("heading", level=2)).to_have_text("1 commentaire")
    expect(page.get_by_label("Votre commentaire")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    assert Comment.objects.filter(post=post, author=bruno).count() == 1
    assert_accessible(page)

    like = page.locator(f"#detail-post-{post.pk}-like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(page.locator(f"#detail-post-{post.pk}-like")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#detail-post-{post.pk}-like")).to_contain_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert Reaction.objects.filter(post=post, user=bruno, kind="like").exists()
    assert_accessible(page)

    visit(f"/publications/{poll.pk}/")
    page.get_by_role("radio", name="9 h").check()
    page.get_by_role("button", name="Voter").click()
    expect(page.get_by_text("Votre vote est enregistré.")).to_be_visible()
    expect(page.get_by_text("100 % (1 voix)")).to_be_visible()
    expect(page.get_by_role("button", name="Changer mon vote")).to_be_visible()
    assert PollVote.objects.get(post=poll).user == bruno
    assert_accessible(page)

    # The topic page lists the post.
    visit("/sujets/cloud/")
    expect(page.get_by_role("heading", level=1)).to_have_text("#cloud")
    expect(page.locator(f"#feed-post-{post.pk}")).to_contain_text("Rendez-vous au stand")
    expect(page.locator("article.post")).to_have_count(1)


def test_load_more_appends_the_next_posts_and_moves_the_focus(
    page, visit, login, assert_accessible, staff, fair
):
    from social import services

    for n in range(23):
        services.create_post(author=staff, group=fair["group"], body=f"Nouvelle n°{n}")
    login(page, staff)
    visit("/groupes/foire/")
    expect(page.locator("article.post")).to_have_count(20)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Charger plus").click()
    expect(page.locator("article.post")).to_have_count(23)
    expect(page.get_by_role("link", name="Charger plus")).to_have_count(0)
    expect(page.get_by_text("Vous avez tout vu.")).to_be_visible()
    expect(page.locator("[data-feed-next]")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    assert_accessible(page)


def test_the_feeds_and_a_post_s_pages_are_accessible_and_following_works(
    page, visit, login, assert_accessible, staff, fair
):
    from django.utils import timezone

    from social import services

    bruno = fair["bruno"]
    post = services.create_post(
        author=bruno, group=fair["group"], body="Qui vient au **salon** ? #emploi", kind="question"
    )
    answer = services.add_comment(author=staff, post=post, body="Moi, @bruno")
    services.choose_best_answer(actor=bruno, comment=answer)
    services.react(actor=staff, post=post, kind="party")
    services.edit_post(actor=bruno, post=post, body="Qui vient au **salon** mardi ? #emploi")
    services.create_post(
        author=bruno,
        group=fair["group"],
        body="Badges à retirer à l'accueil",
        kind="announcement",
        pinned_until=timezone.now() + timezone.timedelta(days=2),
    )
    services.create_post(author=bruno, group=None, body="Retour de Hanovre #emploi")
    login(page, staff)
    assert_accessible(page)
    expect(page.get_by_role("link", name="#emploi").first).to_be_visible()
    visit("/?filter=questions")
    visit("/groupes/foire/")
    expect(page.get_by_role("heading", name="Annonces épinglées")).to_be_visible()
    visit(f"/publications/{post.pk}/")
    expect(page.get_by_text("Meilleure réponse")).to_be_visible()
    page.get_by_text("Qui a réagi ?").click()
    expect(page.locator(".reactors").get_by_role("link", name="Agnès Agent")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="modifié").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique de la publication")
    assert_accessible(page)
    # A manager may delete a member's post (after confirming), not edit it.
    visit(f"/publications/{post.pk}/supprimer/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Supprimer la publication ?")
    visit(f"/publications/{post.pk}/modifier/", status=403)

    # Following a person from their profile brings their profile posts to the home feed.
    visit(f"/annuaire/{bruno.pk}/")
    section = page.locator("#profile-feed")
    expect(section.get_by_role("heading", name="Publications")).to_be_visible()
    assert_accessible(page)
    section.get_by_role("button", name="Suivre").click()
    expect(page.get_by_text("Vous suivez Bruno Biochar")).to_be_visible()
    expect(
        page.locator("#profile-feed").get_by_role("button", name="Ne plus suivre")
    ).to_be_visible()
    visit("/")
    expect(page.get_by_text("Retour de Hanovre")).to_be_visible()

    # A bookmark, from the feed, without reloading.
    article = page.locator("article.post").filter(has_text="Retour de Hanovre")
    article.get_by_role("button", name="Favori").click()
    expect(article.get_by_role("button", name="Favori")).to_have_attribute("aria-pressed", "true")
    visit("/favoris/")
    expect(page.locator("article.post")).to_have_count(1)
    expect(page.get_by_text("Retour de Hanovre")).to_be_visible()
