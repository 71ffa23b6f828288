"""The word an account without a password types to delete itself is the word of the page's
language (« SUPPRIMER » in French, « DELETE » in English), whatever its case and spaces."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from accounts import services
from accounts.models import User

MY_DATA = "/compte/mes-donnees/"
DELETE = "/compte/mes-donnees/supprimer/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def passwordless(citizen) -> User:
    citizen.set_unusable_password()
    citizen.save()
    return citizen


def browser(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(
    ("language", "word", "other"), [("fr", "SUPPRIMER", "DELETE"), ("en", "DELETE", "SUPPRIMER")]
)
def test_the_form_asks_for_the_word_of_the_pages_language(passwordless, language, word, other):
    html = browser(passwordless, language).get(MY_DATA).content.decode()
    assert 'name="confirmation"' in html
    label = {"fr": f"Tapez {word} pour confirmer", "en": f"Type {word} to confirm"}[language]
    assert label in html
    hint = {
        "fr": f"Le mot {word}, en majuscules ou en minuscules",
        "en": f"The word {word}, in capitals or not",
    }[language]
    assert hint in html
    assert other not in html


@pytest.mark.parametrize(
    ("language", "typed", "refused"),
    [
        ("fr", "  supprimer ", "DELETE"),
        ("fr", "SUPPRIMER", "supprime"),
        ("en", " delete", "SUPPRIMER"),
        ("en", "Delete ", "supprimer"),
    ],
)
def test_the_word_of_another_language_deletes_nothing_and_the_right_one_deletes(
    passwordless, language, typed, refused
):
    client = browser(passwordless, language)
    response = client.post(DELETE, {"confirmation": refused})
    assert response.status_code == 400
    expected = {"fr": "Tapez SUPPRIMER pour confirmer la suppression.", "en": "Type DELETE to"}
    assert expected[language] in response.content.decode()
    assert User.objects.filter(pk=passwordless.pk).exists()

    assert client.post(DELETE, {"confirmation": typed}).status_code == 302
    assert not User.objects.filter(pk=passwordless.pk).exists()


def test_an_oversized_word_is_refused_with_a_clear_error(passwordless):
    response = browser(passwordless, "fr").post(DELETE, {"confirmation": "SUPPRIMER" * 10})
    assert response.status_code == 400
    assert "au plus 40 caractères" in response.content.decode()
    assert User.objects.filter(pk=passwordless.pk).exists()


def test_the_service_compares_with_the_active_language(passwordless):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.delete_own_account(user=passwordless, confirmation="SUPPRIMER")
    assert "Type DELETE to confirm" in str(refused.value)
    with translation.override("fr"):
        services.delete_own_account(user=passwordless, confirmation="supprimer")
    assert not User.objects.filter(pk=passwordless.pk).exists()


def test_the_service_refuses_the_word_hidden_in_an_oversized_text(passwordless):
    """Called without the form, the service is not fooled by the word followed by 31 spaces
    and anything: longer than the limit, refused, and nothing deleted."""
    padded = "SUPPRIMER" + " " * 31 + "et tout le reste"
    with translation.override("fr"):  # the word of the active language, whatever ran before
        assert not services.is_delete_confirmation(padded)
        assert not services.is_delete_confirmation("SUPPRIMER" + " " * 32)
        assert services.is_delete_confirmation("SUPPRIMER" + " " * 31)  # 40: still the limit
    with translation.override("fr"), pytest.raises(ValidationError):
        services.delete_own_account(user=passwordless, confirmation=padded)
    assert User.objects.filter(pk=passwordless.pk).exists()
