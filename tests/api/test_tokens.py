"""Personal API tokens (command line and tokens page) and accounts made on the command line."""

import hashlib
import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import ApiToken, User
from accounts.services import deactivate_user
from tests.factories import OrganisationFactory

ME = "/api/v1/me"
TOKENS = "/compte/jetons/"
SHOWN_TOKEN = re.compile(r'value="(mlg_[A-Za-z0-9_-]+)"')


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_user(raw: str) -> str | None:
    """The e-mail the API answers for this token, or None when it refuses it."""
    response = Client().get(ME, **bearer(raw))
    return response.json()["email"] if response.status_code == 200 else None


def stored_token_values() -> list[str]:
    return [str(value) for row in ApiToken.objects.values() for value in row.values()]


# --- create_token command -----------------------------------------------------------------


def test_create_token_command_prints_a_working_token_once_and_stores_only_its_hash(staff):
    out = StringIO()

    call_command("create_token", staff.email.upper(), "--name", "export", stdout=out)

    printed = out.getvalue().split()
    assert len(printed) == 1
    raw = printed[0]
    assert raw.startswith("mlg_")
    token = ApiToken.objects.get(user=staff)
    assert token.name == "export"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert not [value for value in stored_token_values() if raw.removeprefix("mlg_") in value]
    assert api_user(raw) == staff.email


def test_create_token_command_never_shows_the_token_again(staff, client_for):
    out = StringIO()
    call_command("create_token", staff.email, stdout=out)
    raw = out.getvalue().strip()

    page = client_for(staff).get(TOKENS).content.decode()

    assert "command line" in page
    assert raw not in page


def test_create_token_command_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match=re.escape("personne@example.test")):
        call_command("create_token", "personne@example.test", stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_create_token_command_refuses_a_deactivated_account(make_user, staff):
    deactivate_user(actor=make_user(User.Kind.STAFF, is_superuser=True), user=staff)

    with pytest.raises(CommandError):
        call_command("create_token", staff.email, stdout=StringIO())

    assert not ApiToken.objects.filter(user=staff).exists()


# --- Tokens page --------------------------------------------------------------------------


def test_tokens_page_shows_a_new_token_once_and_it_works(staff, client_for, csrf_token):
    client = client_for(staff)

    response = client.post(TOKENS, {"name": "tableur", "csrfmiddlewaretoken": csrf_token(client)})

    assert response.status_code == 200
    shown = SHOWN_TOKEN.findall(response.content.decode())
    assert len(shown) == 1
    raw = shown[0]
    assert api_user(raw) == staff.email
    assert ApiToken.objects.get(user=staff).name == "tableur"
    assert raw not in " ".join(stored_token_values())
    again = client.get(TOKENS).content.decode()
    assert "tableur" in again
    assert raw not in again


@pytest.mark.parametrize("name", ["", "   "])
def test_tokens_page_refuses_an_empty_name_in_french_and_creates_nothing(
    staff, client_for, csrf_token, name
):
    client = client_for(staff)

    response = client.post(TOKENS, {"name": name, "csrfmiddlewaretoken": csrf_token(client)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ce champ est obligatoire." in page
    assert not SHOWN_TOKEN.search(page)
    assert not ApiToken.objects.exists()


def test_revoking_a_token_on_the_tokens_page_stops_it_at_once(
    staff, client_for, csrf_token, token_for
):
    raw = token_for(staff)
    assert api_user(raw) == staff.email
    client = client_for(staff)
    token = ApiToken.objects.get(user=staff)

    response = client.post(
        f"/compte/jetons/{token.pk}/revoquer/", {"csrfmiddlewaretoken": csrf_token(client)}
    )

    assert response.status_code == 302
    assert response["Location"] == TOKENS
    assert "Le jeton a été révoqué" in client.get(TOKENS).content.decode()
    assert api_user(raw) is None
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_can_revoke_another_user_s_token(staff, elected, client_for, csrf_token, token_for):
    raw = token_for(staff)
    token = ApiToken.objects.get(user=staff)
    intruder = client_for(elected)

    response = intruder.post(
        f"/compte/jetons/{token.pk}/revoquer/", {"csrfmiddlewaretoken": csrf_token(intruder)}
    )

    assert response.status_code == 302
    assert "Ce jeton n'existe pas" in html.unescape(intruder.get(TOKENS).content.decode())
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_user(raw) == staff.email


def test_the_tokens_page_lists_only_one_s_own_tokens(staff, elected, client_for, token_for):
    token_for(staff, "export confidentiel")

    page = client_for(elected).get(TOKENS).content.decode()

    assert "export confidentiel" not in page


# --- create_user command ------------------------------------------------------------------


def test_create_user_command_creates_an_external_member_of_an_organisation(db):
    organisation = OrganisationFactory(name="Ferment & Co")
    out = StringIO()

    call_command(
        "create_user",
        "Ernest@Ferment.example",
        "--kind",
        "external",
        "--organisation",
        "Ferment & Co",
        stdout=out,
    )

    person = User.objects.get(email="ernest@ferment.example")
    assert person.kind == User.Kind.EXTERNAL
    assert person.organisation == organisation
    assert not person.is_superuser
    assert person.email in out.getvalue()


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.CITIZEN])
def test_create_user_command_creates_each_internal_kind(db, kind):
    call_command("create_user", f"{kind}@example.test", "--kind", kind, stdout=StringIO())

    assert User.objects.get(email=f"{kind}@example.test").kind == kind


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--kind", "external"], "organisation"),
        (["--kind", "external", "--organisation", "Inconnue SA"], "Inconnue SA"),
        (["--kind", "mayor"], "--kind"),
        (["--kind", "citizen", "--superuser"], "staff"),
    ],
    ids=["external-without-organisation", "unknown-organisation", "unknown-kind", "superuser"],
)
def test_create_user_command_refuses_a_wrong_account_with_a_clear_message(db, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("create_user", "nouveau@example.test", *arguments, stdout=StringIO())

    assert not User.objects.filter(email="nouveau@example.test").exists()


def test_create_user_command_refuses_a_duplicate_email_whatever_its_case(staff):
    count = User.objects.count()

    with pytest.raises(CommandError, match="existe déjà"):
        call_command("create_user", staff.email.upper(), "--kind", "staff", stdout=StringIO())

    assert User.objects.count() == count
