"""The public and citizens' consultation pages: who reads what (anonymous visitors included),
what the forms accept and refuse (in French, linked to their field, changing nothing), the
photos, « Mes demandes », the navigation, and constant query counts."""

import html
import io
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from consultations import services
from consultations.models import (
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    Report,
    Support,
)
from tests.consultations.conftest import contribute

pytestmark = pytest.mark.django_db

OPEN_CONTRIBUTIONS = [
    "pending",
    "published",
    "hidden",
    "others",
    "others_pending",
    "deactivated_own",
]
# Which contributions of the open consultation each kind of reader finds on its page.
LISTED = {
    "anonymous": {"published", "others"},
    "author": {"published", "others", "pending", "hidden"},
    "other_citizen": {"published", "others", "others_pending"},
    "moderator": set(OPEN_CONTRIBUTIONS),
    "staff": set(OPEN_CONTRIBUTIONS),
    "elected": {"published", "others"},
}
READERS = [*LISTED, "external"]


def client_for(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world.users[who])
    return client


def text_of(response) -> str:
    """The page as a reader hears it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def nav_of(response) -> str:
    page = response.content.decode()
    start = page.index('<nav class="site-nav"')
    return page[start : page.index("</nav>", start)]


def detail_url(consultation) -> str:
    return reverse("consultations:detail", args=[consultation.pk])


def contribution_url(contribution) -> str:
    return reverse("consultations:contribution", args=[contribution.pk])


def db_state() -> dict[str, list[dict]]:
    state = {}
    for model in apps.get_app_config("consultations").get_models(include_auto_created=True):
        state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/compte/login/")


# --- The list --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_the_list_shows_open_and_past_consultations_and_upcoming_ones_to_insiders(world, who):
    response = client_for(world, who).get(reverse("consultations:list"))
    assert response.status_code == 200
    page = text_of(response)
    titles = {
        name: consultation.title in page for name, consultation in world.consultations.items()
    }
    if who == "external":
        assert titles == {"open": False, "closed": False, "upcoming": False}
    else:
        insider = who in {"moderator", "staff", "elected"}
        assert titles == {"open": True, "closed": True, "upcoming": insider}
        follow_up = f'href="{reverse("consultations:staff_home")}"' in response.content.decode()
        assert follow_up is insider
    if who == "anonymous":
        assert "créez un compte citoyen" in page


# --- The consultation page -------------------------------------------------------------------


@pytest.mark.parametrize("who", LISTED)
def test_the_consultation_page_lists_what_the_policy_lets_each_reader_see(world, who):
    open_ = world.consultations["open"]
    response = client_for(world, who).get(detail_url(open_))
    assert response.status_code == 200
    page = response.content.decode()
    listed = {
        name
        for name in OPEN_CONTRIBUTIONS
        if f'id="contribution-{world.contributions[name].pk}"' in page
    }
    assert listed == LISTED[who]
    text = text_of(response)
    assert open_.title in text
    assert "Europe, Gare" in text
    assert "Élise Maire" in text  # the official who visits
    assert "Note interne" not in text


def test_external_members_get_404_on_every_consultation_page(world):
    client = client_for(world, "external")
    published = world.contributions["published"]
    for url in (
        detail_url(world.consultations["open"]),
        reverse("consultations:contribute", args=[world.consultations["open"].pk]),
        contribution_url(published),
        reverse("consultations:my_requests"),
    ):
        assert client.get(url).status_code == 404, url


def test_a_citizen_sees_their_own_contributions_marked_with_their_state(world):
    response = client_for(world, "author").get(detail_url(world.consultations["open"]))
    page = text_of(response)
    assert "En attente de modération" in page
    assert "Masquée par les modérateurs (motif : propos injurieux)" in page
    anonymous = text_of(client_for(world, "anonymous").get(detail_url(world.consultations["open"])))
    assert "En attente de modération" not in anonymous
    assert "propos injurieux" not in anonymous


def test_an_upcoming_consultation_is_404_for_the_public(world):
    upcoming = world.consultations["upcoming"]
    for who in ("anonymous", "author"):
        assert client_for(world, who).get(detail_url(upcoming)).status_code == 404
    assert client_for(world, "elected").get(detail_url(upcoming)).status_code == 200


def test_contributions_sort_and_filter_and_bad_values_are_ignored(world, make_consultation):
    staff, author = world.users["staff"], world.users["author"]
    consultation = make_consultation(staff, title="Visite du quartier Sud")
    lamp = contribute(staff, consultation, title="Lampadaire rue Haute")
    bench = contribute(
        staff,
        consultation,
        kind="idee",
        title="Un banc place Basse",
        category=consultation.categories.get(name="espaces verts").pk,
    )
    services.support(actor=author, contribution=lamp)
    client = client_for(world, "anonymous")

    def order(**query) -> list[str]:
        page = client.get(detail_url(consultation), query).content.decode()
        found = re.findall(r'id="contribution-(\d+)"', page)
        return [{lamp.pk: "lamp", bench.pk: "bench"}[int(pk)] for pk in found]

    assert order() == ["lamp", "bench"]  # most supported first
    assert order(sort="recent") == ["bench", "lamp"]
    assert order(sort="supports") == ["lamp", "bench"]
    assert order(kind="idee") == ["bench"]
    assert order(status="recu") == ["lamp"]
    assert order(category=lamp.category_id) == ["lamp"]
    assert order(category="abc", sort="<script>", status="x" * 5000) == ["lamp", "bench"]


def test_the_published_report_appears_on_the_consultation_page(world):
    closed = world.consultations["closed"]
    services.publish_report(
        actor=world.users["staff"],
        consultation=closed,
        report="Ce que nous avons entendu : **la sécurité** d'abord. <script>x()</script>",
    )
    response = client_for(world, "anonymous").get(detail_url(closed))
    page = response.content.decode()
    assert "Compte rendu de la visite" in page
    assert "<strong>la sécurité</strong>" in page
    assert "<script>x()" not in page
    assert "La consultation est close" in html.unescape(page)


# --- The contribution page -------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_the_contribution_page_is_readable_exactly_as_the_policy_says(world, who):
    client = client_for(world, who)
    for name in OPEN_CONTRIBUTIONS:
        response = client.get(contribution_url(world.contributions[name]))
        expected = 200 if name in LISTED.get(who, set()) else 404
        assert response.status_code == expected, name
    published = client.get(contribution_url(world.contributions["published"]))
    if who != "external":
        page = text_of(published)
        assert "Réparation prévue lundi." in page  # the official answer
        assert "Note interne" not in page  # never on the public page, not even for staff


def test_the_contribution_page_shows_the_public_history_but_not_who_changed_it(world):
    published = world.contributions["published"]
    services.change_status(
        actor=world.users["moderator"], contribution=published, status="en_cours"
    )
    page = text_of(client_for(world, "anonymous").get(contribution_url(published)))
    assert "Reçu → En cours" in page
    assert "Statut : En cours" in page
    assert "Mona Modératrice" not in page


def test_the_author_is_told_their_contribution_waits_for_moderation(world):
    pending = world.contributions["pending"]
    page = text_of(client_for(world, "author").get(contribution_url(pending)))
    assert "Votre contribution est en attente de modération" in page


def test_comments_show_published_ones_and_ones_own_pending_comment(world):
    others = world.contributions["others"]
    anonymous = text_of(client_for(world, "anonymous").get(contribution_url(others)))
    assert "Je confirme." in anonymous
    assert "En attente." not in anonymous
    own = text_of(client_for(world, "other_citizen").get(contribution_url(others)))
    assert "En attente." in own
    assert "En attente de modération" in own


# --- Contributing ----------------------------------------------------------------------------


def contribution_data(world, **fields) -> dict:
    open_ = world.consultations["open"]
    data = {
        "kind": "signalement",
        "title": "Trottoir défoncé",
        "body": "Le trottoir devant la boulangerie est dangereux pour les poussettes.",
        "category": open_.categories.get(name="voirie").pk,
        "place": "12 rue de la Gare",
        "latitude": "48,8566",
        "longitude": "2.3522",
    }
    data.update(fields)
    return data


def contribute_url(world) -> str:
    return reverse("consultations:contribute", args=[world.consultations["open"].pk])


def test_a_citizen_contributes_with_a_photo_and_is_told_it_awaits_moderation(world, settings):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 50
    client = client_for(world, "author")
    assert client.get(contribute_url(world)).status_code == 200
    data = contribution_data(world, photos=[SimpleUploadedFile("trottoir.jpg", jpeg())])
    response = client.post(contribute_url(world), data, follow=True)
    assert response.status_code == 200
    created = Contribution.objects.get(title="Trottoir défoncé")
    assert response.redirect_chain[-1][0] == contribution_url(created)
    assert (created.author, created.moderation_state, created.status) == (
        world.users["author"],
        "pending",
        "recu",
    )
    assert (str(created.latitude), str(created.longitude)) == ("48.856600", "2.352200")
    assert created.photos.count() == 1
    page = text_of(response)
    assert "Votre contribution est en attente de modération : elle sera publiée" in page
    assert "12 rue de la Gare" in page  # the author sees the place as typed
    # Once approved, the public sees the street without the house number.
    services.moderate_contribution(
        moderator=world.users["moderator"], contribution=created, action="approve"
    )
    public = text_of(client_for(world, "anonymous").get(contribution_url(created)))
    assert "rue de la Gare" in public
    assert "12 rue de la Gare" not in public


@pytest.mark.parametrize("who", ["anonymous", "elected", "external"])
def test_only_citizens_and_staff_reach_the_contribution_form(world, who):
    client = client_for(world, who)
    before = db_state()
    get = client.get(contribute_url(world))
    post = client.post(contribute_url(world), contribution_data(world))
    if who == "anonymous":
        assert login_redirect(get)
        assert login_redirect(post)
    else:
        assert (get.status_code, post.status_code) == (404, 404)
    assert db_state() == before


def test_staff_may_contribute_too(world):
    response = client_for(world, "staff").post(contribute_url(world), contribution_data(world))
    assert response.status_code == 302
    assert Contribution.objects.filter(title="Trottoir défoncé", author=world.users["staff"])


def error_of(page: str, field: str) -> str:
    """The error list of `field`, checked to be linked from its input by aria-describedby."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error list for {field}"
    described = rf'aria-describedby="[^"]*\bid_{re.escape(field)}_error\b'
    assert re.search(described, page), f"{field}: its input does not point to its errors"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"body": "x" * 100_000}, "body", "Le texte dépasse 5 000 caractères."),
        ({"body": "   "}, "body", "Le texte est obligatoire."),
        ({"title": ""}, "title", "Le titre est obligatoire."),
        ({"title": "t" * 151}, "title", "au plus 150 caractères"),
        ({"category": "999999"}, "category", "Sélectionnez un choix valide"),
        ({"kind": "pétition"}, "kind", "Sélectionnez un choix valide"),
        ({"latitude": "nord"}, "latitude", "Coordonnée invalide."),
        ({"latitude": "95"}, "latitude", "entre -90 et 90"),
        ({"longitude": ""}, "latitude", "Indiquez la latitude et la longitude."),
        ({"place": "p" * 201}, "place", "au plus 200 caractères"),
    ],
)
def test_bad_contributions_are_refused_next_to_their_field(world, fields, field, message):
    before = db_state()
    response = client_for(world, "other_citizen").post(
        contribute_url(world), contribution_data(world, **fields)
    )
    assert response.status_code == 400
    assert message in error_of(response.content.decode(), field)
    assert db_state() == before


def test_an_empty_form_names_every_missing_field_at_once(world):
    response = client_for(world, "other_citizen").post(contribute_url(world), {"kind": "idee"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Le titre est obligatoire." in error_of(page, "title")
    assert "Le texte est obligatoire." in error_of(page, "body")
    assert "Choisissez une catégorie." in error_of(page, "category")
    assert "Le formulaire contient 3 erreurs." in text_of(response)


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_stored(world, file_storage):
    before, files_before = db_state(), sorted(file_storage.rglob("*"))
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 pas une image", content_type="image/jpeg")
    response = client_for(world, "other_citizen").post(
        contribute_url(world), contribution_data(world, photos=[fake])
    )
    assert response.status_code == 400
    assert "Ce fichier n'est pas une image" in error_of(response.content.decode(), "photos")
    assert db_state() == before
    assert sorted(file_storage.rglob("*")) == files_before


def test_four_photos_are_refused(world):
    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg()) for i in range(4)]
    response = client_for(world, "other_citizen").post(
        contribute_url(world), contribution_data(world, photos=photos)
    )
    assert response.status_code == 400
    assert "3 photos au plus." in error_of(response.content.decode(), "photos")
    assert not Contribution.objects.filter(title="Trottoir défoncé").exists()


def test_script_and_html_in_a_contribution_are_rendered_inert(world, settings):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 50
    evil = '<script>alert("x")</script><img src=x onerror=alert(2)>'
    client = client_for(world, "staff")
    response = client.post(
        contribute_url(world),
        contribution_data(world, title="<b>Titre</b> " + evil, body=evil, place=evil),
    )
    assert response.status_code == 302
    created = Contribution.objects.get(author=world.users["staff"], title__startswith="<b>")
    for url in (contribution_url(created), detail_url(created.consultation)):
        page = client.get(url).content.decode()
        assert '<script>alert("x")' not in page
        assert "<img src=x" not in page
        assert "<b>Titre</b>" not in page
        assert "&lt;b&gt;Titre&lt;/b&gt;" in page


def test_the_rate_limit_is_a_clear_message_linked_to_the_form(world, settings):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 2  # other_citizen already sent two
    before = db_state()
    response = client_for(world, "other_citizen").post(
        contribute_url(world), contribution_data(world)
    )
    assert response.status_code == 400
    page = response.content.decode()
    summary = re.search(
        r'<div class="message message--error" role="alert" id="([^"]+)">(.*?)</div>', page, re.S
    )
    assert summary, page
    assert "Vous avez déjà envoyé 2 contributions en une heure" in html.unescape(summary.group(2))
    assert f'aria-describedby="{summary.group(1)}"' in page
    assert db_state() == before


def test_contributing_to_a_closed_consultation_is_refused(world):
    closed = world.consultations["closed"]
    url = reverse("consultations:contribute", args=[closed.pk])
    client = client_for(world, "other_citizen")
    assert "n'est pas ouverte aux contributions" in text_of(client.get(url))
    before = db_state()
    data = contribution_data(world, category=closed.categories.get(name="voirie").pk)
    response = client.post(url, data)
    assert response.status_code == 400
    assert "n'est pas ouverte aux contributions" in text_of(response)
    assert db_state() == before


# --- Supports --------------------------------------------------------------------------------


def support_url(contribution) -> str:
    return reverse("consultations:support", args=[contribution.pk])


def test_a_citizen_supports_once_then_withdraws_without_javascript(world):
    published = world.contributions["published"]
    client = client_for(world, "other_citizen")
    page = text_of(client.get(contribution_url(published)))
    assert "Soutenir « Publiée »" in page
    response = client.post(support_url(published), {"action": "support"}, follow=True)
    assert "Vous soutenez cette contribution." in text_of(response)
    assert "1 soutien" in text_of(response)
    assert "Retirer mon soutien" in text_of(response)
    twice = client.post(support_url(published), {"action": "support"}, follow=True)
    assert "Vous soutenez déjà cette contribution." in text_of(twice)
    assert Support.objects.filter(contribution=published).count() == 1
    assert Contribution.objects.get(pk=published.pk).support_count == 1
    client.post(support_url(published), {"action": "withdraw"})
    assert Contribution.objects.get(pk=published.pk).support_count == 0
    again = client.post(support_url(published), {"action": "withdraw"}, follow=True)
    assert "Vous ne soutenez pas cette contribution." in text_of(again)


def test_under_htmx_the_support_button_answers_its_own_fragment(world):
    published = world.contributions["published"]
    client = client_for(world, "other_citizen")
    response = client.post(
        support_url(published),
        {"action": "support", "next": detail_url(published.consultation)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = html.unescape(response.content.decode())
    assert fragment.lstrip().startswith(f'<div class="support" id="soutien-{published.pk}">')
    assert "1 soutien" in fragment
    assert "Retirer mon soutien" in fragment
    assert f'id="soutien-{published.pk}-bouton"' in fragment  # htmx keeps the focus on it
    twice = client.post(
        support_url(published), {"action": "support"}, headers={"HX-Request": "true"}
    )
    assert twice.status_code == 200
    assert 'role="alert">Vous soutenez déjà cette contribution.' in twice.content.decode()


def test_the_next_address_must_be_a_path_of_this_site(world):
    published = world.contributions["published"]
    response = client_for(world, "other_citizen").post(
        support_url(published), {"action": "support", "next": "https://evil.test/"}
    )
    assert response["Location"] == contribution_url(published)


@pytest.mark.parametrize(
    ("who", "name", "status", "message"),
    [
        ("author", "published", 200, "Vous ne pouvez pas soutenir votre propre contribution."),
        ("author", "hidden", 200, "Cette contribution ne peut pas être soutenue."),
        ("other_citizen", "hidden", 404, None),
        ("other_citizen", "pending", 404, None),
        ("author", "closed", 200, "La consultation est close : les soutiens sont arrêtés."),
        ("elected", "published", 403, None),
    ],
)
def test_refused_supports_change_nothing(world, who, name, status, message):
    before = db_state()
    response = client_for(world, who).post(
        support_url(world.contributions[name]), {"action": "support"}, follow=True
    )
    assert response.status_code == status
    if message:
        assert message in text_of(response)
    assert db_state() == before


def test_anonymous_visitors_are_sent_to_sign_in_to_support_comment_or_report(world):
    published = world.contributions["published"]
    client = client_for(world, "anonymous")
    page = text_of(client.get(contribution_url(published)))
    assert "Pour soutenir ou commenter, connectez-vous" in page
    before = db_state()
    for url in (
        support_url(published),
        reverse("consultations:comment", args=[published.pk]),
        reverse("consultations:report", args=[published.pk]),
    ):
        assert login_redirect(client.post(url, {"body": "x", "signalement-reason": "x"}))
    assert db_state() == before


# --- Comments and reports --------------------------------------------------------------------


def comment_url(contribution) -> str:
    return reverse("consultations:comment", args=[contribution.pk])


def test_a_comment_in_a_priori_mode_waits_for_moderation(world):
    published = world.contributions["published"]
    client = client_for(world, "other_citizen")
    response = client.post(comment_url(published), {"body": "<b>Oui</b> !"}, follow=True)
    page = response.content.decode()
    assert "Votre commentaire est en attente de modération" in html.unescape(page)
    assert "&lt;b&gt;Oui&lt;/b&gt; !" in page
    comment = ConsultationComment.objects.get(body="<b>Oui</b> !")
    assert comment.moderation_state == "pending"
    public = client_for(world, "anonymous").get(contribution_url(published))
    assert "Oui" not in text_of(public)


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("published", "", "Le commentaire est obligatoire."),
        ("published", "c" * 2001, "Le commentaire dépasse 2 000 caractères."),
        ("closed", "Trop tard ?", "La consultation est close : les commentaires sont fermés."),
    ],
)
def test_refused_comments_are_explained_and_change_nothing(world, name, body, message):
    before = db_state()
    response = client_for(world, "author").post(
        comment_url(world.contributions[name]), {"body": body}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in html.unescape(page)
    assert 'aria-describedby="commentaire-erreurs"' in page
    assert db_state() == before


def test_the_comment_rate_limit_is_shown_on_the_form(world, settings):
    settings.CONSULTATION_COMMENTS_PER_HOUR = 1  # author already commented once
    response = client_for(world, "author").post(
        comment_url(world.contributions["others"]), {"body": "Encore moi."}
    )
    assert response.status_code == 400
    assert "Vous avez déjà écrit 1 commentaires en une heure" in text_of(response)


def test_a_citizen_reports_a_contribution_and_a_comment(world):
    published = world.contributions["others"]
    client = client_for(world, "author")
    response = client.post(
        reverse("consultations:report", args=[published.pk]),
        {"signalement-reason": "Propos déplacés"},
        follow=True,
    )
    assert "votre signalement est transmis aux modérateurs" in text_of(response)
    assert Report.objects.filter(contribution=published, reason="Propos déplacés").exists()
    comment = world.comments["published"]
    client_for(world, "other_citizen").post(
        reverse("consultations:report_comment", args=[comment.pk]),
        {f"signalement-{comment.pk}-reason": "Hors sujet"},
    )
    assert Report.objects.filter(comment=comment, reason="Hors sujet").exists()


def test_a_report_without_a_reason_is_refused(world):
    before = db_state()
    response = client_for(world, "author").post(
        reverse("consultations:report", args=[world.contributions["others"].pk]),
        {"signalement-reason": "  "},
    )
    assert response.status_code == 400
    assert "Le motif est obligatoire." in error_of(response.content.decode(), "signalement-reason")
    assert db_state() == before


# --- Photos ----------------------------------------------------------------------------------


@pytest.fixture
def photos(world) -> dict[str, ContributionPhoto]:
    """A photo on a published contribution and one on a pending one (open consultation)."""
    open_ = world.consultations["open"]
    staff, moderator = world.users["staff"], world.users["moderator"]
    shown = contribute(staff, open_, photos=[SimpleUploadedFile("a.jpg", jpeg())])
    services.moderate_contribution(moderator=moderator, contribution=shown, action="approve")
    waiting = contribute(
        world.users["other_citizen"], open_, photos=[SimpleUploadedFile("b.jpg", jpeg())]
    )
    return {"published": shown.photos.get(), "pending": waiting.photos.get()}


@pytest.mark.parametrize(
    ("who", "published", "pending"),
    [
        ("anonymous", 200, 404),
        ("author", 200, 404),
        ("other_citizen", 200, 200),  # their own
        ("staff", 200, 200),
        ("elected", 200, 404),
        ("external", 404, 404),
    ],
)
def test_photos_follow_the_contribution_policy_on_every_request(
    world, photos, who, published, pending
):
    client = client_for(world, who)
    for name, expected in (("published", published), ("pending", pending)):
        response = client.get(reverse("consultations:photo", args=[photos[name].pk]))
        assert response.status_code == expected, name
        if expected == 200:
            assert response["Content-Type"] == "image/webp"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
            assert response["Content-Disposition"].startswith("inline")
            assert Image.open(io.BytesIO(response.content)).format == "WEBP"
    assert client.get(reverse("consultations:photo", args=[10**9])).status_code == 404


def test_a_photo_is_revalidated_and_hidden_once_its_contribution_is(world, photos):
    client = client_for(world, "anonymous")
    url = reverse("consultations:photo", args=[photos["published"].pk])
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    services.moderate_contribution(
        moderator=world.users["moderator"],
        contribution=photos["published"].contribution,
        action="hide",
        reason="hors charte",
    )
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 404


# --- Mes demandes ----------------------------------------------------------------------------


def test_mes_demandes_lists_ones_own_contributions_with_status_and_answers(world):
    services.change_status(
        actor=world.users["staff"], contribution=world.contributions["published"], status="en_cours"
    )
    response = client_for(world, "author").get(reverse("consultations:my_requests"))
    assert response.status_code == 200
    page = text_of(response)
    for name in ("pending", "published", "hidden", "closed"):
        assert f'id="demande-{world.contributions[name].pk}"' in response.content.decode(), name
    assert "D'un voisin" not in page
    assert "Réparation prévue lundi." in page
    assert "Reçu → En cours" in page
    assert "En attente de modération" in page
    assert "Masquée par les modérateurs (motif : propos injurieux)" in page
    assert "Note interne" not in page


@pytest.mark.parametrize(("who", "status"), [("elected", 404), ("external", 404)])
def test_mes_demandes_is_for_citizens_and_staff(world, who, status):
    assert client_for(world, who).get(reverse("consultations:my_requests")).status_code == status
    assert login_redirect(client_for(world, "anonymous").get(reverse("consultations:my_requests")))


# --- Navigation ------------------------------------------------------------------------------


def test_citizens_and_visitors_see_consultations_and_nothing_internal_in_the_navigation(world):
    internal = ("Annuaire", "Groupes", "Réunions", "Décisions", "Mes fichiers", "Messages")
    citizen = nav_of(client_for(world, "author").get(reverse("home")))
    assert "Accueil" in citizen
    assert 'href="/consultations/"' in citizen
    assert not [name for name in internal if name in citizen]
    assert "Administration" not in citizen
    visitor = nav_of(client_for(world, "anonymous").get(reverse("consultations:list")))
    assert 'href="/consultations/"' in visitor
    assert 'aria-current="page"' in visitor
    assert not [name for name in (*internal, "Accueil") if name in visitor]
    staff = nav_of(client_for(world, "staff").get(reverse("home")))
    assert 'href="/consultations/"' in staff
    assert "Groupes" in staff
    external = nav_of(client_for(world, "external").get(reverse("home")))
    assert 'href="/consultations/"' not in external


# --- Query counts ----------------------------------------------------------------------------


def grow(world, consultation, count: int) -> None:
    """`count` published contributions, each with a photo, a comment, an answer, a support."""
    staff, other = world.users["staff"], world.users["other_citizen"]
    for i in range(count):
        contribution = contribute(
            staff,
            consultation,
            title=f"Demande {i}",
            photos=[SimpleUploadedFile("p.jpg", jpeg())],
        )
        services.add_comment(author=staff, contribution=contribution, body="Vu.")
        services.answer_contribution(author=staff, contribution=contribution, text="Prévu.")
        services.support(actor=other, contribution=contribution)


# Measured: the consultation, its categories, its officials, the count, the page of
# contributions, their answers and photos (+ session and user when signed in; + moderation
# rights and the unread-messages badge for staff).
CONSULTATION_PAGE_QUERIES = {"anonymous": 7, "other_citizen": 9, "staff": 12}


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("who", CONSULTATION_PAGE_QUERIES)
def test_the_consultation_page_costs_a_constant_number_of_queries(
    world, make_consultation, django_assert_max_num_queries, size, who
):
    consultation = make_consultation(world.users["staff"], title="Visite du quartier Est")
    grow(world, consultation, size)
    client = client_for(world, who)
    with django_assert_max_num_queries(CONSULTATION_PAGE_QUERIES[who]):
        response = client.get(detail_url(consultation))
    assert response.content.decode().count('class="contribution-card"') == size


@pytest.mark.parametrize("size", [2, 12])
def test_the_contribution_page_costs_a_constant_number_of_queries(
    world, django_assert_max_num_queries, size
):
    others = world.contributions["others"]
    for i in range(size):
        comment = services.add_comment(
            author=world.users["staff"], contribution=others, body=f"Vu {i}."
        )
        services.moderate_comment(
            moderator=world.users["moderator"], comment=comment, action="approve"
        )
    client = client_for(world, "author")
    with django_assert_max_num_queries(8):
        response = client.get(contribution_url(others))
    assert response.content.decode().count('class="comment"') == size + 1


@pytest.mark.parametrize("size", [2, 12])
def test_mes_demandes_costs_a_constant_number_of_queries(
    world, make_consultation, django_assert_max_num_queries, settings, size
):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 0  # no limit, for the setup
    consultation = make_consultation(world.users["staff"], title="Visite du quartier Est")
    citizen = world.users["other_citizen"]
    for i in range(size):
        contribution = contribute(
            citizen,
            consultation,
            title=f"Demande {i}",
            photos=[SimpleUploadedFile("p.jpg", jpeg())],
        )
        services.change_status(
            actor=world.users["staff"], contribution=contribution, status="en_cours"
        )
        services.answer_contribution(
            author=world.users["staff"], contribution=contribution, text="Prévu."
        )
    client = client_for(world, "other_citizen")
    with django_assert_max_num_queries(7):
        response = client.get(reverse("consultations:my_requests"))
    assert response.content.decode().count('class="panel my-request"') == size + 2
