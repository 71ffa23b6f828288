"""Public sign-up creates citizens, and only citizens; bad input changes nothing."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User

STRONG = "un-mot-de-passe-solide-42"


def signup(client, **overrides):
    data = {
        "email": "nouvelle@example.test",
        "password1": STRONG,
        "password2": STRONG,
        "display_name": "Nadia N.",
        "consent": "on",
    }
    data.update(overrides)
    return client.post("/compte/signup/", {k: v for k, v in data.items() if v is not None})


@pytest.mark.django_db
def test_sign_up_creates_an_unverified_citizen_and_sends_a_french_confirmation(client):
    response = signup(client, kind="staff", is_superuser="on", organisation="1")
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.test")
    assert user.kind == User.Kind.CITIZEN
    assert not user.is_staff
    assert not user.is_superuser
    assert user.organisation is None
    assert user.display_name == "Nadia N."
    assert user.handle == "nouvelle"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert "Confirmez votre adresse e-mail" in mail.outbox[0].subject
    assert re.search(r"/compte/confirm-email/[^/\s]+/", mail.outbox[0].body)
    assert "Maillage" in mail.outbox[0].body
    assert "example.com" not in mail.outbox[0].body


@pytest.mark.django_db
def test_confirming_the_address_signs_the_citizen_in(client):
    signup(client)
    key = re.search(r"/compte/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1)
    response = client.post(f"/compte/confirm-email/{key}/")
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nouvelle@example.test").verified
    home = client.get("/")
    assert "Bonjour Nadia N." in home.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "court", "password2": "court"}, "trop court"),
        ({"password1": "password12345", "password2": "password12345"}, "trop courant"),
        ({"password2": "autre-chose-tres-long"}, "même mot de passe"),
        ({"consent": None}, "Cochez la case « J&#x27;ai lu la notice"),
        ({"display_name": ""}, "obligatoire"),
        ({"display_name": "x" * 121}, "au plus 120"),
        ({"email": "pas-une-adresse"}, "adresse"),
    ],
)
def test_bad_sign_up_gets_a_french_error_and_creates_nothing(client, overrides, message):
    response = signup(client, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not mail.outbox


def test_sign_up_with_a_taken_address_changes_nothing_and_tells_the_owner_by_email(client, citizen):
    # Anti-enumeration: the form cannot reveal who has an account, so the address's owner
    # is told by e-mail, in French, and nothing is created or changed.
    before = User.objects.count()
    response = signup(client, email=citizen.email.upper())
    assert response.status_code == 302
    assert User.objects.count() == before
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [citizen.email]
    assert "existe" in mail.outbox[0].body or "déjà" in mail.outbox[0].body


def test_sign_up_gives_a_free_handle_when_the_local_part_is_taken(client, make_user):
    make_user(User.Kind.STAFF, handle="nouvelle")
    signup(client)
    assert User.objects.get(email="nouvelle@example.test").handle == "nouvelle-2"


@pytest.mark.django_db
def test_closed_sign_up_creates_nothing(client, settings):
    settings.SIGNUP_OPEN = False
    response = signup(client)
    assert response.status_code == 200
    assert "fermées" in response.content.decode() or "closed" in response.content.decode()
    assert not User.objects.exists()
