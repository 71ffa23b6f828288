"""French by default; English on request, before and after signing in."""

from django.test import Client


def test_pages_are_french_by_default(db):
    assert '<html lang="fr">' in Client().get("/compte/login/").content.decode()


def test_a_visitor_can_switch_to_english_before_signing_in(db):
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/compte/login/"})
    assert response.status_code == 302
    page = client.get("/compte/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Sign In" in page
