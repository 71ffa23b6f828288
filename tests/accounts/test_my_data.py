"""RGPD: the processing notice accepted at sign-up, « Mes données » (download) and deleting
one's own account (contributions stay, signed « un habitant »)."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, User
from accounts.notice import NOTICE_VERSION
from consultations import export, selectors
from consultations import services as consultation_services
from consultations.models import ConsultationComment, Contribution, Report, Support
from tests.consultations.conftest import contribute, make_consultation  # noqa: F401 - fixture
from tests.files.conftest import png_bytes

MY_DATA = "/compte/mes-donnees/"
DOWNLOAD = "/compte/mes-donnees/mes-donnees.json"
DELETE = "/compte/mes-donnees/supprimer/"
PASSWORD = "correct-horse-battery-staple"  # tests.factories.PASSWORD
STRONG = "un-mot-de-passe-solide-42"


def signup(client, **overrides):
    data = {
        "email": "nouvelle@example.test",
        "password1": STRONG,
        "password2": STRONG,
        "display_name": "Rose des Vents",
        "consent": "on",
    }
    data.update(overrides)
    return client.post("/compte/signup/", {k: v for k, v in data.items() if v is not None})


# --- The notice at sign-up -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sign_up_page_shows_the_notice_with_its_box(client):
    html = client.get("/compte/signup/").content.decode()
    assert "J&#x27;ai lu la notice d&#x27;information sur le traitement de mes données" in html
    helptext = re.search(
        r'<div class="helptext" id="id_consent_helptext">(.*?)</div>\s*</div>', html, re.S
    )
    assert helptext, html
    notice = helptext.group(1)
    for part in ("Finalité", "Conservation", "Vos droits", "dpo@maillage.test", NOTICE_VERSION):
        assert part in notice, part
    assert 'href="/confidentialite/#consultations"' in notice
    assert re.search(
        r'<input[^>]*name="consent"[^>]*aria-describedby="[^"]*id_consent_helptext', html
    )
    assert re.search(r'<input[^>]*name="consent"[^>]*required', html)
    assert "Un pseudonyme convient" in html


@pytest.mark.django_db
def test_signing_up_records_when_and_which_notice_was_accepted(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.test")
    assert user.notice_version == NOTICE_VERSION
    assert user.notice_accepted_at is not None
    assert abs((user.notice_accepted_at - user.date_joined).total_seconds()) < 60
    assert user.display_name == "Rose des Vents"  # a pseudonym is fine


@pytest.mark.django_db
@pytest.mark.parametrize("consent", [None, "", "false"])
def test_a_sign_up_without_the_box_is_refused_in_french_and_creates_nothing(client, consent):
    response = signup(client, consent=consent)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cochez la case « J&#x27;ai lu la notice d&#x27;information »" in html
    assert not User.objects.exists()
    assert not mail.outbox


def test_invited_accounts_have_no_recorded_notice(staff):
    assert staff.notice_accepted_at is None
    assert staff.notice_version == ""


@pytest.mark.django_db
def test_the_privacy_page_has_a_consultations_section_with_the_notice(client):
    response = client.get("/confidentialite/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="consultations"' in html
    assert "Notice d'information sur vos données" in html
    assert "un habitant" in html


# --- « Mes données » -------------------------------------------------------------------------


@pytest.fixture
def consultation(staff, make_consultation):  # noqa: F811
    return make_consultation(staff)


@pytest.fixture
def neighbour(make_user) -> User:
    return make_user(User.Kind.CITIZEN, display_name="Bruno Voisin", job_title="")


@pytest.fixture
def activity(citizen, neighbour, consultation):
    """The citizen wrote a contribution and a comment, supported and reported the
    neighbour's; the neighbour supported and commented the citizen's."""
    mine = contribute(citizen, consultation, title="Lampadaire de la rue Haute")
    theirs = contribute(neighbour, consultation, title="Banc du voisin")
    consultation_services.support(actor=citizen, contribution=theirs)
    consultation_services.support(actor=neighbour, contribution=mine)
    consultation_services.add_comment(author=citizen, contribution=theirs, body="Bonne idée")
    consultation_services.add_comment(author=neighbour, contribution=mine, body="Je confirme")
    consultation_services.report_contribution(
        reporter=citizen, contribution=theirs, reason="Doublon"
    )
    return {"mine": mine, "theirs": theirs}


def _signed_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in (MY_DATA, DOWNLOAD):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/compte/login/")
    assert client.post(DELETE).status_code == 302


def test_a_citizen_sees_what_is_held_and_can_delete(citizen, activity):
    response = _signed_in(citizen).get(MY_DATA)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mes données" in html
    assert citizen.email in html
    assert DOWNLOAD in html
    assert f'action="{DELETE}"' in html
    assert 'name="password"' in html
    assert 'aria-current="page"' in html  # « Mes données » in the account menu


def test_the_download_holds_the_citizens_data_and_nobody_elses(citizen, neighbour, activity):
    response = _signed_in(citizen).get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["compte"]["email"] == citizen.email
    assert data["compte"]["nom_affiche"] == "Cécile Citoyenne"
    assert [e["email"] for e in data["adresses_email"]] == [citizen.email]
    consultations = data["consultations"]
    assert [c["titre"] for c in consultations["contributions"]] == ["Lampadaire de la rue Haute"]
    assert [c["texte"] for c in consultations["commentaires"]] == ["Bonne idée"]
    assert [s["contribution"] for s in consultations["soutiens"]] == ["Banc du voisin"]
    assert [r["motif"] for r in consultations["signalements"]] == ["Doublon"]
    text = response.content.decode()
    assert neighbour.email not in text
    assert "Je confirme" not in text  # the neighbour's comment on the citizen's contribution


def test_the_download_lists_tokens_without_their_secret(staff):
    _token, raw = services.create_api_token(user=staff, name="Tableur")
    response = _signed_in(staff).get(DOWNLOAD)
    data = json.loads(response.content)
    assert [t["nom"] for t in data["jetons_api"]] == ["Tableur"]
    assert raw not in response.content.decode()


def test_staff_download_their_data_but_cannot_delete_their_account_themselves(staff):
    client = _signed_in(staff)
    html = client.get(MY_DATA).content.decode()
    assert "adressez-vous à un administrateur" in html
    assert f'action="{DELETE}"' not in html
    assert client.post(DELETE, {"password": PASSWORD}).status_code == 404
    assert User.objects.filter(pk=staff.pk).exists()


@pytest.mark.parametrize("password", ["", "mauvais-mot-de-passe", "x" * 5000])
def test_a_wrong_password_deletes_nothing_and_says_why(citizen, activity, password):
    response = _signed_in(citizen).post(DELETE, {"password": password})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Mot de passe incorrect." in html
        or "Indiquez votre mot de passe" in html
        or ("au plus" in html)
    )
    assert User.objects.filter(pk=citizen.pk).exists()
    assert Contribution.objects.filter(author=citizen).count() == 1
    assert Support.objects.filter(user=citizen).count() == 1


def test_an_account_without_password_is_deleted_with_the_typed_word(citizen):
    citizen.set_unusable_password()
    citizen.save()
    client = _signed_in(citizen)
    assert 'name="confirmation"' in client.get(MY_DATA).content.decode()
    refused = client.post(DELETE, {"confirmation": "oui"})
    assert refused.status_code == 400
    assert "Tapez SUPPRIMER" in refused.content.decode()
    assert client.post(DELETE, {"confirmation": "supprimer"}).status_code == 302
    assert not User.objects.filter(pk=citizen.pk).exists()


def test_deleting_ones_account_removes_it_and_pseudonymises_the_contributions(
    citizen, neighbour, activity
):
    other_browser = _signed_in(citizen)
    _token, raw = services.create_api_token(user=citizen, name="script")
    services.set_avatar(
        actor=citizen,
        user=citizen,
        upload=SimpleUploadedFile("moi.png", png_bytes(), content_type="image/png"),
    )
    citizen.refresh_from_db()
    avatar = citizen.avatar
    assert avatar.storage.exists(avatar.name)
    mine, theirs = activity["mine"], activity["theirs"]
    client = _signed_in(citizen)

    response = client.post(DELETE, {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    # The account and everything personal are gone.
    assert not User.objects.filter(pk=citizen.pk).exists()
    assert not EmailAddress.objects.filter(email=citizen.email).exists()
    assert not ApiToken.objects.filter(user_id=citizen.pk).exists()
    assert not Support.objects.filter(user_id=citizen.pk).exists()
    assert not avatar.storage.exists(avatar.name)
    # What was said stays, signed « un habitant »; counters keep the support.
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.author_id is None
    assert mine.author_display == "un habitant"
    assert theirs.support_count == 1
    comment = ConsultationComment.objects.get(body="Bonne idée")
    assert comment.author_id is None
    assert Report.objects.get(reason="Doublon").reporter_id is None
    public = selectors.contributions_for(AnonymousUser(), consultation=mine.consultation)
    assert {c.author_display for c in public} == {"un habitant", "Bruno Voisin"}
    # The neighbour's own data no longer mentions the deleted citizen anywhere.
    assert "Cécile Citoyenne" not in json.dumps(export.citizen_data(neighbour), ensure_ascii=False)
    # Signed out here, in the other browser and on the API.
    follow = client.get(response["Location"])
    assert "Votre compte a été supprimé" in follow.content.decode()
    for browser in (client, other_browser):
        again = browser.get(MY_DATA)
        assert again.status_code == 302
        assert again["Location"].startswith("/compte/login/")
    api = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 401


def test_a_new_account_with_the_same_address_starts_empty(client, citizen, activity):
    _signed_in(citizen).post(DELETE, {"password": PASSWORD})
    signup(client, email=citizen.email)
    newcomer = User.objects.get(email=citizen.email)
    assert not Contribution.objects.filter(author=newcomer).exists()
    assert newcomer.notice_version == NOTICE_VERSION


def test_deleting_needs_a_post(citizen):
    response = _signed_in(citizen).get(DELETE)
    assert response.status_code == 405
    assert User.objects.filter(pk=citizen.pk).exists()


def test_deleting_needs_the_csrf_token(citizen):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    assert client.post(DELETE, {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=citizen.pk).exists()


def test_the_my_data_page_costs_a_constant_number_of_queries(
    citizen, consultation, django_assert_max_num_queries
):
    client = _signed_in(citizen)
    contribute(citizen, consultation, title="Première contribution")
    client.get(MY_DATA)
    with django_assert_max_num_queries(25) as few:
        client.get(DOWNLOAD)
    for n in range(3):
        contribute(citizen, consultation, title=f"Contribution {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(DOWNLOAD)
