"""The social pages: home feed, group feed, a post and its conversation, topics, follows.

Every page and action is tried by someone allowed and someone who is not; a refusal shows a
French message (or answers 403/404) and changes nothing; every form needs its CSRF token.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from groups.models import Membership
from social import services
from social.models import Bookmark, Comment, Follow, PollVote, Post, Reaction
from tests.social.conftest import db_state

pytestmark = pytest.mark.django_db


def token(client) -> str:
    """The CSRF token a browser would hold after opening any page."""
    if "csrftoken" not in client.cookies:
        client.get("/confidentialite/")
    return client.cookies["csrftoken"].value


def send(client, url: str, data: dict | None = None, **headers):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token(client)}, **headers)


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags removed and blanks collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


def post_ids(response, scope: str = "feed") -> list[int]:
    return [int(n) for n in re.findall(rf'<article [^>]*id="{scope}-post-(\d+)"', html(response))]


@pytest.fixture
def as_user(world, client_for):
    clients = {}

    def get(name: str):
        if name not in clients:
            clients[name] = client_for(world.users[name])
        return clients[name]

    return get


# --- Home -------------------------------------------------------------------------------------


def test_the_home_page_greets_and_shows_the_feed_of_what_one_follows(world, as_user):
    response = as_user("staff_member").get("/")
    assert response.status_code == 200
    assert "Bonjour Marie Membre" in text(response)
    shown = set(post_ids(response))
    # Marie follows every group she belongs to (members follow automatically).
    assert {world.posts[k].pk for k in ("public", "private", "unlisted", "garage")} <= shown
    # The owner's profile post is not followed by Marie.
    assert world.posts["profile"].pk not in shown


def test_the_home_page_lists_trending_topics_of_the_week_that_the_reader_may_see(world, as_user):
    response = as_user("staff_outsider").get("/")
    assert 'href="/sujets/cloud/"' in html(response)
    assert "/sujets/confidentiel/" not in html(response)
    assert "/sujets/direction/" not in html(response)


def test_citizens_are_led_to_consultations_and_have_no_feed(world, as_user):
    response = as_user("citizen").get("/")
    assert response.status_code == 200
    assert "Bonjour Cécile Citoyenne" in text(response)
    assert 'href="/consultations/"' in html(response)
    assert 'href="/mes-demandes/"' in html(response)
    assert "Votre fil d’actualité" not in text(response)
    assert 'class="feed"' not in html(response)


@pytest.mark.parametrize(
    ("viewer", "has_composer"),
    [("staff_member", True), ("elected", True), ("external_member", False)],
)
def test_only_staff_and_elected_may_post_on_their_profile(world, as_user, viewer, has_composer):
    response = as_user(viewer).get("/")
    assert ("Publier sur mon profil" in text(response)) is has_composer
    before = db_state()
    response = send(as_user(viewer), "/publier/", {"body": "Retour du salon", "kind": "plain"})
    if has_composer:
        post = Post.objects.get(body="Retour du salon")
        assert post.group is None
        assert response.status_code == 302
        assert response["Location"] == f"/publications/{post.pk}/"
    else:
        assert response.status_code == 403
        assert db_state() == before


def test_a_profile_post_may_not_be_an_announcement(world, as_user):
    response = as_user("staff_member").get("/")
    assert 'value="announcement"' not in html(response)
    before = db_state()
    response = send(
        as_user("staff_member"), "/publier/", {"body": "Annonce", "kind": "announcement"}
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(response)
    assert db_state() == before


def test_home_filters_show_mentions_bookmarks_open_questions_and_announcements(world, as_user):
    u, g = world.users, world.groups
    marie = u["staff_member"]
    mention = services.create_post(author=u["owner"], group=g["public"], body="Merci @marie")
    question = services.create_post(
        author=u["owner"], group=g["public"], body="Qui vient ?", kind=Post.Kind.QUESTION
    )
    answered = services.create_post(
        author=u["owner"], group=g["public"], body="Quelle date ?", kind=Post.Kind.QUESTION
    )
    answer = services.add_comment(author=marie, post=answered, body="Le 12")
    services.choose_best_answer(actor=u["owner"], comment=answer)
    announcement = services.create_post(
        author=u["owner"],
        group=g["public"],
        body="Salon complet",
        kind=Post.Kind.ANNOUNCEMENT,
        pinned_until=timezone.now() + timedelta(days=3),
    )
    # Bookmarked in a group Marie does not follow: « Favoris » still lists it.
    Follow.objects.filter(follower=marie, group=g["private"]).delete()
    services.bookmark(actor=marie, post=world.posts["private"])
    client = as_user("staff_member")

    assert post_ids(client.get("/?filter=mentions")) == [mention.pk]
    assert post_ids(client.get("/?filter=bookmarks")) == [world.posts["private"].pk]
    assert post_ids(client.get("/?filter=questions")) == [question.pk]
    assert post_ids(client.get("/?filter=announcements")) == [announcement.pk]
    tabs = client.get("/?filter=questions")
    assert re.search(
        r'href="/\?filter=questions" aria-current="page">Questions sans réponse', html(tabs)
    )
    assert post_ids(client.get("/favoris/")) == [world.posts["private"].pk]
    # An unknown filter is the whole feed.
    assert post_ids(client.get("/?filter=n-importe-quoi")) == post_ids(client.get("/"))


def test_a_broken_cursor_answers_400_with_a_french_message(world, as_user):
    for url in (
        "/?cursor=abc",
        "/groupes/public/?cursor=x" + "9" * 300,
        "/sujets/cloud/?cursor=1_",
    ):
        response = as_user("staff_member").get(url)
        assert response.status_code == 400
        assert "Ce lien de pagination n’est pas valide" in text(response)


# --- Group feed -------------------------------------------------------------------------------


def test_members_see_the_group_feed_with_the_composer(world, as_user):
    response = as_user("staff_member").get("/groupes/public/")
    assert response.status_code == 200
    assert "Foire de Hanovre 2026" in text(response)
    assert 'aria-current="page">Fil' in html(response)
    assert "Publier dans ce groupe" in text(response)
    assert set(post_ids(response)) == {world.posts["public"].pk, world.posts["public_poll"].pk}


def test_readers_who_are_not_members_see_the_feed_but_no_composer(world, as_user):
    response = as_user("staff_outsider").get("/groupes/public/")
    assert response.status_code == 200
    assert "Publier dans ce groupe" not in text(response)
    assert world.posts["public"].pk in post_ids(response)


def test_the_composer_repeats_that_the_group_has_external_members(world, as_user):
    response = as_user("external_member").get("/groupes/garage/")
    composer = html(response).split('class="panel composer"')[1]
    assert "Ce groupe comprend des membres extérieurs à l'agence" in composer
    plain = as_user("staff_member").get("/groupes/public/")
    assert "membres extérieurs" not in text(plain)


@pytest.mark.parametrize(
    ("viewer", "group", "status"),
    [
        ("staff_outsider", "private", 403),  # listed, content for members only
        ("staff_outsider", "unlisted", 404),
        ("external_member", "public", 404),
        ("external_outsider", "garage", 404),
        ("external_expired", "garage", 404),
        ("citizen", "public", 404),
        ("staff_member", "inconnu", 404),
    ],
)
def test_a_group_feed_is_refused_to_those_who_may_not_read_it(
    world, as_user, viewer, group, status
):
    response = as_user(viewer).get(f"/groupes/{group}/")
    assert response.status_code == status
    for key, post in world.posts.items():
        if key != "public" or status == 404:
            assert f'id="feed-post-{post.pk}"' not in html(response)


def test_pinned_announcements_come_first_until_their_date(world, as_user):
    u, g = world.users, world.groups
    pinned = services.create_post(
        author=u["owner"],
        group=g["public"],
        body="Badges à retirer",
        kind=Post.Kind.ANNOUNCEMENT,
        pinned_until=timezone.now() + timedelta(days=2),
    )
    services.create_post(author=u["owner"], group=g["public"], body="Plus récent")
    response = as_user("staff_member").get("/groupes/public/")
    assert post_ids(response, "pinned") == [pinned.pk]
    assert html(response).index('id="pinned-post-') < html(response).index('id="feed-post-')
    assert "Épinglée jusqu’au" in text(response)
    Post.objects.filter(pk=pinned.pk).update(pinned_until=timezone.now() - timedelta(hours=1))
    assert post_ids(as_user("staff_member").get("/groupes/public/"), "pinned") == []


def test_a_member_publishes_each_kind_of_post_from_the_group_page(world, as_user):
    client = as_user("staff_member")
    url = "/groupes/public/publier/"
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert send(client, url, {"body": "Stand monté #salon", "kind": "plain"}).status_code == 302
    assert (
        send(
            client, url, {"body": "Navette à 8 h", "kind": "announcement", "pinned_until": day}
        ).status_code
        == 302
    )
    poll = {
        "body": "Quel soir ?",
        "kind": "poll",
        "poll_option_1": "Mardi",
        "poll_option_3": "Jeudi",
    }
    assert send(client, url, poll).status_code == 302
    assert send(client, url, {"body": "Qui a les badges ?", "kind": "question"}).status_code == 302

    posts = {p.body: p for p in Post.objects.filter(author=world.users["staff_member"])}
    assert posts["Stand monté #salon"].kind == Post.Kind.PLAIN
    announcement = posts["Navette à 8 h"]
    assert announcement.kind == Post.Kind.ANNOUNCEMENT
    # « Épinglée jusqu'au » that day: until the end of it.
    assert timezone.localtime(announcement.pinned_until).date().isoformat() > day
    assert [o.label for o in posts["Quel soir ?"].poll_options.all()] == ["Mardi", "Jeudi"]
    assert posts["Qui a les badges ?"].kind == Post.Kind.QUESTION
    response = client.get("/groupes/public/")
    assert "Votre publication est en ligne." in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   ", "kind": "plain"}, "Le message est vide."),
        ({"body": "x" * 10_001, "kind": "plain"}, "Le message dépasse 10"),
        (
            {"body": "Sondage", "kind": "poll", "poll_option_1": "Seul"},
            "Un sondage propose de 2 à 10 réponses.",
        ),
        (
            {"body": "Sondage", "kind": "poll", "poll_option_1": "Oui", "poll_option_2": "oui"},
            "Deux réponses du sondage sont identiques.",
        ),
        (
            {"body": "Annonce", "kind": "announcement"},
            "Indiquez jusqu'à quand l'annonce reste épinglée",
        ),
        (
            {"body": "Annonce", "kind": "announcement", "pinned_until": "2001-01-01"},
            "Indiquez jusqu'à quand l'annonce reste épinglée",
        ),
        ({"body": "Texte", "kind": "sondage"}, "Sélectionnez un choix valide"),
        (
            {"body": "Texte", "kind": "plain", "pinned_until": "demain"},
            "Saisissez une date valide.",
        ),
    ],
)
def test_a_refused_post_shows_a_french_message_in_the_composer_and_changes_nothing(
    world, as_user, data, message
):
    before = db_state()
    response = send(as_user("staff_member"), "/groupes/public/publier/", data)
    assert response.status_code == 200
    assert message in text(response).replace("&#x27;", "'")
    assert "Le formulaire contient" in text(response)
    assert db_state() == before


def test_mentioning_someone_who_cannot_see_the_post_is_refused_with_a_french_message(
    world, as_user
):
    before = db_state()
    response = send(
        as_user("staff_member"),
        "/groupes/private/publier/",
        {"body": "Avis de @sacha sur le terrain ?", "kind": "plain"},
    )
    assert response.status_code == 200
    assert "@sacha ne peut pas voir cette publication" in text(response)
    assert "Avis de @sacha sur le terrain ?" in html(response)  # the text is kept for a retry
    assert db_state() == before


def test_mentions_and_topics_become_links_in_the_feed(world, as_user):
    send(
        as_user("staff_member"),
        "/groupes/public/publier/",
        {"body": "Merci @sacha pour le #stand", "kind": "plain"},
    )
    page = html(as_user("staff_member").get("/groupes/public/"))
    assert f'<a class="mention" href="/annuaire/{world.users["staff_outsider"].pk}/"' in page
    assert '<a class="topic" href="/sujets/stand/"' in page


@pytest.mark.parametrize("viewer", ["staff_outsider", "elected", "external_member", "citizen"])
def test_only_members_may_publish_in_a_group(world, as_user, viewer):
    before = db_state()
    response = send(
        as_user(viewer), "/groupes/public/publier/", {"body": "Intrus", "kind": "plain"}
    )
    assert response.status_code in (403, 404)
    assert db_state() == before


def test_every_form_requires_its_csrf_token(world, as_user):
    client = as_user("staff_member")
    post, comment = world.posts["public"], world.comments["public"]
    before = db_state()
    for url in (
        "/publier/",
        "/groupes/public/publier/",
        "/groupes/public/suivre/",
        f"/publications/{post.pk}/reagir/",
        f"/publications/{post.pk}/favori/",
        f"/publications/{post.pk}/commenter/",
        f"/publications/{post.pk}/modifier/",
        f"/publications/{post.pk}/supprimer/",
        f"/publications/{post.pk}/partager/",
        f"/publications/{world.posts['public_poll'].pk}/voter/",
        f"/commentaires/{comment.pk}/supprimer/",
        f"/commentaires/{comment.pk}/meilleure-reponse/",
        "/sujets/cloud/suivre/",
        f"/annuaire/{world.users['owner'].pk}/suivre/",
    ):
        response = client.post(url, {"body": "Sans jeton", "kind": "plain"})
        assert response.status_code == 403, url
    assert db_state() == before


def test_following_and_unfollowing_a_group(world, as_user):
    client, sacha = as_user("staff_outsider"), world.users["staff_outsider"]
    assert "Suivre ce groupe" in text(client.get("/groupes/public/"))
    assert send(client, "/groupes/public/suivre/", {"action": "follow"}).status_code == 302
    assert Follow.objects.filter(follower=sacha, group=world.groups["public"]).exists()
    assert world.posts["public"].pk in post_ids(client.get("/"))
    send(client, "/groupes/public/suivre/", {"action": "unfollow"})
    assert not Follow.objects.filter(follower=sacha, group=world.groups["public"]).exists()
    assert send(client, "/groupes/unlisted/suivre/", {"action": "follow"}).status_code == 404


# --- A post and its conversation --------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["staff_outsider", "external_member", "citizen"])
def test_a_post_page_answers_404_to_those_who_may_not_read_it(world, as_user, viewer):
    response = as_user(viewer).get(f"/publications/{world.posts['private'].pk}/")
    assert response.status_code == 404
    assert as_user(viewer).get("/publications/987654321/").status_code == 404


def test_a_post_page_shows_the_post_its_reactions_and_its_comments(world, as_user):
    post = world.posts["public"]
    services.react(actor=world.users["staff_member"], post=post, kind=Reaction.Kind.PARTY)
    response = as_user("staff_outsider").get(f"/publications/{post.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "Le stand est prêt" in page
    assert "Suite de public" in page
    assert "Qui a réagi ?" in page
    assert "Marie Membre" in page
    for name in ("J’aime", "Pouce levé", "Cœur", "Bravo", "Je regarde", "Validé"):
        assert name in page
    assert f'<time datetime="{timezone.localtime(post.created_at).isoformat()}' in html(response)


def test_a_like_toggles_and_htmx_gets_the_updated_reactions(world, as_user):
    client, post = as_user("staff_outsider"), world.posts["public"]
    response = send(
        client,
        f"/publications/{post.pk}/reagir/",
        {"kind": "like", "action": "add", "scope": "feed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="feed-post-{post.pk}-like" aria-pressed="true"' in html(response)
    assert "<html" not in html(response)
    assert post.reactions.filter(kind="like").count() == 1
    response = send(
        client, f"/publications/{post.pk}/reagir/", {"kind": "like", "action": "remove"}
    )
    assert response.status_code == 302
    assert post.reactions.count() == 0


def test_an_unknown_reaction_is_refused_in_french(world, as_user):
    client, post = as_user("staff_outsider"), world.posts["public"]
    before = db_state()
    response = send(client, f"/publications/{post.pk}/reagir/", {"kind": "caca", "action": "add"})
    assert db_state() == before
    assert "Réaction inconnue." in text(client.get(response["Location"]))


def test_a_bookmark_toggles(world, as_user):
    client, post = as_user("staff_outsider"), world.posts["public"]
    response = send(
        client, f"/publications/{post.pk}/favori/", {"action": "add"}, HTTP_HX_REQUEST="true"
    )
    assert 'aria-pressed="true">Favori' in html(response)
    assert Bookmark.objects.filter(post=post).count() == 1
    send(client, f"/publications/{post.pk}/favori/", {"action": "remove"})
    assert Bookmark.objects.filter(post=post).count() == 0


@pytest.mark.parametrize("action", ["reagir", "favori", "commenter", "voter", "partager"])
def test_nobody_acts_on_a_post_they_may_not_read(world, as_user, action):
    before = db_state()
    for viewer, key in (("staff_outsider", "private"), ("external_member", "public_poll")):
        response = send(
            as_user(viewer),
            f"/publications/{world.posts[key].pk}/{action}/",
            {"body": "x", "option": 1},
        )
        assert response.status_code == 404
    assert db_state() == before


def test_a_vote_shows_results_with_percentages_and_may_change_until_the_poll_closes(world, as_user):
    poll = world.posts["public_poll"]
    matin, apres_midi = poll.poll_options.all()
    client = as_user("staff_member")
    before = text(client.get(f"/publications/{poll.pk}/"))
    assert "Les résultats s’affichent après votre vote." in before
    assert "%" not in before

    response = send(client, f"/publications/{poll.pk}/voter/", {"option": matin.pk})
    assert response["Location"] == f"/publications/{poll.pk}/#sondage-{poll.pk}"
    page = text(client.get(f"/publications/{poll.pk}/"))
    assert "Votre vote est enregistré." in page
    assert "100 % (1 voix)" in page
    assert "Changer mon vote" in page

    send(as_user("staff_outsider"), f"/publications/{poll.pk}/voter/", {"option": apres_midi.pk})
    send(client, f"/publications/{poll.pk}/voter/", {"option": apres_midi.pk})
    assert PollVote.objects.get(user=world.users["staff_member"]).option == apres_midi
    assert "100 % (2 voix)" in text(client.get(f"/publications/{poll.pk}/"))

    # Only the author or a manager closes it; then votes are refused in French.
    assert send(client, f"/publications/{poll.pk}/clore/").status_code == 403
    send(as_user("owner"), f"/publications/{poll.pk}/clore/")
    before = db_state()
    response = send(client, f"/publications/{poll.pk}/voter/", {"option": matin.pk})
    assert db_state() == before
    assert "Ce sondage est clos." in text(client.get(response["Location"]))


def test_a_vote_without_a_choice_or_for_another_poll_is_refused_in_french(world, as_user):
    poll, other = world.posts["public_poll"], world.posts["garage_poll"]
    client = as_user("staff_member")
    before = db_state()
    response = send(client, f"/publications/{poll.pk}/voter/", {})
    assert "Choisissez une réponse avant de voter." in text(client.get(response["Location"]))
    response = send(
        client, f"/publications/{poll.pk}/voter/", {"option": other.poll_options.first().pk}
    )
    assert "Cette réponse n'appartient pas au sondage." in text(
        client.get(response["Location"])
    ).replace("&#x27;", "'")
    assert db_state() == before


def test_comments_are_added_with_htmx_edited_and_deleted_by_their_author(world, as_user):
    post = world.posts["public"]
    client = as_user("staff_outsider")
    response = send(
        client, f"/publications/{post.pk}/commenter/", {"body": "J'en suis"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in html(response)
    assert 'id="commentaires"' in html(response)
    assert "Votre commentaire est publié." in text(response)
    assert "2 commentaires" in text(response)
    comment = Comment.objects.get(body="J'en suis")

    response = send(client, f"/commentaires/{comment.pk}/modifier/", {"body": "J'en suis aussi"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "J'en suis aussi"
    assert comment.edited_at is not None

    # Someone else may neither edit nor delete it.
    before = db_state()
    assert (
        send(
            as_user("staff_member"), f"/commentaires/{comment.pk}/modifier/", {"body": "Non"}
        ).status_code
        == 403
    )
    assert as_user("staff_member").get(f"/commentaires/{comment.pk}/modifier/").status_code == 403
    assert (
        send(as_user("staff_member"), f"/commentaires/{comment.pk}/supprimer/").status_code == 403
    )
    assert db_state() == before

    send(client, f"/commentaires/{comment.pk}/supprimer/")
    comment.refresh_from_db()
    assert comment.is_deleted
    assert "Commentaire supprimé" in text(client.get(f"/publications/{post.pk}/"))


def test_a_group_manager_deletes_any_comment_of_the_group(world, as_user):
    comment = services.add_comment(
        author=world.users["staff_member"], post=world.posts["public"], body="Hors sujet"
    )
    assert send(as_user("owner"), f"/commentaires/{comment.pk}/supprimer/").status_code == 302
    comment.refresh_from_db()
    assert comment.is_deleted


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  ", "Le message est vide."),
        ("x" * 5001, "Le message dépasse 5"),
        ("Hé @sacha", "@sacha ne peut pas voir"),
    ],
)
def test_a_refused_comment_shows_the_french_message_next_to_the_form(world, as_user, body, message):
    post = world.posts["private"]
    before = db_state()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = send(
            as_user("staff_member"),
            f"/publications/{post.pk}/commenter/",
            {"body": body},
            **headers,
        )
        assert response.status_code == 200
        assert message in text(response)
    assert db_state() == before


def test_the_author_edits_a_post_with_a_visible_mark_and_a_kept_history(world, as_user):
    post = world.posts["public"]
    client = as_user("owner")
    assert client.get(f"/publications/{post.pk}/modifier/").status_code == 200
    response = send(
        client, f"/publications/{post.pk}/modifier/", {"body": "Le stand est monté #cloud"}
    )
    assert response["Location"] == f"/publications/{post.pk}/"
    page = client.get(f"/publications/{post.pk}/")
    assert f'href="/publications/{post.pk}/historique/" class="post__edited">modifié' in html(page)
    history = text(as_user("staff_outsider").get(f"/publications/{post.pk}/historique/"))
    assert "Le stand est prêt #cloud #salon" in history
    assert "Le stand est monté" in history


def test_only_the_author_edits_a_post(world, as_user):
    post = world.posts["public"]
    before = db_state()
    for viewer in ("staff_member", "staff_outsider"):
        assert as_user(viewer).get(f"/publications/{post.pk}/modifier/").status_code == 403
        assert (
            send(
                as_user(viewer), f"/publications/{post.pk}/modifier/", {"body": "Pirate"}
            ).status_code
            == 403
        )
    response = send(as_user("owner"), f"/publications/{post.pk}/modifier/", {"body": ""})
    assert "Le message est vide." in text(response)
    assert db_state() == before


def test_a_deleted_post_is_a_tombstone_whose_comments_stay_readable(world, as_user):
    post = world.posts["public"]
    before = db_state()
    assert as_user("staff_member").get(f"/publications/{post.pk}/supprimer/").status_code == 403
    assert send(as_user("staff_member"), f"/publications/{post.pk}/supprimer/").status_code == 403
    assert db_state() == before

    confirm = as_user("owner").get(f"/publications/{post.pk}/supprimer/")
    assert "Supprimer la publication ?" in text(confirm)
    response = send(as_user("owner"), f"/publications/{post.pk}/supprimer/")
    assert response["Location"] == "/groupes/public/"
    page = as_user("staff_outsider").get(f"/publications/{post.pk}/")
    assert "Publication supprimée" in text(page)
    assert "Le stand est prêt" not in text(page)
    assert "Suite de public" in text(page)
    # Its former text is not shown to readers through the history either.
    assert as_user("staff_outsider").get(f"/publications/{post.pk}/historique/").status_code == 404
    assert (
        send(
            as_user("staff_outsider"), f"/publications/{post.pk}/commenter/", {"body": "Tard"}
        ).status_code
        == 403
    )


def test_a_group_manager_deletes_a_member_s_post(world, as_user):
    post = services.create_post(
        author=world.users["staff_member"], group=world.groups["public"], body="Oups"
    )
    send(as_user("owner"), f"/publications/{post.pk}/supprimer/")
    post.refresh_from_db()
    assert post.is_deleted


def test_the_asker_marks_the_best_answer_which_comes_first_with_a_badge(world, as_user):
    u = world.users
    question = services.create_post(
        author=u["owner"], group=world.groups["public"], body="Qui ?", kind="question"
    )
    first = services.add_comment(author=u["staff_member"], post=question, body="Moi d'abord")
    best = services.add_comment(
        author=u["staff_outsider"], post=question, body="Moi, avec le camion"
    )
    before = db_state()
    response = send(as_user("staff_member"), f"/commentaires/{best.pk}/meilleure-reponse/")
    assert response.status_code == 403
    assert db_state() == before
    assert "Marquer comme meilleure réponse" not in text(
        as_user("staff_member").get(f"/publications/{question.pk}/")
    )

    page = as_user("owner").get(f"/publications/{question.pk}/")
    assert "Marquer comme meilleure réponse" in text(page)
    send(as_user("owner"), f"/commentaires/{best.pk}/meilleure-reponse/")
    page = html(as_user("staff_member").get(f"/publications/{question.pk}/"))
    assert page.index(f'id="commentaire-{best.pk}"') < page.index(f'id="commentaire-{first.pk}"')
    assert "Meilleure réponse" in page
    assert post_ids(as_user("owner").get("/?filter=questions")) == []


def test_a_public_post_is_shared_into_a_group_where_the_sharer_may_post(world, as_user):
    post = world.posts["public"]
    client = as_user("staff_member")
    page = html(client.get(f"/publications/{post.pk}/"))
    assert "Partager dans un autre groupe" in page
    options = re.findall(
        r'<option value="(\d+)"', page.split('name="share-group"')[1].split("</select>")[0]
    )
    # Never into a group open to external members.
    assert str(world.groups["garage"].pk) not in options
    assert str(world.groups["private"].pk) in options
    response = send(
        client,
        f"/publications/{post.pk}/partager/",
        {"share-group": world.groups["private"].pk, "share-body": "À lire"},
    )
    shared = Post.objects.get(shared_from=post)
    assert response["Location"] == f"/publications/{shared.pk}/"
    assert shared.group == world.groups["private"]
    assert "a partagé une publication" in text(client.get(response["Location"]))

    before = db_state()
    response = send(
        client, f"/publications/{post.pk}/partager/", {"share-group": world.groups["garage"].pk}
    )
    assert "Vous ne pouvez pas partager cette publication dans ce groupe." in text(response)
    assert db_state() == before


def test_posts_of_private_groups_cannot_be_shared(world, as_user):
    post = world.posts["private"]
    assert "Partager dans un autre groupe" not in text(
        as_user("staff_member").get(f"/publications/{post.pk}/")
    )
    before = db_state()
    response = send(
        as_user("staff_member"),
        f"/publications/{post.pk}/partager/",
        {"share-group": world.groups["public"].pk},
    )
    assert response.status_code == 403
    assert db_state() == before


# --- Mentions ---------------------------------------------------------------------------------


def handles(response) -> list[str]:
    return re.findall(r'data-handle="([^"]+)"', html(response))


def test_mention_suggestions_list_only_people_who_may_read_the_post(world, as_user):
    client = as_user("staff_member")
    # Private group: members only (Sacha is staff but not a member).
    assert handles(client.get("/mentions/?group=private&q=sac")) == []
    assert handles(client.get("/mentions/?group=private&q=él")) == ["elise"]
    # Public group: every staff and elected member, not the external ones.
    assert handles(client.get("/mentions/?group=public&q=sac")) == ["sacha"]
    assert handles(client.get("/mentions/?group=public&q=ern")) == []
    # Le Garage: its members, external ones with their badge; not those whose access ended.
    garage = client.get("/mentions/?group=garage&q=e")
    assert set(handles(garage)) == {"ernest", "olivier"}
    assert "externe" in text(garage)
    # Profile posts: staff and elected only.
    assert handles(client.get("/mentions/?q=o")) == ["olivier"]
    assert handles(client.get("/mentions/?q=@el")) == ["elise"]
    assert handles(client.get("/mentions/?q=ern")) == []


def test_mention_suggestions_are_refused_where_the_author_may_not_read(world, as_user):
    assert as_user("external_member").get("/mentions/?group=public&q=o").status_code == 404
    assert as_user("staff_outsider").get("/mentions/?group=private&q=o").status_code == 403
    assert as_user("external_member").get("/mentions/?q=o").status_code == 403
    assert as_user("citizen").get("/mentions/?group=garage&q=o").status_code == 404


def test_mention_suggestions_are_at_most_eight(world, as_user, make_user):
    for n in range(12):
        make_user(User.Kind.STAFF, handle=f"zoe{n}", display_name=f"Zoé {n}")
    assert len(handles(as_user("staff_member").get("/mentions/?group=public&q=zo"))) == 8


# --- Topics, people ---------------------------------------------------------------------------


def test_a_topic_page_lists_the_visible_posts_that_carry_it(world, as_user):
    response = as_user("external_member").get("/sujets/cloud/")
    assert response.status_code == 200
    assert "#cloud" in text(response)
    assert set(post_ids(response)) == {world.posts["garage"].pk}
    response = as_user("staff_member").get("/sujets/cloud/")
    assert set(post_ids(response)) == {world.posts[k].pk for k in ("public", "private", "garage")}


@pytest.mark.parametrize(
    ("viewer", "topic"),
    [
        ("external_member", "salon"),
        ("staff_outsider", "confidentiel"),
        ("citizen", "cloud"),
        ("staff_member", "inconnu"),
    ],
)
def test_a_topic_page_answers_404_when_the_reader_sees_no_post_with_it(
    world, as_user, viewer, topic
):
    assert as_user(viewer).get(f"/sujets/{topic}/").status_code == 404
    before = db_state()
    assert send(as_user(viewer), f"/sujets/{topic}/suivre/").status_code == 404
    assert db_state() == before


def test_following_a_topic_brings_its_posts_to_the_home_feed(world, as_user):
    client, sacha = as_user("staff_outsider"), world.users["staff_outsider"]
    assert world.posts["public"].pk not in post_ids(client.get("/"))
    assert "Suivre ce sujet" in text(client.get("/sujets/salon/"))
    send(client, "/sujets/salon/suivre/", {"action": "follow"})
    assert "Ne plus suivre ce sujet" in text(client.get("/sujets/salon/"))
    assert world.posts["public"].pk in post_ids(client.get("/"))
    send(client, "/sujets/salon/suivre/", {"action": "unfollow"})
    assert not Follow.objects.filter(follower=sacha).exclude(group__isnull=False).exists()


def test_the_profile_page_loads_the_person_s_posts_and_a_follow_button(world, as_user):
    owner = world.users["owner"]
    client = as_user("staff_outsider")
    profile = html(client.get(f"/annuaire/{owner.pk}/"))
    assert f'hx-get="/annuaire/{owner.pk}/publications/"' in profile
    section = client.get(f"/annuaire/{owner.pk}/publications/", HTTP_HX_REQUEST="true")
    assert "<html" not in html(section)
    assert 'id="profile-feed"' in html(section)
    assert set(post_ids(section)) == {
        world.posts[k].pk for k in ("public", "public_poll", "profile")
    }
    send(client, f"/annuaire/{owner.pk}/suivre/", {"action": "follow"})
    assert Follow.objects.filter(follower=world.users["staff_outsider"], user=owner).exists()
    assert "Ne plus suivre" in text(client.get(f"/annuaire/{owner.pk}/publications/"))
    assert world.posts["profile"].pk in post_ids(client.get("/"))


def test_the_profile_feed_follows_the_directory_rules(world, as_user):
    owner, sacha = world.users["owner"], world.users["staff_outsider"]
    garage_only = as_user("external_member").get(f"/annuaire/{owner.pk}/publications/")
    assert set(post_ids(garage_only)) == {world.posts[k].pk for k in ("garage", "garage_poll")}
    before = db_state()
    assert as_user("external_member").get(f"/annuaire/{sacha.pk}/publications/").status_code == 404
    assert send(as_user("external_member"), f"/annuaire/{sacha.pk}/suivre/").status_code == 404
    assert send(as_user("staff_outsider"), f"/annuaire/{sacha.pk}/suivre/").status_code == 403
    assert as_user("citizen").get(f"/annuaire/{owner.pk}/publications/").status_code == 404
    assert db_state() == before


def test_an_external_member_whose_access_ended_sees_nothing_of_the_group(world, as_user):
    client = as_user("external_expired")
    assert post_ids(client.get("/")) == []
    assert client.get(f"/publications/{world.posts['garage'].pk}/").status_code == 404
    Membership.objects.filter(user=world.users["external_expired"]).update(expires_at=None)
    assert client.get(f"/publications/{world.posts['garage'].pk}/").status_code == 200
