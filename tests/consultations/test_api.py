"""The consultations API: every route, who may call it (anonymous visitors included), its bad
input (a refusal is a clear French message and writes nothing), and list query counts."""

import csv
import io

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import create_api_token
from consultations import services
from consultations.brief import compute_brief
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    ModerationDecision,
    OfficialAnswer,
    Report,
    Support,
)
from tests.consultations.conftest import contribute, shift_to
from tests.consultations.test_policy_matrix import CONSULTATIONS, CONTRIBUTIONS
from tests.files.conftest import png_bytes

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def api(user=None) -> Client:
    """A client with `user`'s personal token; without a user, an anonymous visitor."""
    if user is None or not user.is_authenticated:
        return Client(raise_request_exception=False)
    _token, raw = create_api_token(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def send(client: Client, method: str, url: str, data=None):
    if method in ("get", "delete") and data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data, content_type="application/json")


def db_state() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("consultations").get_models(include_auto_created=True)
    }


@pytest.fixture
def unchanged(file_storage):
    """`with unchanged():` the block changes no row of consultations and no stored file."""

    class Guard:
        def __enter__(self):
            self.before = db_state()
            self.files = sorted(file_storage.rglob("*"))

        def __exit__(self, *exc):
            if exc[0] is None:
                assert db_state() == self.before
                assert sorted(file_storage.rglob("*")) == self.files

    return Guard


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["items"]}


def url(world, kind: str, name: str, suffix: str = "") -> str:
    pool = world.consultations if kind == "consultations" else world.contributions
    return f"{V1}/{kind}/{pool[name].pk}{suffix}"


# --- Public reads -------------------------------------------------------------------------


def test_anonymous_visitors_read_public_consultations_without_session_or_token(world):
    anonymous = api()
    listed = anonymous.get(f"{V1}/consultations")
    assert titles(listed) == {"Visite du quartier Europe — 12 décembre", "Visite du quartier Gare"}
    detail = anonymous.get(url(world, "consultations", "open"))
    assert detail.status_code == 200
    body = detail.json()
    assert body["state"] == "open"
    assert body["moderation"] == "a_priori"
    assert [c["name"] for c in body["categories"]][:2] == ["voirie", "propreté"]
    assert body["officials"] == [{"display_name": "Élise Maire"}]
    assert body["published_count"] == 2
    assert body["me"] == {
        "can_contribute": False,
        "can_moderate": False,
        "can_view_brief": False,
        "can_export": False,
    }
    assert anonymous.get(url(world, "consultations", "upcoming")).status_code == 404

    contributions = anonymous.get(url(world, "consultations", "open", "/contributions"))
    assert titles(contributions) == {"Publiée", "D'un voisin"}
    one = anonymous.get(url(world, "contributions", "published")).json()
    assert one["answers"][0]["text"] == "Réparation prévue lundi."
    assert one["internal"] is None
    assert one["supported"] is None
    assert one["author_name"] == "Camille Habitante"
    assert one["me"] == {
        "can_support": False,
        "can_comment": False,
        "can_report": False,
        "can_triage": False,
    }
    assert [c["body"] for c in anonymous.get(url(world, "contributions", "others", "/comments"))
            .json()["items"]] == ["Je confirme."]  # fmt: skip
    assert anonymous.get(url(world, "contributions", "pending")).status_code == 404
    assert anonymous.get(url(world, "contributions", "hidden")).status_code == 404


def test_the_token_of_a_deactivated_account_is_a_401_not_the_public_view(world):
    user = world.users["deactivated"]
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.refresh_from_db()
    client = api(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(f"{V1}/consultations").status_code == 401


def test_a_bad_token_on_a_public_route_is_still_a_401(world):
    client = Client(HTTP_AUTHORIZATION="Bearer mlg_forged", raise_request_exception=False)
    response = client.get(f"{V1}/consultations")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")


@pytest.mark.parametrize("who", sorted(CONSULTATIONS))
def test_every_kind_of_user_sees_through_the_api_what_the_policy_allows(world, who):
    user = world.users[who]
    if who == "deactivated":
        # A deactivated account's session counts for nothing: the public view.
        client = Client()
        client.force_login(user)
    else:
        client = api(user)
    by_pk = {c.pk: name for name, c in world.consultations.items()}
    listed = client.get(f"{V1}/consultations").json()["items"]
    assert {by_pk[c["id"]] for c in listed} == CONSULTATIONS[who]

    names = {c.pk: name for name, c in world.contributions.items()}
    seen = set()
    for consultation in world.consultations.values():
        response = client.get(f"{V1}/consultations/{consultation.pk}/contributions")
        if response.status_code == 404:
            continue
        seen |= {names[c["id"]] for c in response.json()["items"]}
    assert seen == CONTRIBUTIONS[who]
    for name, contribution in world.contributions.items():
        status = client.get(f"{V1}/contributions/{contribution.pk}").status_code
        assert status == (200 if name in CONTRIBUTIONS[who] else 404), name


def test_the_exact_place_is_for_the_author_and_staff_others_get_it_generalised(world):
    u = world.users
    created = contribute(
        u["author"],
        shift_to(world.consultations["closed"], "open"),  # a posteriori: published at once
        title="Trottoir défoncé",
        place="12 bis rue Victor Hugo",
        latitude="48.856613",
        longitude="2.352222",
    )
    path = f"{V1}/contributions/{created.pk}"
    mine = api(u["author"]).get(path).json()
    assert (mine["place"], mine["latitude"], mine["longitude"]) == (
        "12 bis rue Victor Hugo",
        48.856613,
        2.352222,
    )
    assert api(u["staff"]).get(path).json()["place"] == "12 bis rue Victor Hugo"
    public = api().get(path).json()
    assert (public["place"], public["latitude"], public["longitude"]) == (
        "rue Victor Hugo",
        48.857,
        2.352,
    )


def test_anonymous_visitors_are_throttled_per_address_not_all_together(world, settings):
    settings.API_RATE_LIMIT = "2/m"
    first = Client(REMOTE_ADDR="203.0.113.1")
    assert first.get(f"{V1}/consultations").status_code == 200
    assert first.get(f"{V1}/consultations").status_code == 200
    refused = first.get(f"{V1}/consultations")
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert Client(REMOTE_ADDR="203.0.113.2").get(f"{V1}/consultations").status_code == 200


# --- Who may call the rest ----------------------------------------------------------------


def protected_routes(world) -> list[tuple[str, str, dict | None]]:
    c = world.contributions
    return [
        ("post", url(world, "consultations", "open", "/contributions"), {"kind": "idee"}),
        ("post", f"{V1}/contributions/{c['published'].pk}/support", None),
        ("delete", f"{V1}/contributions/{c['published'].pk}/support", None),
        ("post", f"{V1}/contributions/{c['published'].pk}/comments", {"body": "Oui"}),
        ("post", f"{V1}/contributions/{c['published'].pk}/report", {"reason": "Spam"}),
        ("get", f"{V1}/moderation/queue", None),
        ("post", f"{V1}/moderation/{c['pending'].pk}/decision", {"action": "approve"}),
        ("patch", f"{V1}/contributions/{c['published'].pk}/status", {"status": "en_cours"}),
        ("post", f"{V1}/contributions/{c['published'].pk}/answer", {"text": "Réponse"}),
        ("get", f"{V1}/me/requests", None),
        ("get", url(world, "consultations", "open", "/brief"), None),
    ]


def test_every_route_that_is_not_a_public_read_answers_401_to_anonymous_visitors(world, unchanged):
    with unchanged():
        for method, path, data in protected_routes(world):
            response = send(api(), method, path, data)
            assert response.status_code == 401, (method, path)
            assert response.json()["detail"].startswith("Authentification requise")
        photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
        response = api().post(
            f"{V1}/contributions/{world.contributions['published'].pk}/photos", {"photos": photo}
        )
        assert response.status_code == 401


INTERNAL = {"/moderation/", "/status", "/answer", "/brief"}


@pytest.mark.parametrize("who", ["author", "other_citizen", "external", "elected"])
def test_internal_routes_answer_404_to_citizens_external_members_and_elected(world, who, unchanged):
    client = api(world.users[who])
    with unchanged():
        for method, path, data in protected_routes(world):
            if not any(part in path for part in INTERNAL):
                continue
            if who == "elected" and path.endswith("/brief"):
                continue  # elected officials read briefs
            response = send(client, method, path, data)
            assert response.status_code == 404, (method, path, response.content)
            assert response.json() == {"detail": "Introuvable."}


# --- Contributions ------------------------------------------------------------------------


def new_contribution(world, user="other_citizen", consultation="open", **fields):
    target = world.consultations[consultation]
    data = {
        "kind": "signalement",
        "title": "Passage piéton effacé",
        "body": "Devant la boulangerie, le passage piéton a disparu.",
        "category": target.categories.get(name="voirie").pk,
        "place": "3 rue de la Gare",
        **fields,
    }
    return send(
        api(world.users[user]), "post", f"{V1}/consultations/{target.pk}/contributions", data
    )


def test_a_citizen_contributes_a_moderator_approves_and_everyone_then_sees_it(world):
    u = world.users
    response = new_contribution(world)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["moderation_state"] == "pending"  # a priori
    assert created["status"] == "recu"
    assert created["is_mine"] is True
    assert created["place"] == "3 rue de la Gare"
    path = f"{V1}/contributions/{created['id']}"
    assert api().get(path).status_code == 404
    mine = api(u["other_citizen"]).get(f"{V1}/me/requests").json()["items"]
    assert created["id"] in {c["id"] for c in mine}

    queue = api(u["moderator"]).get(f"{V1}/moderation/queue").json()
    assert created["id"] in {c["id"] for c in queue["contributions"]}
    decided = send(
        api(u["moderator"]),
        "post",
        f"{V1}/moderation/{created['id']}/decision",
        {"action": "approve"},
    )
    assert decided.status_code == 201, decided.content
    assert decided.json()["moderation_state"] == "published"
    assert decided.json()["target"] == "contribution"
    public = api().get(path).json()
    assert public["moderation_state"] == "published"
    assert public["place"] == "rue de la Gare"
    assert public["author_name"] == "Bruno Voisin"


def test_script_and_html_in_text_fields_are_inert(world):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    response = new_contribution(
        world, title=evil, body=evil + "\n\n[x](javascript:alert(3))", place=evil[:60]
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "<script" not in body["body_html"]
    assert "<img" not in body["body_html"]
    assert "href" not in body["body_html"]  # the javascript: link stays text
    assert body["title"] == evil  # the source, as JSON text: clients escape it when they show it
    assert response["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("change", "status", "field", "message"),
    [
        ({"body": "x" * 100_000}, 422, "body", "Le texte dépasse 5 000 caractères"),
        ({"title": "t" * 151}, 422, "title", "Le titre dépasse 150 caractères"),
        ({"title": "   "}, 422, "title", "Le titre est obligatoire"),
        ({"body": "a\x00b"}, 422, "body", "caractère interdit"),
        ({"place": "p" * 201}, 422, "place", "Le lieu dépasse 200 caractères"),
        ({"category": 999_999}, 400, "category", "Catégorie inconnue pour cette consultation."),
        ({"kind": "pétition"}, 422, "kind", None),
        ({"surprise": 1}, 422, "surprise", None),
        ({"latitude": 48.8}, 400, "latitude", "Indiquez la latitude et la longitude."),
        ({"latitude": 91, "longitude": 2}, 422, "latitude", None),
    ],
)
def test_bad_contributions_are_refused_in_french_and_nothing_is_written(
    world, unchanged, change, status, field, message
):
    with unchanged():
        response = new_contribution(world, **change)
    assert response.status_code == status, response.content
    detail = response.json()
    if status == 400:
        assert detail["detail"] == message
        assert field in detail["errors"]
    else:
        assert any(field in error["loc"] for error in detail["detail"])
        if message:
            assert any(message in error["msg"] for error in detail["detail"])


def test_citizens_contributions_are_limited_per_hour_with_a_clear_message(world, unchanged):
    # The author wrote 4 in the world fixture; the limit is 5 an hour.
    assert new_contribution(world, user="author").status_code == 201
    with unchanged():
        refused = new_contribution(world, user="author")
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("Vous avez déjà envoyé 5 contributions en une heure")


def test_who_may_not_contribute_gets_a_clear_refusal(world, unchanged):
    with unchanged():
        closed = new_contribution(world, consultation="closed")
        assert closed.status_code == 400
        assert closed.json()["detail"] == "Cette consultation n'est pas ouverte aux contributions."
        assert new_contribution(world, user="elected").status_code == 403
        assert new_contribution(world, user="external").status_code == 404
        assert new_contribution(world, consultation="upcoming").status_code == 404


def test_the_author_adds_photos_and_whoever_reads_the_contribution_sees_them(world):
    u = world.users
    published = world.contributions["published"]
    response = api(u["author"]).post(
        f"{V1}/contributions/{published.pk}/photos",
        {"photos": [SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")]},
    )
    assert response.status_code == 201, response.content
    (photo,) = response.json()["photos"]
    assert photo["url"] == f"{V1}/contribution-photos/{photo['id']}"
    image = api().get(photo["url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert image["X-Content-Type-Options"] == "nosniff"
    # The photo of a pending contribution is its author's and staff's only.
    pending = world.contributions["pending"]
    services.add_photos(
        actor=u["author"],
        contribution=pending,
        photos=[SimpleUploadedFile("b.png", png_bytes(), content_type="image/png")],
    )
    hidden_photo = ContributionPhoto.objects.get(contribution=pending)
    assert api().get(f"{V1}/contribution-photos/{hidden_photo.pk}").status_code == 404
    assert (
        api(u["other_citizen"]).get(f"{V1}/contribution-photos/{hidden_photo.pk}").status_code
        == 404
    )
    assert api(u["author"]).get(f"{V1}/contribution-photos/{hidden_photo.pk}").status_code == 200


def test_a_photo_that_is_not_an_image_or_one_too_many_is_refused_and_nothing_is_kept(
    world, unchanged
):
    u = world.users
    path = f"{V1}/contributions/{world.contributions['published'].pk}/photos"
    with unchanged():
        fake = SimpleUploadedFile("x.png", b"<html>not an image</html>", content_type="image/png")
        response = api(u["author"]).post(path, {"photos": [fake]})
        assert response.status_code == 400
        assert (
            response.json()["detail"] == "Ce fichier n'est pas une image (JPEG, PNG, GIF ou WebP)."
        )
        four = [
            SimpleUploadedFile(f"{i}.png", png_bytes(), content_type="image/png") for i in range(4)
        ]
        response = api(u["author"]).post(path, {"photos": four})
        assert response.status_code == 400
        assert response.json()["detail"] == "3 photos au plus."
        none = api(u["author"]).post(path, {})
        assert none.status_code == 400
        assert none.json()["detail"] == "Joignez au moins une photo."
        photo = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
        assert api(u["other_citizen"]).post(path, {"photos": [photo]}).status_code == 403


# --- Supports, comments, reports ----------------------------------------------------------


def test_a_citizen_supports_once_and_may_withdraw(world, unchanged):
    client = api(world.users["other_citizen"])
    path = url(world, "contributions", "published", "/support")
    supported = client.post(path)
    assert supported.status_code == 200, supported.content
    assert supported.json() == {
        "contribution_id": world.contributions["published"].pk,
        "support_count": 1,
        "supported": True,
    }
    assert client.get(url(world, "contributions", "published")).json()["supported"] is True
    with unchanged():
        twice = client.post(path)
        assert twice.status_code == 400
        assert twice.json()["detail"] == "Vous soutenez déjà cette contribution."
    withdrawn = client.delete(path)
    assert withdrawn.json()["support_count"] == 0
    assert withdrawn.json()["supported"] is False
    with unchanged():
        again = client.delete(path)
        assert again.status_code == 400
        assert again.json()["detail"] == "Vous ne soutenez pas cette contribution."


def test_supports_on_hidden_own_or_closed_contributions_are_refused(world, unchanged):
    u = world.users
    with unchanged():
        hidden = url(world, "contributions", "hidden", "/support")
        assert api(u["other_citizen"]).post(hidden).status_code == 404
        response = api(u["author"]).post(hidden)
        assert response.status_code == 400
        assert response.json()["detail"] == "Cette contribution ne peut pas être soutenue."
        response = api(u["staff"]).post(hidden)
        assert response.status_code == 400
        own = api(u["author"]).post(url(world, "contributions", "published", "/support"))
        assert own.json()["detail"] == "Vous ne pouvez pas soutenir votre propre contribution."
        closed = api(u["other_citizen"]).post(url(world, "contributions", "closed", "/support"))
        assert closed.json()["detail"] == "La consultation est close : les soutiens sont arrêtés."
        elected = api(u["elected"]).post(url(world, "contributions", "published", "/support"))
        assert elected.status_code == 403


def test_comments_are_moderated_like_contributions_and_refused_on_closed_consultations(
    world, unchanged
):
    u = world.users
    path = url(world, "contributions", "published", "/comments")
    response = send(api(u["other_citizen"]), "post", path, {"body": "<b>Moi aussi</b>"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["moderation_state"] == "pending"
    assert created["body"] == "<b>Moi aussi</b>"  # plain text: shown escaped
    assert created["is_mine"] is True
    assert created["author_name"] == "Bruno Voisin"
    assert created["id"] not in {c["id"] for c in api().get(path).json()["items"]}
    own = api(u["other_citizen"]).get(path).json()["items"]
    assert created["id"] in {c["id"] for c in own}
    with unchanged():
        closed = send(
            api(u["author"]),
            "post",
            url(world, "contributions", "closed", "/comments"),
            {"body": "Trop tard ?"},
        )
        assert closed.status_code == 400
        assert (
            closed.json()["detail"] == "La consultation est close : les commentaires sont fermés."
        )
        long = send(api(u["author"]), "post", path, {"body": "x" * 100_000})
        assert long.status_code == 422
        assert "Le commentaire dépasse 2 000 caractères" in long.json()["detail"][0]["msg"]
        blank = send(api(u["author"]), "post", path, {"body": " \n "})
        assert blank.status_code == 422
        hidden = send(
            api(u["other_citizen"]),
            "post",
            url(world, "contributions", "hidden", "/comments"),
            {"body": "?"},
        )
        assert hidden.status_code == 404


def test_anyone_signed_in_reports_a_contribution_or_one_of_its_comments(world, unchanged):
    u = world.users
    client = api(u["author"])
    response = send(
        client, "post", url(world, "contributions", "others", "/report"), {"reason": "Doublon"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["contribution_id"] == world.contributions["others"].pk
    comment = world.comments["published"]
    on_comment = send(
        api(u["other_citizen"]),
        "post",
        url(world, "contributions", "others", "/report"),
        {"reason": "Injurieux", "comment": comment.pk},
    )
    assert on_comment.status_code == 201
    assert on_comment.json()["comment_id"] == comment.pk
    with unchanged():
        elsewhere = send(
            client,
            "post",
            url(world, "contributions", "published", "/report"),
            {"reason": "x", "comment": comment.pk},
        )
        assert elsewhere.status_code == 404
        assert (
            send(
                client, "post", url(world, "contributions", "others", "/report"), {"reason": ""}
            ).status_code
            == 422
        )
        assert (
            send(
                client,
                "post",
                url(world, "contributions", "others_pending", "/report"),
                {"reason": "x"},
            ).status_code
            == 404
        )


# --- Moderation ---------------------------------------------------------------------------


def test_the_moderation_queue_is_the_moderators_and_empty_for_other_staff(world):
    u = world.users
    queue = api(u["moderator"]).get(f"{V1}/moderation/queue").json()
    names = {c.pk: n for n, c in world.contributions.items()}
    assert {names[c["id"]] for c in queue["contributions"]} == {
        "pending",
        "others_pending",
        "deactivated_own",
    }
    assert [c["id"] for c in queue["comments"]] == [world.comments["pending"].pk]
    assert [(r["target"], r["target_id"], r["reason"]) for r in queue["reports"]] == [
        ("contribution", world.contributions["published"].pk, "Doublon")
    ]
    assert queue["counts"] == {"contributions": 3, "comments": 1, "reports": 1}
    assert api(u["moderator"]).get(f"{V1}/moderation/queue?limit=1").json()["counts"][
        "contributions"
    ] == 3  # fmt: skip
    empty = api(u["staff"]).get(f"{V1}/moderation/queue").json()
    assert empty["contributions"] == empty["comments"] == empty["reports"] == []


def test_moderators_hide_with_a_public_reason_restore_and_approve_comments(world, unchanged):
    u = world.users
    client = api(u["moderator"])
    target = world.contributions["published"]
    path = f"{V1}/moderation/{target.pk}/decision"
    with unchanged():
        missing = send(client, "post", path, {"action": "hide"})
        assert missing.status_code == 400
        assert missing.json()["detail"] == "Choisissez un motif de masquage."
        assert (
            send(client, "post", path, {"action": "hide", "reason": "vulgaire"}).status_code == 422
        )
        assert send(client, "post", path, {"action": "approve"}).status_code == 400
        other_staff = send(
            api(u["staff"]), "post", path, {"action": "hide", "reason": "hors charte"}
        )
        assert other_staff.status_code == 403
    hidden = send(client, "post", path, {"action": "hide", "reason": "hors charte"})
    assert hidden.status_code == 201
    assert hidden.json()["moderation_state"] == "hidden"
    assert Report.objects.get(pk=world.report.pk).resolved
    assert api().get(f"{V1}/contributions/{target.pk}").status_code == 404
    mine = api(u["author"]).get(f"{V1}/contributions/{target.pk}").json()
    assert mine["hidden_reason"] == "hors charte"
    restored = send(client, "post", path, {"action": "restore"})
    assert restored.json()["moderation_state"] == "published"
    comment = world.comments["pending"]
    approved = send(
        client,
        "post",
        f"{V1}/moderation/{comment.pk}/decision",
        {"target": "comment", "action": "approve"},
    )
    assert approved.status_code == 201
    assert approved.json() == approved.json() | {"target": "comment", "target_id": comment.pk}
    assert ModerationDecision.objects.filter(moderator=u["moderator"]).count() >= 5


# --- Follow-up ----------------------------------------------------------------------------


def test_staff_route_move_and_answer_a_request_and_its_author_sees_it(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    mail.outbox.clear()
    target = world.contributions["published"]
    path = f"{V1}/contributions/{target.pk}/status"
    change = {
        "service": world.service.pk,
        "status": "en_cours",
        "quick_win": True,
        "target_date": "2030-01-10",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = send(api(u["staff"]), "patch", path, change)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "en_cours"
    assert body["internal"]["service"] == {"id": world.service.pk, "name": "Service voirie"}
    assert body["internal"]["quick_win"] is True
    assert body["internal"]["notes"][0]["text"] == "Note interne : voir le devis"
    with django_capture_on_commit_callbacks(execute=True):
        answer = send(
            api(u["staff"]),
            "post",
            f"{V1}/contributions/{target.pk}/answer",
            {"text": "C'est **réparé**."},
        )
    assert answer.status_code == 201, answer.content
    assert answer.json()["signed_by"] == "Service voirie"
    assert "<strong>réparé</strong>" in answer.json()["text_html"]

    requests = api(u["author"]).get(f"{V1}/me/requests").json()["items"]
    mine = next(r for r in requests if r["id"] == target.pk)
    assert mine["status"] == "en_cours"
    assert mine["consultation"]["id"] == target.consultation_id
    assert [a["text"] for a in mine["answers"]][-1] == "C'est **réparé**."
    seen = api(u["author"]).get(f"{V1}/contributions/{target.pk}")
    assert seen.json()["internal"] is None
    assert seen.json()["status_history"][0]["to_status"] == "en_cours"
    assert b"Note interne" not in seen.content
    assert b"quick_win" not in seen.content
    assert len(mail.outbox) == 2  # status, then answer
    assert mail.outbox[0].to == [u["author"].email]


def test_a_status_change_forged_by_a_citizen_changes_nothing(world, unchanged):
    u = world.users
    with unchanged():
        for who in ("author", "other_citizen"):
            response = send(
                api(u[who]),
                "patch",
                url(world, "contributions", "published", "/status"),
                {"status": "traite"},
            )
            assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"status": "traite"}, "status", "ne peut pas passer de « Reçu » à « Traité »"),
        ({"status": "rejete"}, "reason", "Un rejet doit être motivé."),
        ({"service": 999_999}, "service", "Ce service n'est pas rattaché à la consultation."),
        ({"quick_win": True}, "target_date", "Indiquez une date cible."),
        ({"reason": "rien"}, "__all__", "Indiquez un statut, un service"),
        # All or nothing: the routing is undone with the refused status.
        ({"service": "SERVICE", "status": "clos"}, "status", "ne peut pas passer"),
    ],
)
def test_bad_status_changes_are_refused_whole(world, unchanged, change, field, message):
    if change.get("service") == "SERVICE":
        change["service"] = world.service.pk
    with unchanged():
        response = send(
            api(world.users["staff"]),
            "patch",
            url(world, "contributions", "published", "/status"),
            change,
        )
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert field in response.json()["errors"]


def test_answers_and_statuses_only_for_requests_and_within_limits(world, unchanged):
    u = world.users
    idea = contribute(u["author"], world.consultations["open"], kind="idee", title="Un banc")
    with unchanged():
        response = send(
            api(u["staff"]), "patch", f"{V1}/contributions/{idea.pk}/status", {"status": "en_cours"}
        )
        assert response.status_code == 400
        assert "n'est ni une demande ni un signalement" in response.json()["detail"]
        long = send(
            api(u["staff"]),
            "post",
            url(world, "contributions", "published", "/answer"),
            {"text": "x" * 100_000},
        )
        assert long.status_code == 422
        assert "La réponse dépasse 5 000 caractères" in long.json()["detail"][0]["msg"]


def test_my_requests_are_my_own_in_every_state(world):
    u = world.users
    items = api(u["author"]).get(f"{V1}/me/requests").json()["items"]
    names = {c.pk: n for n, c in world.contributions.items()}
    assert {names[i["id"]] for i in items} == {"pending", "published", "hidden", "closed"}
    assert api(u["elected"]).get(f"{V1}/me/requests").json() == {"items": [], "count": 0}


# --- Brief and open data ------------------------------------------------------------------


def test_the_visit_brief_matches_the_data_and_is_for_staff_and_elected(world):
    u = world.users
    consultation = world.consultations["open"]
    services.support(actor=u["author"], contribution=world.contributions["others"])
    expected = compute_brief(consultation=consultation)
    for who in ("staff", "elected"):
        response = api(u[who]).get(f"{V1}/consultations/{consultation.pk}/brief")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["total"] == expected.total == 2
        assert [t["id"] for t in body["top"]] == [c.pk for c in expected.top]
        assert body["top"][0]["support_count"] == 1
        assert {c["name"]: c["count"] for c in body["by_category"]}["éclairage"] == 2
        assert [p["contribution"]["id"] for p in body["unanswered"]] == [
            p.contribution.pk for p in expected.unanswered
        ]
        assert [q["contribution_id"] for q in body["quotes"]] == [world.contributions["others"].pk]
    assert b"Camille" not in response.content
    assert api().get(f"{V1}/consultations/{consultation.pk}/brief").status_code == 401
    for who in ("author", "external"):
        assert api(u[who]).get(f"{V1}/consultations/{consultation.pk}/brief").status_code == 404


def test_the_open_data_export_of_a_closed_consultation_holds_no_personal_data(world):
    u = world.users
    closed = world.consultations["closed"]
    Contribution.objects.filter(pk=world.contributions["closed"].pk).update(
        place="12 rue Victor Hugo", latitude="48.856613", longitude="2.352222"
    )
    response = api().get(f"{V1}/consultations/{closed.pk}/export.csv")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "licence-ouverte" in response["Link"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["titre"], r["lieu"], r["latitude"], r["auteur"]) for r in rows] == [
        ("Dans une consultation close", "rue Victor Hugo", "48.857", "un habitant")
    ]
    document = api().get(f"{V1}/consultations/{closed.pk}/export.json")
    assert document.status_code == 200
    body = document.json()
    assert body["licence"]["nom"] == "Licence Ouverte 2.0"
    assert {f["champ"] for f in body["dictionnaire"]} >= {"titre", "latitude", "auteur"}
    assert [c["titre"] for c in body["contributions"]] == ["Dans une consultation close"]
    for content in (response.content, document.content):
        text = content.decode()
        assert "Camille" not in text
        assert u["author"].email not in text
        assert "12 rue" not in text
        assert "48.856613" not in text
    # Not closed yet: a clear refusal; not visible: unknown.
    still_open = api().get(url(world, "consultations", "open", "/export.json"))
    assert still_open.status_code == 400
    assert (
        still_open.json()["detail"]
        == "L'export n'est disponible qu'une fois la consultation close."
    )
    assert api().get(url(world, "consultations", "upcoming", "/export.csv")).status_code == 404
    assert api(u["external"]).get(f"{V1}/consultations/{closed.pk}/export.csv").status_code == 404


# --- Query counts -------------------------------------------------------------------------


def grow(world, n: int) -> None:
    u = world.users
    consultation = world.consultations["open"]
    Consultation.objects.filter(pk=consultation.pk).update(moderation="a_posteriori")
    consultation.refresh_from_db()
    for i in range(n):
        author = u["other_citizen"] if i % 2 else u["author"]
        c = Contribution.objects.create(
            consultation=consultation,
            author=author,
            kind="demande",
            title=f"Demande {i}",
            body="Texte",
            body_html="<p>Texte</p>",
            category=consultation.categories.first(),
            status="recu",
            moderation_state="published" if i % 3 else "pending",
        )
        OfficialAnswer.objects.create(
            contribution=c,
            author=u["staff"],
            signed_by="Service",
            text="Oui",
            text_html="<p>Oui</p>",
        )
        Support.objects.create(contribution=c, user=u["staff"])
        ConsultationComment.objects.create(
            contribution=world.contributions["others"], author=author, body=f"Commentaire {i}"
        )
        Report.objects.create(contribution=c, reporter=u["author"], reason="x")
        other = services.create_consultation(
            actor=u["staff"],
            title=f"Consultation {i}",
            neighbourhoods="Centre",
            opens_at=consultation.opens_at,
            closes_at=consultation.closes_at,
            officials=[u["elected"]],
        )
        assert other.pk


# (who, path, queries), measured: one query for a token (none for anonymous visitors), then the
# count, the page and its prefetches (categories, officials; answers, photos); the queue is
# three lists and their three counts.
LISTS = [
    ("anonymous", "/consultations", 4),
    ("staff", "/consultations", 5),
    ("anonymous", "/consultations/{open}/contributions", 5),
    ("author", "/consultations/{open}/contributions?sort=status", 6),
    ("staff", "/consultations/{open}/contributions", 6),
    ("anonymous", "/contributions/{others}/comments", 3),
    ("author", "/contributions/{others}/comments", 4),
    ("author", "/me/requests", 5),
    ("moderator", "/moderation/queue", 7),
]


@pytest.mark.parametrize(("who", "path", "queries"), LISTS)
def test_lists_cost_a_constant_number_of_queries(
    world, who, path, queries, django_assert_max_num_queries
):
    user = world.users[who]
    client = api(user if who != "anonymous" else None)
    full = V1 + path.format(
        open=world.consultations["open"].pk, others=world.contributions["others"].pk
    )
    client.get(full)  # a token's first use is recorded once: not part of the list's cost
    counts, sizes = [], []
    for size in (2, 12):
        grow(world, size)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(full)
        assert response.status_code == 200, response.content
        counts.append(len(captured))
        sizes.append(len(response.content))
    assert sizes[1] > sizes[0]  # the page did grow
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(queries):
        client.get(full)
