"""The social JSON API: feeds, posts, comments, reactions, polls, topics and follows.

Every endpoint for a user allowed to use it, the refusals (anonymous, citizen, outsider,
missing CSRF token), bad input that changes nothing, and feeds at a constant query count.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import create_api_token
from social import services
from social.models import Comment, Follow, PollVote, Post, PostRevision, Reaction
from tests.social.conftest import db_state

API = "/api/v1"
JSON = "application/json"


class Api:
    """A script using the API with a personal token (no session, no CSRF token needed)."""

    def __init__(self, user) -> None:
        _token, raw = create_api_token(user=user, name="tests")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)

    def get(self, path: str, **params):
        return self.client.get(API + path, params)

    def send(self, method: str, path: str, payload=None, *, raw: str | None = None):
        body = raw if raw is not None else ("" if payload is None else json.dumps(payload))
        return getattr(self.client, method)(API + path, body, content_type=JSON)

    def post(self, path: str, payload=None, **kwargs):
        return self.send("post", path, payload, **kwargs)

    def patch(self, path: str, payload=None, **kwargs):
        return self.send("patch", path, payload, **kwargs)

    def delete(self, path: str, payload=None, **kwargs):
        return self.send("delete", path, payload, **kwargs)


@pytest.fixture
def api():
    return Api


def ok(response, status: int = 200):
    assert response.status_code == status, response.content[:500]
    return response.json() if response.content else None


def error(response, status: int) -> str:
    """The `detail` of a JSON error; never a redirect, never an HTML page."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(JSON)
    detail = response.json()["detail"]
    assert detail
    return detail


def refused_unchanged(response, status: int, before: dict) -> str | list:
    detail = error(response, status)
    assert db_state() == before
    return detail


# --- Reading posts ------------------------------------------------------------------------


def test_a_post_shows_its_author_group_text_topics_and_counts(world, api):
    owner, marie = world.users["owner"], world.users["staff_member"]
    post = services.create_post(
        author=marie,
        group=world.groups["public"],
        body="Stand validé avec @olivier #salon **bravo**",
    )
    services.react(actor=owner, post=post)
    services.react(actor=owner, post=post, kind=Reaction.Kind.PARTY)
    services.add_comment(author=owner, post=post, body="Merci !")
    services.bookmark(actor=owner, post=post)

    data = ok(api(owner).get(f"/posts/{post.pk}"))

    assert data["id"] == post.pk
    assert data["kind"] == "plain"
    assert data["author"] == {
        "id": marie.pk,
        "handle": "marie",
        "display_name": "Marie Membre",
        "kind": "staff",
        "organisation": None,
        "profile_url": f"/annuaire/{marie.pk}/",
    }
    assert data["group"] == {
        "slug": "public",
        "name": "Foire de Hanovre 2026",
        "open_to_external": False,
    }
    assert data["body"] == "Stand validé avec @olivier #salon **bravo**"
    assert "<strong>bravo</strong>" in data["body_html"]
    assert 'class="mention"' in data["body_html"]
    assert data["topics"] == ["salon"]
    assert data["mentions"] == ["olivier"]
    assert data["comment_count"] == 1
    assert data["like_count"] == 1
    assert data["liked"] is True
    assert data["reactions"]["party"] == 1
    assert data["reactions"]["heart"] == 0
    assert set(data["my_reactions"]) == {"like", "party"}
    assert data["is_bookmarked"] is True
    assert data["is_deleted"] is False
    assert data["edited_at"] is None
    assert data["poll"] is None
    assert data["shared_from"] is None
    assert data["can_edit"] is False
    assert data["can_delete"] is True  # the owner manages the group
    assert data["url"] == f"/publications/{post.pk}/"


def test_an_external_member_sees_the_organisation_of_an_external_author(world, api):
    post = world.posts["garage_by_external"]

    data = ok(api(world.users["staff_member"]).get(f"/posts/{post.pk}"))

    assert data["author"]["kind"] == "external"
    assert data["author"]["organisation"] == "Ferment & Co"
    assert data["group"]["open_to_external"] is True


@pytest.mark.parametrize(
    ("viewer", "post"),
    [
        ("external_member", "public"),  # a public internal group: never for external members
        ("external_member", "private"),
        ("external_member", "profile"),
        ("external_outsider", "garage"),
        ("external_expired", "garage"),
        ("staff_outsider", "private"),
        ("staff_outsider", "unlisted"),
        ("elected", "garage"),
        ("citizen", "public"),
        ("citizen", "garage"),
    ],
)
def test_a_post_one_may_not_read_answers_404_like_an_unknown_id(world, api, viewer, post):
    client = api(world.users[viewer])
    post_id = world.posts[post].pk
    comment_id = world.comments[post].pk
    unknown = Post.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    before = db_state()

    for path in (f"/posts/{post_id}", f"/posts/{unknown}"):
        assert error(client.get(path), 404) == "Introuvable."
        assert error(client.get(f"{path}/comments"), 404) == "Introuvable."
        assert error(client.get(f"{path}/revisions"), 404) == "Introuvable."
        assert error(client.patch(path, {"body": "Piraté"}), 404) == "Introuvable."
        assert error(client.delete(path), 404) == "Introuvable."
        assert error(client.post(f"{path}/comments", {"body": "Coucou"}), 404)
        assert error(client.post(f"{path}/like"), 404)
        assert error(client.delete(f"{path}/like"), 404)
        assert error(client.post(f"{path}/bookmark"), 404)
        assert error(client.post(f"{path}/vote", {"option_id": 1}), 404)
        assert error(client.post(f"{path}/share", {"group": "public"}), 404)
    for path in (f"/comments/{comment_id}", f"/comments/{unknown}"):
        assert error(client.patch(path, {"body": "Piraté"}), 404) == "Introuvable."
        assert error(client.delete(path), 404) == "Introuvable."
        assert error(client.post(f"{path}/best-answer"), 404) == "Introuvable."
    assert db_state() == before


# --- Anonymous, CSRF ----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/feed"),
    ("get", "/groups/public/posts"),
    ("post", "/groups/public/posts"),
    ("get", "/posts/1"),
    ("patch", "/posts/1"),
    ("delete", "/posts/1"),
    ("get", "/posts/1/revisions"),
    ("get", "/posts/1/comments"),
    ("post", "/posts/1/comments"),
    ("patch", "/comments/1"),
    ("delete", "/comments/1"),
    ("post", "/comments/1/best-answer"),
    ("post", "/posts/1/like"),
    ("delete", "/posts/1/like"),
    ("post", "/posts/1/bookmark"),
    ("delete", "/posts/1/bookmark"),
    ("post", "/posts/1/vote"),
    ("post", "/posts/1/share"),
    ("get", "/topics/cloud"),
    ("post", "/follows"),
    ("delete", "/follows"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_requests_get_a_french_json_401(db, method, path):
    if method == "get":
        response = Client().get(API + path)
    else:
        response = getattr(Client(), method)(API + path, "{}", content_type=JSON)

    assert error(response, 401).startswith("Authentification requise")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_without_csrf_token_can_neither_post_nor_react_and_changes_nothing(
    world, client_for
):
    client = client_for(world.users["staff_member"])
    post = world.posts["public"]
    before = db_state()

    for method, path, payload in (
        ("post", "/groups/public/posts", {"body": "Sans jeton"}),
        ("patch", f"/posts/{post.pk}", {"body": "Sans jeton"}),
        ("delete", f"/posts/{post.pk}", None),
        ("post", f"/posts/{post.pk}/like", None),
        ("post", f"/posts/{post.pk}/comments", {"body": "Sans jeton"}),
        ("post", "/follows", {"topic": "cloud"}),
    ):
        response = getattr(client, method)(API + path, json.dumps(payload), content_type=JSON)
        assert "CSRF" in error(response, 403)
    assert db_state() == before


def test_a_session_with_its_csrf_token_publishes(world, client_for):
    client = client_for(world.users["staff_member"])
    assert client.get("/compte/jetons/").status_code == 200
    token = client.cookies["csrftoken"].value

    response = client.post(
        f"{API}/groups/public/posts",
        {"body": "Par le navigateur"},
        content_type=JSON,
        HTTP_X_CSRFTOKEN=token,
    )

    assert ok(response, 201)["body"] == "Par le navigateur"


# --- Publishing ---------------------------------------------------------------------------


def test_a_member_publishes_a_post_a_question_and_an_announcement(world, api):
    client = api(world.users["staff_member"])
    until = timezone.now() + timedelta(days=3)

    plain = ok(client.post("/groups/private/posts", {"body": "  Point d'étape #royeux  "}), 201)
    question = ok(
        client.post("/groups/private/posts", {"kind": "question", "body": "Qui vient ?"}), 201
    )
    announcement = ok(
        client.post(
            "/groups/private/posts",
            {"kind": "announcement", "body": "Réunion lundi", "pinned_until": until.isoformat()},
        ),
        201,
    )

    assert plain["body"] == "Point d'étape #royeux"
    assert plain["topics"] == ["royeux"]
    assert plain["group"]["slug"] == "private"
    assert plain["author"]["handle"] == "marie"
    assert plain["can_edit"] is True
    assert question["kind"] == "question"
    assert question["best_answer_id"] is None
    assert announcement["kind"] == "announcement"
    assert announcement["pinned_until"] is not None
    stored = Post.objects.get(pk=announcement["id"])
    assert stored.pinned_until == until
    assert stored.author == world.users["staff_member"]


@pytest.mark.parametrize(
    ("viewer", "slug", "status"),
    [
        ("staff_outsider", "public", 403),  # may read the public group, is not a member
        ("staff_outsider", "private", 403),  # sees the private group in listings only
        ("staff_outsider", "unlisted", 404),
        ("external_member", "public", 404),
        ("external_expired", "garage", 404),
        ("citizen", "public", 404),
        ("elected", "nowhere", 404),
    ],
)
def test_only_members_publish_in_a_group(world, api, viewer, slug, status):
    before = db_state()

    response = api(world.users[viewer]).post(f"/groups/{slug}/posts", {"body": "Intrusion"})

    refused_unchanged(response, status, before)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   \n\t "},
        {"body": None},
        {"body": 42},
        {"body": "x" * 10_001},
        {"body": "nul\u0000"},
        {"body": "Texte", "kind": "story"},
        {"body": "Texte", "kind": "poll"},
        {"body": "Texte", "kind": "poll", "poll_options": ["Seule"]},
        {"body": "Texte", "kind": "poll", "poll_options": [f"Choix {i}" for i in range(11)]},
        {"body": "Texte", "kind": "poll", "poll_options": ["Oui", ""]},
        {"body": "Texte", "kind": "poll", "poll_options": ["Oui", "x" * 201]},
        {"body": "Texte", "kind": "announcement"},
        {"body": "Texte", "kind": "announcement", "pinned_until": "2030-01-01T10:00:00"},
        {"body": "Texte", "kind": "announcement", "pinned_until": "demain"},
        {"body": "Texte", "poll_options": ["Oui", "Non"]},
        {"body": "Texte", "pinned_until": "2030-01-01T10:00:00+00:00"},
        {"body": "Texte", "group": "private"},
        {"body": "Texte", "author": 1},
    ],
    ids=lambda payload: ",".join(f"{k}={str(v)[:10]}" for k, v in payload.items()) or "empty",
)
def test_invalid_posts_are_refused_with_422_and_change_nothing(world, api, payload):
    before = db_state()

    response = api(world.users["staff_member"]).post("/groups/public/posts", payload)

    refused_unchanged(response, 422, before)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"body": "Texte", "kind": "poll", "poll_options": ["Oui", "oui"]},
            "poll_options",
            "Deux réponses du sondage sont identiques.",
        ),
        (
            {"body": "Texte", "kind": "announcement", "pinned_until": "2020-01-01T10:00:00Z"},
            "pinned_until",
            "Indiquez jusqu'à quand l'annonce reste épinglée (futur).",
        ),
    ],
)
def test_posts_refused_by_a_rule_get_a_french_400_naming_the_field(
    world, api, payload, field, message
):
    before = db_state()

    response = api(world.users["staff_member"]).post("/groups/public/posts", payload)

    assert refused_unchanged(response, 400, before) == message
    assert response.json()["errors"] == {field: [message]}


@pytest.mark.parametrize(
    "raw",
    ["{not json", '{"body": "Texte"', "[]", '["body"]', '"texte"', "42", "null", ""],
)
def test_a_malformed_json_body_is_refused_and_changes_nothing(world, api, raw):
    before = db_state()

    response = api(world.users["staff_member"]).post("/groups/public/posts", raw=raw)

    assert 400 <= response.status_code < 500
    refused_unchanged(response, response.status_code, before)


def test_mentioning_someone_who_cannot_see_the_post_is_refused_naming_them(world, api):
    # Sacha (staff) may read the public group but not the private one.
    client = api(world.users["staff_member"])
    before = db_state()

    response = client.post("/groups/private/posts", {"body": "Qu'en pense @sacha ?"})

    detail = refused_unchanged(response, 400, before)
    assert detail.startswith("@sacha ne peut pas voir cette publication")
    assert response.json()["errors"]["body"] == [detail]
    assert ok(client.post("/groups/public/posts", {"body": "Qu'en pense @sacha ?"}), 201)


def test_mentioning_an_elected_official_in_the_private_group_notifies_her_feed(world, api):
    post = ok(
        api(world.users["staff_member"]).post(
            "/groups/private/posts", {"body": "Votre avis @elise ?"}
        ),
        201,
    )

    assert post["mentions"] == ["elise"]
    feed = ok(api(world.users["elected"]).get("/feed", filter="mentions"))
    assert [item["id"] for item in feed["items"]] == [post["id"]]


# --- Editing and deleting ---------------------------------------------------------------------


def test_the_author_edits_a_post_and_its_history_is_kept(world, api):
    client = api(world.users["owner"])
    post = world.posts["public"]

    data = ok(client.patch(f"/posts/{post.pk}", {"body": "Le stand est prêt #salon #export"}))

    assert data["body"] == "Le stand est prêt #salon #export"
    assert data["edited_at"] is not None
    assert sorted(data["topics"]) == ["export", "salon"]
    history = ok(client.get(f"/posts/{post.pk}/revisions"))
    assert history["count"] == 1
    revision = history["items"][0]
    assert revision["body"] == "Le stand est prêt #cloud #salon"
    assert revision["edited_by"]["handle"] == "olivier"
    # Every reader of the post may read its history.
    assert ok(api(world.users["staff_outsider"]).get(f"/posts/{post.pk}/revisions"))["count"] == 1


@pytest.mark.parametrize("payload", [{"body": ""}, {"body": "x" * 10_001}, {"text": "Autre"}, {}])
def test_an_invalid_edit_is_refused_and_changes_nothing(world, api, payload):
    before = db_state()

    response = api(world.users["owner"]).patch(f"/posts/{world.posts['public'].pk}", payload)

    refused_unchanged(response, 422, before)


def test_only_the_author_edits_a_post(world, api):
    before = db_state()

    response = api(world.users["staff_member"]).patch(
        f"/posts/{world.posts['public'].pk}", {"body": "Réécrit"}
    )

    refused_unchanged(response, 403, before)


def test_a_group_manager_deletes_a_post_and_a_tombstone_stays(world, api):
    post = world.posts["garage_by_external"]
    owner = api(world.users["owner"])

    response = owner.delete(f"/posts/{post.pk}")

    assert response.status_code == 204
    assert response.content == b""
    data = ok(api(world.users["external_member"]).get(f"/posts/{post.pk}"))
    assert data["is_deleted"] is True
    assert data["body"] == data["body_html"] == ""
    assert data["topics"] == []
    assert data["can_edit"] is data["can_delete"] is False
    # The deleted text stays for audit only, not for the group's readers.
    assert error(owner.get(f"/posts/{post.pk}/revisions"), 404) == "Introuvable."
    assert PostRevision.objects.get(post=post).body == "Notre levée de fonds #garage"
    # A tombstone is neither edited nor deleted again.
    assert error(owner.delete(f"/posts/{post.pk}"), 403)


def test_a_member_may_not_delete_someone_else_s_post(world, api):
    before = db_state()

    response = api(world.users["staff_member"]).delete(f"/posts/{world.posts['public'].pk}")

    refused_unchanged(response, 403, before)


# --- Comments -----------------------------------------------------------------------------


def test_comments_are_added_listed_edited_and_deleted(world, api):
    post = world.posts["garage"]
    ernest = api(world.users["external_member"])

    created = ok(ernest.post(f"/posts/{post.pk}/comments", {"body": "Merci @olivier"}), 201)
    services.react(actor=world.users["owner"], comment=Comment.objects.get(pk=created["id"]))
    edited = ok(ernest.patch(f"/comments/{created['id']}", {"body": "Merci beaucoup"}))
    listing = ok(ernest.get(f"/posts/{post.pk}/comments"))

    assert created["author"]["handle"] == "ernest"
    assert created["author"]["organisation"] == "Ferment & Co"
    assert created["post_id"] == post.pk
    assert "mention" in created["body_html"]
    assert created["like_count"] == 0
    assert edited["body"] == "Merci beaucoup"
    assert edited["edited_at"] is not None
    assert edited["like_count"] == 1
    assert edited["liked"] is False
    assert listing["count"] == 2
    assert [c["body"] for c in listing["items"]] == ["Suite de garage", "Merci beaucoup"]
    assert ok(api(world.users["owner"]).get(f"/posts/{post.pk}/comments"))["items"][1]["liked"]

    assert ernest.delete(f"/comments/{created['id']}").status_code == 204
    after = ok(ernest.get(f"/posts/{post.pk}/comments"))["items"][1]
    assert after["is_deleted"] is True
    assert after["body"] == after["body_html"] == ""
    assert ok(ernest.get(f"/posts/{post.pk}"))["comment_count"] == 1


@pytest.mark.parametrize("payload", [{"body": ""}, {"body": "x" * 5_001}, {"body": "a", "x": 1}])
def test_an_invalid_comment_is_refused_and_changes_nothing(world, api, payload):
    before = db_state()

    response = api(world.users["owner"]).post(
        f"/posts/{world.posts['public'].pk}/comments", payload
    )

    refused_unchanged(response, 422, before)


def test_only_its_author_edits_a_comment(world, api):
    before = db_state()

    response = api(world.users["staff_member"]).patch(
        f"/comments/{world.comments['public'].pk}", {"body": "Réécrit"}
    )

    refused_unchanged(response, 403, before)


def test_the_asker_marks_the_best_answer_which_comes_first(world, api):
    marie = api(world.users["staff_member"])
    question = ok(
        marie.post("/groups/public/posts", {"kind": "question", "body": "Un traiteur ?"}), 201
    )
    owner = api(world.users["owner"])
    first = ok(owner.post(f"/posts/{question['id']}/comments", {"body": "A"}), 201)
    best = ok(owner.post(f"/posts/{question['id']}/comments", {"body": "B"}), 201)
    before = db_state()
    outsider = api(world.users["staff_outsider"]).post(f"/comments/{best['id']}/best-answer")
    refused_unchanged(outsider, 403, before)

    data = ok(marie.post(f"/comments/{best['id']}/best-answer"))

    assert data["best_answer_id"] == best["id"]
    listing = ok(marie.get(f"/posts/{question['id']}/comments"))["items"]
    assert [c["id"] for c in listing] == [best["id"], first["id"]]
    assert [c["is_best_answer"] for c in listing] == [True, False]
    questions = ok(marie.get("/groups/public/posts", filter="questions"))["items"]
    assert question["id"] not in [p["id"] for p in questions]


# --- Reactions and bookmarks ----------------------------------------------------------------


def test_like_and_other_reactions_are_added_and_removed(world, api):
    post = world.posts["garage"]
    client = api(world.users["external_member"])

    liked = ok(client.post(f"/posts/{post.pk}/like"))
    again = ok(client.post(f"/posts/{post.pk}/like"))
    heart = ok(client.post(f"/posts/{post.pk}/like?kind=heart"))
    unliked = ok(client.delete(f"/posts/{post.pk}/like"))

    assert liked == again
    assert liked["post_id"] == post.pk
    assert liked["like_count"] == 1
    assert liked["liked"] is True
    assert heart["reactions"]["heart"] == 1
    assert set(heart["my_reactions"]) == {"like", "heart"}
    assert unliked["like_count"] == 0
    assert unliked["liked"] is False
    assert unliked["my_reactions"] == ["heart"]


def test_an_unknown_reaction_is_refused(world, api):
    before = db_state()

    response = api(world.users["owner"]).post(f"/posts/{world.posts['public'].pk}/like?kind=poop")

    refused_unchanged(response, 422, before)


def test_bookmarks_are_added_removed_and_filter_the_feed(world, api):
    post = world.posts["public"]
    client = api(world.users["staff_outsider"])  # reads the public group, follows nothing

    assert ok(client.post(f"/posts/{post.pk}/bookmark")) == {
        "post_id": post.pk,
        "is_bookmarked": True,
    }
    assert ok(client.get(f"/posts/{post.pk}"))["is_bookmarked"] is True
    bookmarked = ok(client.get("/feed", filter="bookmarks"))["items"]
    assert [p["id"] for p in bookmarked] == [post.pk]

    assert ok(client.delete(f"/posts/{post.pk}/bookmark"))["is_bookmarked"] is False
    assert ok(client.get("/feed", filter="bookmarks"))["items"] == []


# --- Polls --------------------------------------------------------------------------------


def test_poll_results_show_only_after_voting_and_the_vote_can_change(world, api):
    poll = world.posts["garage_poll"]
    lundi, jeudi = poll.poll_options.all()
    ernest = api(world.users["external_member"])

    before_vote = ok(ernest.get(f"/posts/{poll.pk}"))["poll"]
    voted = ok(ernest.post(f"/posts/{poll.pk}/vote", {"option_id": lundi.pk}))
    changed = ok(ernest.post(f"/posts/{poll.pk}/vote", {"option_id": jeudi.pk}))

    assert before_vote["show_results"] is False
    assert before_vote["my_vote"] is None
    assert [o["label"] for o in before_vote["options"]] == ["Lundi", "Jeudi"]
    assert {o["votes_count"] for o in before_vote["options"]} == {None}
    assert {o["percent"] for o in before_vote["options"]} == {None}
    assert before_vote["total_votes"] is None
    assert voted["show_results"] is True
    assert voted["my_vote"] == lundi.pk
    assert [o["votes_count"] for o in voted["options"]] == [1, 0]
    assert [o["percent"] for o in voted["options"]] == [100, 0]
    assert changed["my_vote"] == jeudi.pk
    assert [o["votes_count"] for o in changed["options"]] == [0, 1]
    assert PollVote.objects.filter(post=poll).count() == 1
    # Another member who has not voted still sees no counts; the author sees them.
    assert (
        ok(api(world.users["staff_member"]).get(f"/posts/{poll.pk}"))["poll"]["total_votes"] is None
    )
    assert ok(api(world.users["owner"]).get(f"/posts/{poll.pk}"))["poll"]["total_votes"] == 1


def test_a_member_creates_a_poll_through_the_api(world, api):
    data = ok(
        api(world.users["external_member"]).post(
            "/groups/garage/posts",
            {"kind": "poll", "body": "Quel format ?", "poll_options": [" Atelier ", "Pitch"]},
        ),
        201,
    )

    assert data["kind"] == "poll"
    assert [o["label"] for o in data["poll"]["options"]] == ["Atelier", "Pitch"]
    assert data["poll"]["closed"] is False


def test_a_vote_on_a_closed_poll_or_for_a_foreign_option_is_refused_and_changes_nothing(world, api):
    poll, other = world.posts["garage_poll"], world.posts["public_poll"]
    client = api(world.users["external_member"])
    before = db_state()

    foreign = client.post(f"/posts/{poll.pk}/vote", {"option_id": other.poll_options.first().pk})
    assert refused_unchanged(foreign, 400, before) == "Cette réponse n'appartient pas au sondage."
    refused_unchanged(client.post(f"/posts/{poll.pk}/vote", {"option_id": 0}), 422, before)
    refused_unchanged(client.post(f"/posts/{poll.pk}/vote", {}), 422, before)
    not_a_poll = client.post(f"/posts/{world.posts['garage'].pk}/vote", {"option_id": 1})
    refused_unchanged(not_a_poll, 403, before)

    services.close_poll(actor=world.users["owner"], post=poll)
    before = db_state()
    closed = client.post(f"/posts/{poll.pk}/vote", {"option_id": poll.poll_options.first().pk})
    assert refused_unchanged(closed, 400, before) == "Ce sondage est clos."
    assert ok(client.get(f"/posts/{poll.pk}"))["poll"]["closed"] is True


# --- Shares -------------------------------------------------------------------------------


def test_a_post_of_a_public_group_is_shared_into_a_group_of_the_sharer(world, api):
    post = world.posts["public"]

    data = ok(
        api(world.users["staff_member"]).post(
            f"/posts/{post.pk}/share", {"group": "private", "body": "À voir"}
        ),
        201,
    )

    assert data["shared_from"] == post.pk
    assert data["group"]["slug"] == "private"
    assert data["body"] == "À voir"


@pytest.mark.parametrize(
    ("post", "group", "status"),
    [
        ("private", "public", 403),  # a private group's post never travels
        ("public", "garage", 403),  # never into a group open to external members
        ("public", "nowhere", 404),
    ],
)
def test_a_share_that_the_rules_forbid_is_refused_and_changes_nothing(
    world, api, post, group, status
):
    before = db_state()

    response = api(world.users["staff_member"]).post(
        f"/posts/{world.posts[post].pk}/share", {"group": group}
    )

    refused_unchanged(response, status, before)


# --- Feeds --------------------------------------------------------------------------------


def test_the_group_feed_lists_its_posts_with_pinned_announcements_on_the_first_page(world, api):
    owner = world.users["owner"]
    announcement = services.create_post(
        author=owner,
        group=world.groups["garage"],
        body="Demo day vendredi",
        kind=Post.Kind.ANNOUNCEMENT,
        pinned_until=timezone.now() + timedelta(days=2),
    )
    client = api(world.users["external_member"])

    first = ok(client.get("/groups/garage/posts", limit=2))
    second = ok(client.get("/groups/garage/posts", limit=2, cursor=first["next_cursor"]))

    assert [p["id"] for p in first["pinned"]] == [announcement.pk]
    assert [p["id"] for p in first["items"]] == [
        announcement.pk,
        world.posts["garage_poll"].pk,
    ]
    assert second["pinned"] == []
    assert {p["id"] for p in second["items"]} == {
        world.posts["garage_by_external"].pk,
        world.posts["garage"].pk,
    }
    assert second["next_cursor"] is None
    announcements = ok(client.get("/groups/garage/posts", filter="announcements"))
    assert [p["id"] for p in announcements["items"]] == [announcement.pk]


@pytest.mark.parametrize(
    ("viewer", "slug"),
    [
        ("external_member", "public"),
        ("external_expired", "garage"),
        ("staff_outsider", "private"),  # listed but not readable
        ("staff_outsider", "unlisted"),
        ("citizen", "public"),
        ("owner", "nowhere"),
    ],
)
def test_a_group_feed_one_may_not_read_is_a_404(world, api, viewer, slug):
    assert error(api(world.users[viewer]).get(f"/groups/{slug}/posts"), 404) == "Introuvable."


def test_the_home_feed_walks_its_pages_without_repeats(world, api):
    marie = world.users["staff_member"]
    for i in range(7):
        services.create_post(author=marie, group=world.groups["public"], body=f"Note {i}")
    client = api(marie)
    expected = list(
        Post.objects.filter(deleted_at__isnull=True, group__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )

    seen, cursor, pages = [], None, 0
    while True:
        page = ok(client.get("/feed", limit=3, **({"cursor": cursor} if cursor else {})))
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert len(seen) == len(set(seen)) == 14
    assert pages == 5


def test_an_external_member_s_home_feed_holds_only_le_garage(world, api):
    items = ok(api(world.users["external_member"]).get("/feed"))["items"]

    assert {p["group"]["slug"] for p in items} == {"garage"}
    assert {p["id"] for p in items} == {
        world.posts[key].pk for key in ("garage", "garage_by_external", "garage_poll")
    }


def test_a_citizen_has_no_feed_in_the_api(world, api):
    assert api(world.users["citizen"]).get("/feed").status_code == 404


@pytest.mark.parametrize(
    "cursor", ["abc", "12_", "_12", "1.5_2", "12_34_56", "-1_2", "1_2\n", "é_1", " 1_2"]
)
def test_a_bad_cursor_is_refused_in_french(world, api, cursor):
    client = api(world.users["staff_member"])

    for path in ("/feed", "/groups/public/posts", "/topics/cloud"):
        detail = error(client.get(path, cursor=cursor), 400)
        assert detail.startswith("Curseur de pagination invalide")


@pytest.mark.parametrize(
    "query",
    ["filter=tout", "filter=", "limit=0", "limit=51", "limit=abc", "cursor=", f"cursor={'1' * 40}"],
)
def test_feed_parameters_out_of_bounds_are_refused_with_422(world, api, query):
    response = api(world.users["staff_member"]).client.get(f"{API}/feed?{query}")

    error(response, 422)


def _queries(client, path: str, **params) -> tuple[int, dict]:
    client.get(path, **params)  # a token records its use at most once a while: not counted
    with CaptureQueriesContext(connection) as queries:
        data = ok(client.get(path, **params))
    return len(queries), data


def _grow_garage(world, count: int) -> None:
    """More posts of every kind in Le Garage, each with comments, reactions, votes, mentions."""
    owner, ernest = world.users["owner"], world.users["external_member"]
    garage = world.groups["garage"]
    for i in range(count):
        plain = services.create_post(
            author=owner, group=garage, body=f"Avancement {i}, @ernest ? #garage #lot{i}"
        )
        services.add_comment(author=ernest, post=plain, body="Bien reçu @olivier")
        services.react(actor=owner, post=plain)
        services.react(actor=ernest, post=plain, kind=Reaction.Kind.HEART)
        services.bookmark(actor=ernest, post=plain)
        poll = services.create_post(
            author=owner,
            group=garage,
            body=f"Sondage {i}",
            kind=Post.Kind.POLL,
            poll_options=["Oui", "Non"],
        )
        services.vote(actor=ernest, post=poll, option_id=poll.poll_options.first().pk)
        services.create_post(
            author=owner,
            group=garage,
            body=f"Annonce {i}",
            kind=Post.Kind.ANNOUNCEMENT,
            pinned_until=timezone.now() + timedelta(days=1),
        )
        services.create_post(author=owner, group=garage, body=f"Question {i} ?", kind="question")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/feed", {}),
        ("/feed", {"filter": "mentions"}),
        ("/groups/garage/posts", {}),
        ("/topics/garage", {}),
    ],
)
def test_feeds_cost_the_same_number_of_queries_at_two_sizes(world, api, path, params):
    client = api(world.users["external_member"])
    _grow_garage(world, 1)
    small, small_data = _queries(client, path, limit=50, **params)

    _grow_garage(world, 4)
    large, large_data = _queries(client, path, limit=50, **params)

    assert len(large_data["items"]) > len(small_data["items"])
    assert large == small


def test_a_comment_thread_costs_the_same_number_of_queries_at_two_sizes(world, api):
    client = api(world.users["external_member"])
    post = world.posts["garage"]
    path = f"/posts/{post.pk}/comments"
    small, _ = _queries(client, path)

    for i in range(6):
        comment = services.add_comment(author=world.users["owner"], post=post, body=f"Réponse {i}")
        services.react(actor=world.users["external_member"], comment=comment)
    large, data = _queries(client, path)

    assert data["count"] == 7
    assert large == small


# --- Topics and follows ---------------------------------------------------------------------


def test_a_topic_page_lists_the_visible_posts_that_carry_it(world, api):
    data = ok(api(world.users["external_member"]).get("/topics/cloud"))

    assert data["topic"] == {"name": "cloud", "is_following": False}
    assert [p["id"] for p in data["items"]] == [world.posts["garage"].pk]
    assert data["next_cursor"] is None


@pytest.mark.parametrize(
    ("viewer", "name"),
    [
        ("external_member", "confidentiel"),  # only in the private group
        ("external_member", "salon"),  # only in the public group
        ("staff_outsider", "direction"),
        ("citizen", "cloud"),
        ("owner", "inconnu"),
    ],
)
def test_a_topic_without_a_post_one_may_read_is_a_404(world, api, viewer, name):
    assert error(api(world.users[viewer]).get(f"/topics/{name}"), 404) == "Introuvable."


def test_following_a_person_a_group_and_a_topic_fills_the_home_feed(world, api):
    sacha = world.users["staff_outsider"]
    client = api(sacha)
    assert ok(client.get("/feed"))["items"] == []

    assert ok(client.post("/follows", {"topic": "#cloud"})) == {
        "following": True,
        "user_id": None,
        "group": None,
        "topic": "cloud",
    }
    assert ok(client.get("/topics/cloud"))["topic"]["is_following"] is True
    assert [p["id"] for p in ok(client.get("/feed"))["items"]] == [world.posts["public"].pk]

    assert ok(client.post("/follows", {"group": "public"}))["group"] == "public"
    assert ok(client.post("/follows", {"user_id": world.users["owner"].pk}))["user_id"]
    feed = {p["id"] for p in ok(client.get("/feed"))["items"]}
    assert feed == {
        world.posts[key].pk for key in ("public", "public_poll", "profile")
    }  # what Olivier wrote that Sacha may read, and the public group
    assert Follow.objects.filter(follower=sacha).count() == 3

    for target in ({"topic": "cloud"}, {"group": "public"}, {"user_id": world.users["owner"].pk}):
        assert client.delete("/follows", target).status_code == 204
    assert not Follow.objects.filter(follower=sacha).exists()
    assert ok(client.get("/feed"))["items"] == []


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"topic": "cloud", "group": "public"},
        {"user_id": 1, "topic": "cloud"},
        {"user_id": 0},
        {"user_id": "un"},
        {"topic": ""},
        {"topic": "x" * 51},
        {"group": "pas un slug"},
        {"person": 1},
    ],
)
def test_a_follow_needs_exactly_one_valid_target(world, api, payload):
    client = api(world.users["staff_outsider"])
    before = db_state()

    refused_unchanged(client.post("/follows", payload), 422, before)
    refused_unchanged(client.delete("/follows", payload), 422, before)


@pytest.mark.parametrize(
    ("viewer", "payload"),
    [
        ("external_member", {"group": "public"}),
        ("external_member", {"topic": "salon"}),
        ("external_member", {"user_id": "staff_outsider"}),  # not a co-member
        ("citizen", {"topic": "cloud"}),
        ("staff_outsider", {"group": "unlisted"}),
    ],
)
def test_following_what_one_may_not_see_is_a_404(world, api, viewer, payload):
    if payload.get("user_id"):
        payload = {"user_id": world.users[payload["user_id"]].pk}
    before = db_state()

    response = api(world.users[viewer]).post("/follows", payload)

    refused_unchanged(response, 404, before)


def test_unfollowing_answers_alike_for_what_exists_and_what_does_not(world, api):
    ernest = world.users["external_member"]
    Follow.objects.create(follower=ernest, group=world.groups["public"])  # a stale follow
    client = api(ernest)

    assert client.delete("/follows", {"group": "public"}).status_code == 204
    assert client.delete("/follows", {"group": "nowhere"}).status_code == 204
    assert client.delete("/follows", {"topic": "inconnu"}).status_code == 204
    assert not Follow.objects.filter(follower=ernest, group=world.groups["public"]).exists()
