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


def test_an_english_browser_still_gets_french_until_english_is_chosen(db):
    client = Client(headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="fr">' in client.get("/compte/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/compte/login/").content.decode()


def test_the_english_catalogue_translates_every_string_and_is_compiled():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
    source = (folder / "django.po").read_text()
    entries = source.split("\n\n")[1:]  # the first entry is the header
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') or "#, fuzzy" in e]
    assert not untranslated, "\n\n".join(untranslated)
    assert (folder / "django.mo").stat().st_mtime >= (folder / "django.po").stat().st_mtime - 1
