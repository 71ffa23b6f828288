"""Contributions, supports, comments, reports, moderation, forbidden words, rate limits and
bad input: each refusal is a French message and leaves the database untouched."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from PIL import Image

from accounts.models import User
from consultations import selectors, services
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    ModerationDecision,
    Report,
    Support,
)
from consultations.text import generalise_place
from tests.consultations.conftest import contribute, shift_to

pytestmark = pytest.mark.django_db


def db_state() -> dict[str, list[dict]]:
    state = {}
    for model in apps.get_app_config("consultations").get_models(include_auto_created=True):
        state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


@pytest.fixture
def refused(file_storage):
    """`refused(Error, action, match=...)`: raises, and changes no row and no stored file."""

    def check(error: type[Exception], action, *, match: str | None = None):
        before, files_before = db_state(), sorted(file_storage.rglob("*"))
        with pytest.raises(error, match=match) as raised:
            action()
        assert db_state() == before
        assert sorted(file_storage.rglob("*")) == files_before
        return raised.value

    return check


@pytest.fixture
def agent(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Agnès Agent")


@pytest.fixture
def resident(make_user) -> User:
    return make_user(User.Kind.CITIZEN, display_name="Rémi Résident")


@pytest.fixture
def neighbour(make_user) -> User:
    return make_user(User.Kind.CITIZEN, display_name="Nina Voisine")


@pytest.fixture
def consultation(make_consultation, agent) -> Consultation:
    return make_consultation(agent, moderators=[agent])


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


# --- Contributions and bad input -------------------------------------------------------------


def test_a_citizen_contributes_a_request_with_restricted_markdown(consultation, resident):
    contribution = contribute(
        resident,
        consultation,
        body="**Urgent** : voir [le plan](https://ville.test/plan)\n\n- un\n- deux",
        place="12 rue Victor Hugo",
        latitude="48.856613",
        longitude=2.352222,
    )
    assert contribution.moderation_state == "published"
    assert contribution.status == "recu"
    assert "<strong>Urgent</strong>" in contribution.body_html
    assert 'rel="nofollow ugc noopener noreferrer"' in contribution.body_html
    assert "<li>un</li>" in contribution.body_html
    idea = contribute(resident, consultation, kind="idee", title="Un jardin partagé")
    assert idea.status == ""


def test_script_html_and_images_in_every_text_field_are_inert(consultation, resident):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> ![i](https://x.test/a.png)"
    contribution = contribute(
        resident, consultation, title=evil[:150], body=evil + "\n\n[x](javascript:alert(3))"
    )
    html = contribution.body_html
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text
    assert 'href="javascript' not in html
    assert contribution.title == " ".join(evil[:150].split())  # stored as text, escaped on output
    comment = services.add_comment(author=resident, contribution=contribution, body=evil)
    assert comment.body == evil  # plain text: templates escape it


def test_a_100000_character_contribution_is_refused(refused, consultation, resident):
    refused(
        ValidationError,
        lambda: contribute(resident, consultation, body="a" * 100_000),
        match="dépasse 5 000 caractères",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "Le titre est obligatoire"),
        ({"body": ""}, "Le texte est obligatoire"),
        ({"kind": "plainte"}, "Type de contribution inconnu"),
        ({"category": 10**9}, "Catégorie inconnue"),
        ({"category": "voirie"}, "Catégorie inconnue"),
        ({"latitude": 91, "longitude": 2}, "entre -90 et 90"),
        ({"latitude": "abc", "longitude": 2}, "Coordonnée invalide"),
        ({"latitude": 48.8}, "la latitude et la longitude"),
        ({"place": "x" * 201}, "Le lieu dépasse 200"),
    ],
)
def test_bad_contribution_input_is_refused_with_a_message(
    refused, consultation, resident, fields, message
):
    refused(ValidationError, lambda: contribute(resident, consultation, **fields), match=message)


def test_a_category_of_another_consultation_is_unknown(
    refused, consultation, make_consultation, agent, resident
):
    other = make_consultation(agent, title="Autre")
    foreign = other.categories.first().pk
    refused(
        ValidationError,
        lambda: contribute(resident, consultation, category=foreign),
        match="Catégorie inconnue",
    )


def test_contributing_needs_an_open_consultation_and_a_citizen_or_staff_account(
    refused, consultation, resident, elected, external
):
    refused(PermissionDenied, lambda: contribute(external, consultation))
    refused(PermissionDenied, lambda: contribute(elected, consultation))
    shift_to(consultation, "closed")
    refused(ValidationError, lambda: contribute(resident, consultation), match="pas ouverte")


def test_a_photo_is_reencoded_without_its_exif_location(consultation, resident, file_storage):
    upload = SimpleUploadedFile("photo.jpg", jpeg_with_gps(), content_type="image/jpeg")
    contribution = contribute(resident, consultation, photos=[upload])
    (photo,) = contribution.photos.all()
    with storages["files"].open(photo.key) as stored:
        data = stored.read()
    assert b"CameraMaker" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    assert not image.getexif()
    assert (photo.width, photo.height) == (64, 48)
    assert selectors.get_photo_for(resident, photo.pk) == photo


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(
    refused, consultation, resident
):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    refused(
        ValidationError,
        lambda: contribute(resident, consultation, photos=[fake]),
        match="pas une image",
    )


def test_photos_are_limited_in_number_and_size(refused, consultation, resident, settings):
    photo = lambda: SimpleUploadedFile("p.jpg", jpeg_with_gps())  # noqa: E731
    refused(
        ValidationError,
        lambda: contribute(resident, consultation, photos=[photo() for _ in range(4)]),
        match="3 photos au plus",
    )
    settings.CONSULTATION_PHOTO_MAX_BYTES = 100
    refused(
        ValidationError,
        lambda: contribute(resident, consultation, photos=[photo()]),
        match="taille maximale",
    )


def test_a_failed_photo_write_leaves_no_blob_behind(
    consultation, resident, file_storage, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(ContributionPhoto.objects, "create", broken)
    upload = SimpleUploadedFile("p.jpg", jpeg_with_gps())
    with pytest.raises(RuntimeError):
        contribute(resident, consultation, photos=[upload])
    assert not [p for p in file_storage.rglob("*") if p.is_file()]
    assert not Contribution.objects.exists()


def test_photos_can_be_added_later_by_the_author_only_up_to_three(
    refused, consultation, resident, neighbour
):
    contribution = contribute(resident, consultation)
    services.add_photos(
        actor=resident,
        contribution=contribution,
        photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps()) for _ in range(2)],
    )
    refused(
        PermissionDenied,
        lambda: services.add_photos(
            actor=neighbour,
            contribution=contribution,
            photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps())],
        ),
    )
    refused(
        ValidationError,
        lambda: services.add_photos(
            actor=resident,
            contribution=contribution,
            photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps()) for _ in range(2)],
        ),
        match="3 photos au plus",
    )


# --- Supports --------------------------------------------------------------------------------


def test_a_support_counts_once_and_can_be_withdrawn(refused, consultation, resident, neighbour):
    contribution = contribute(resident, consultation)
    assert services.support(actor=neighbour, contribution=contribution).support_count == 1
    refused(
        ValidationError,
        lambda: services.support(actor=neighbour, contribution=contribution),
        match="déjà",
    )
    assert Support.objects.filter(contribution=contribution).count() == 1
    assert services.withdraw_support(actor=neighbour, contribution=contribution).support_count == 0
    refused(
        ValidationError,
        lambda: services.withdraw_support(actor=neighbour, contribution=contribution),
        match="ne soutenez pas",
    )


def test_supports_are_refused_on_hidden_pending_own_and_closed(
    refused, consultation, agent, resident, neighbour
):
    contribution = contribute(resident, consultation)
    refused(
        ValidationError,
        lambda: services.support(actor=resident, contribution=contribution),
        match="propre contribution",
    )
    services.moderate_contribution(
        moderator=agent, contribution=contribution, action="hide", reason="doublon"
    )
    # The neighbour no longer sees it: same answer as for a missing contribution.
    refused(PermissionDenied, lambda: services.support(actor=neighbour, contribution=contribution))
    refused(
        ValidationError,
        lambda: services.support(actor=agent, contribution=contribution),
        match="ne peut pas être soutenue",
    )
    visible = contribute(resident, consultation, title="Autre")
    shift_to(consultation, "closed")
    visible.refresh_from_db()
    refused(
        ValidationError,
        lambda: services.support(actor=neighbour, contribution=visible),
        match="close",
    )


# --- Comments and reports --------------------------------------------------------------------


def test_a_comment_on_a_closed_consultation_is_refused(refused, consultation, resident, neighbour):
    contribution = contribute(resident, consultation)
    services.add_comment(author=neighbour, contribution=contribution, body="Tout à fait !")
    shift_to(consultation, "closed")
    contribution.refresh_from_db()
    refused(
        ValidationError,
        lambda: services.add_comment(author=neighbour, contribution=contribution, body="Encore"),
        match="close",
    )


def test_empty_and_oversized_comments_are_refused(refused, consultation, resident):
    contribution = contribute(resident, consultation)
    for body, message in (("  ", "obligatoire"), ("a" * 2001, "2 000")):
        refused(
            ValidationError,
            lambda body=body: services.add_comment(
                author=resident, contribution=contribution, body=body
            ),
            match=message,
        )


def test_anyone_signed_in_who_reads_it_may_report(refused, consultation, resident, neighbour):
    contribution = contribute(resident, consultation)
    report = services.report_contribution(
        reporter=neighbour, contribution=contribution, reason="Propos blessants"
    )
    assert report.reason == "Propos blessants"
    comment = services.add_comment(author=resident, contribution=contribution, body="Merci")
    services.report_comment(reporter=neighbour, comment=comment, reason="Hors sujet")
    refused(
        ValidationError,
        lambda: services.report_contribution(
            reporter=neighbour, contribution=contribution, reason=""
        ),
        match="motif",
    )


# --- Moderation ------------------------------------------------------------------------------


def test_a_priori_contributions_wait_for_approval_and_every_decision_is_logged(
    make_consultation, agent, resident, neighbour, staff
):
    consultation = make_consultation(agent, moderation="a_priori", moderators=[agent])
    contribution = contribute(resident, consultation)
    assert contribution.moderation_state == "pending"
    assert not selectors.contributions_for(neighbour, consultation=consultation).exists()
    queue = selectors.moderation_queue(agent)
    assert list(queue["contributions"]) == [contribution]
    assert not selectors.moderation_queue(staff)["contributions"].exists()  # not named
    with pytest.raises(PermissionDenied):
        services.moderate_contribution(moderator=staff, contribution=contribution, action="approve")

    services.moderate_contribution(moderator=agent, contribution=contribution, action="approve")
    assert list(selectors.contributions_for(neighbour, consultation=consultation)) == [contribution]
    services.report_contribution(reporter=neighbour, contribution=contribution, reason="Insultes")
    services.moderate_contribution(
        moderator=agent, contribution=contribution, action="hide", reason="propos injurieux"
    )
    assert not Report.objects.filter(resolved=False).exists()
    services.moderate_contribution(moderator=agent, contribution=contribution, action="restore")
    log = list(selectors.moderation_log(agent, consultation=consultation))
    assert [(d.action, d.reason, d.moderator) for d in reversed(log)] == [
        ("approve", "", agent),
        ("hide", "propos injurieux", agent),
        ("restore", "", agent),
    ]


def test_hiding_needs_one_of_the_public_reasons_and_decisions_follow_the_state(
    refused, consultation, agent, resident
):
    contribution = contribute(resident, consultation)
    refused(
        ValidationError,
        lambda: services.moderate_contribution(
            moderator=agent, contribution=contribution, action="hide", reason="parce que"
        ),
        match="motif",
    )
    refused(
        ValidationError,
        lambda: services.moderate_contribution(
            moderator=agent, contribution=contribution, action="approve"
        ),
        match="en attente",
    )
    refused(
        ValidationError,
        lambda: services.moderate_contribution(
            moderator=agent, contribution=contribution, action="restore"
        ),
        match="masqué",
    )
    refused(
        ValidationError,
        lambda: services.moderate_contribution(
            moderator=agent, contribution=contribution, action="delete"
        ),
        match="inconnue",
    )
    refused(
        PermissionDenied,
        lambda: services.moderate_contribution(
            moderator=resident, contribution=contribution, action="hide", reason="doublon"
        ),
    )


def test_comments_are_moderated_and_logged_too(consultation, agent, resident, neighbour):
    contribution = contribute(resident, consultation)
    comment = services.add_comment(author=neighbour, contribution=contribution, body="Bravo")
    services.moderate_comment(moderator=agent, comment=comment, action="hide", reason="hors sujet")
    assert not selectors.comments_for(resident, contribution=contribution).exists()
    assert list(selectors.comments_for(neighbour, contribution=contribution)) == [comment]
    assert ModerationDecision.objects.get(comment=comment).reason == "hors sujet"


def test_forbidden_words_send_even_a_posteriori_text_to_the_queue(
    consultation, agent, resident, neighbour, settings
):
    settings.CONSULTATION_FORBIDDEN_WORDS = ["crétin"]
    services.add_forbidden_word(actor=agent, word="Abruti")
    pending = contribute(resident, consultation, body="Le maire est un CRETIN.")
    assert pending.moderation_state == "pending"
    assert contribute(resident, consultation, title="Un abrutí ici").moderation_state == "pending"
    fine = contribute(resident, consultation, body="Les crétins des Alpes ? non : crétinisme")
    assert fine.moderation_state == "published"  # whole words only
    comment = services.add_comment(author=neighbour, contribution=fine, body="abruti")
    assert comment.moderation_state == "pending"
    assert set(selectors.moderation_queue(agent)["contributions"]) == {
        pending,
        Contribution.objects.get(title="Un abrutí ici"),
    }


# --- Rate limits -----------------------------------------------------------------------------


def test_citizens_are_limited_per_hour_with_a_clear_message(
    refused, consultation, resident, agent, settings
):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 2
    contribute(resident, consultation)
    contribute(resident, consultation)
    error = refused(
        ValidationError,
        lambda: contribute(resident, consultation),
        match="déjà envoyé 2 contributions en une heure",
    )
    assert "à partir de" in error.messages[0]
    for _ in range(3):  # staff are not limited
        contribute(agent, consultation)
    # An hour later, the citizen may contribute again.
    Contribution.objects.filter(author=resident).update(
        created_at=timezone.now() - timedelta(hours=1, minutes=1)
    )
    contribute(resident, consultation)


def test_comments_are_limited_per_hour(refused, consultation, resident, neighbour, settings):
    settings.CONSULTATION_COMMENTS_PER_HOUR = 1
    contribution = contribute(resident, consultation)
    services.add_comment(author=neighbour, contribution=contribution, body="Un")
    refused(
        ValidationError,
        lambda: services.add_comment(author=neighbour, contribution=contribution, body="Deux"),
        match="1 commentaires en une heure",
    )
    assert ConsultationComment.objects.count() == 1


# --- Consultations ---------------------------------------------------------------------------


def test_a_consultation_is_created_with_the_default_categories_by_staff_only(
    make_consultation, agent, resident, elected
):
    consultation = make_consultation(agent, officials=[elected])
    assert list(consultation.categories.values_list("name", flat=True)) == [
        "voirie",
        "propreté",
        "sécurité",
        "éclairage",
        "transports",
        "commerces",
        "espaces verts",
        "autre",
    ]
    assert consultation.state == "open"
    assert consultation.slug == "visite-du-quartier-europe-12-decembre"
    assert make_consultation(agent).slug == "visite-du-quartier-europe-12-decembre-2"
    with pytest.raises(PermissionDenied):
        make_consultation(resident)
    with pytest.raises(ValidationError, match="doivent être des élus"):
        make_consultation(agent, officials=[agent])
    with pytest.raises(ValidationError, match="La clôture doit suivre"):
        make_consultation(agent, closes_at=consultation.opens_at)


def test_the_public_report_is_published_by_staff(consultation, agent, resident):
    with pytest.raises(PermissionDenied):
        services.publish_report(actor=resident, consultation=consultation, report="x")
    services.publish_report(
        actor=agent, consultation=consultation, report="Nous avons entendu… <script>x</script>"
    )
    consultation.refresh_from_db()
    assert consultation.report_published_at is not None
    assert "<script>" not in consultation.report_html


@pytest.mark.parametrize(
    ("place", "public"),
    [
        ("12 bis rue Victor Hugo", "rue Victor Hugo"),
        ("3-5, avenue de la Gare", "avenue de la Gare"),
        ("n°4 impasse des Lilas", "impasse des Lilas"),
        ("angle du 3 bd Carnot", "angle du bd Carnot"),
        ("Place du 8 Mai 1945", "Place du 8 Mai 1945"),
        ("12", ""),
    ],
)
def test_places_lose_their_house_numbers_in_public_data(place, public):
    assert generalise_place(place) == public


def test_a_photo_is_seen_only_by_those_who_read_its_contribution(
    make_consultation, agent, resident, neighbour
):
    consultation = make_consultation(agent, moderation="a_priori", moderators=[agent])
    upload = SimpleUploadedFile("p.jpg", jpeg_with_gps())
    photo = contribute(resident, consultation, photos=[upload]).photos.get()
    assert selectors.get_photo_for(resident, photo.pk) == photo
    assert selectors.get_photo_for(agent, photo.pk) == photo
    for outsider in (neighbour, AnonymousUser()):
        with pytest.raises(Http404):
            selectors.get_photo_for(outsider, photo.pk)
    services.moderate_contribution(
        moderator=agent, contribution=photo.contribution, action="approve"
    )
    assert selectors.get_photo_for(AnonymousUser(), photo.pk) == photo


def test_moderators_dismiss_reports_that_need_no_decision(
    refused, consultation, agent, resident, neighbour, staff
):
    contribution = contribute(resident, consultation)
    report = services.report_contribution(
        reporter=neighbour, contribution=contribution, reason="Je ne suis pas d'accord"
    )
    refused(
        PermissionDenied,
        lambda: services.dismiss_reports(moderator=staff, report_ids=[report.pk]),
    )
    refused(
        ValidationError,
        lambda: services.dismiss_reports(moderator=agent, report_ids=[report.pk, 10**9]),
        match="inconnu",
    )
    assert services.dismiss_reports(moderator=agent, report_ids=[report.pk]) == 1
    assert not selectors.moderation_queue(agent)["reports"].exists()
    assert contribution.moderation_state == "published"
