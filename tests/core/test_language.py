"""French by default; English on request, before and after signing in."""

import os
import re
import shutil
from pathlib import Path

from django.core.management import call_command
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
    folder = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
    source = (folder / "django.po").read_text()
    entries = source.split("\n\n")[1:]  # the first entry is the header
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') or "#, fuzzy" in e]
    assert not untranslated, "\n\n".join(untranslated)
    assert (folder / "django.mo").stat().st_mtime >= (folder / "django.po").stat().st_mtime - 1


# What `make messages` leaves out of the catalogues (top-level folders).
NOT_EXTRACTED = {".venv", "var", "tests", "bench", "locale"}
PO_FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')


def read_po(path: Path) -> dict[tuple, tuple[list[str], bool]]:
    """(msgctxt, msgid, msgid_plural) -> (msgstr values, fuzzy), for gettext's own output.
    Strings stay escaped as gettext wrote them; obsolete (#~) entries and the header are skipped."""
    entries = {}
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8")):
        fields, flags, last = {}, set(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif match := PO_FIELD.match(line):
                last = match[1]
                fields[last] = match[2]
            elif line.startswith('"') and last:
                fields[last] += line.strip()[1:-1]
        if fields.get("msgid", "") or "msgctxt" in fields:
            key = (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"))
            entries[key] = (
                [v for k, v in fields.items() if k.startswith("msgstr")],
                "fuzzy" in flags,
            )
    return entries


def test_every_string_in_the_code_is_in_both_catalogues_and_translated_in_english(
    tmp_path, monkeypatch, settings
):
    """A string added to the code without re-running `make messages` would show in French to
    English users: extract what the code holds now (on a copy, so the tree is never written)."""
    root = Path(__file__).resolve().parents[2]
    copy = tmp_path / "src"
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".")
            and name != "__pycache__"
            and not (here == root and name in NOT_EXTRACTED)
        ]
        for name in files:
            if name.endswith((".py", ".html", ".txt")):
                target = copy / (here / name).relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, target)
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["en"],
        keep_pot=True,
        ignore_patterns=[f"{name}/*" for name in NOT_EXTRACTED],
        verbosity=0,
    )
    in_code = read_po(copy / "locale" / "django.pot")
    english = read_po(root / "locale" / "en" / "LC_MESSAGES" / "django.po")
    french = read_po(root / "locale" / "fr" / "LC_MESSAGES" / "django.po")

    problems = []
    for key in sorted(in_code, key=lambda k: (k[1], k[0] or "", k[2] or "")):
        context, msgid, plural = key
        label = (f"[{context}] " if context else "") + msgid + (f" / {plural}" if plural else "")
        translations, fuzzy = english.get(key, ([], False))
        if key not in english:
            problems.append(f"missing from locale/en: {label}")
        elif fuzzy or not all(translations):
            problems.append(f"untranslated or fuzzy in locale/en: {label}")
        if key not in french:
            problems.append(f"missing from locale/fr: {label}")
    assert not problems, (
        f"{len(problems)} string(s) not in the catalogues; run `make messages`, translate "
        "locale/en/LC_MESSAGES/django.po and compile:\n" + "\n".join(problems)
    )
