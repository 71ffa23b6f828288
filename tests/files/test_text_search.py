"""Files are found by the words inside them (PDF, Word, Excel, PowerPoint, OpenDocument), by
the people who may see them and by nobody else; a new version's text replaces the old one; a
malformed file or a zip bomb is stored without text, and the limits hold."""

import io
import json
import logging

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from accounts.models import User
from files import extraction, services, texts
from files.models import FileText
from files.tasks import extract_text
from search import selectors
from tests.factories import GroupFactory, MembershipFactory
from tests.files.conftest import upload
from tests.files.documents import (
    docx_with_text,
    odf_with_xml,
    pdf_with_text,
    pptx_with_text,
    with_bomb,
    xlsx_with_text,
)

SECRET = "zqrapportconfidentiel"  # one token, in the PDF only


@pytest.fixture
def cast(make_user, citizen):
    """Le Garage, a private group open to start-ups: Léa (staff) owns it, Élise (elected) and
    Ernest (a start-up's member) belong to it. Omar (staff), Oscar (another start-up) and a
    citizen do not."""
    lea = make_user(display_name="Léa Propriétaire")
    garage = GroupFactory(
        name="Le Garage", slug="le-garage", created_by=lea, visibility="private",
        open_to_external=True,
    )  # fmt: skip
    elise = make_user(User.Kind.ELECTED, display_name="Élise Élue")
    ernest = make_user(User.Kind.EXTERNAL, display_name="Ernest Externe")
    MembershipFactory(group=garage, user=elise)
    MembershipFactory(group=garage, user=ernest)
    people = {
        "lea": lea,
        "elise": elise,
        "ernest": ernest,
        "omar": make_user(display_name="Omar Dehors"),
        "oscar": make_user(User.Kind.EXTERNAL, display_name="Oscar Dehors"),
        "citizen": citizen,
    }
    return type("Cast", (), {**people, "people": people, "garage": garage})


MEMBERS = ("lea", "elise", "ernest")
OUTSIDERS = ("omar", "oscar", "citizen")


@pytest.fixture
def share(django_capture_on_commit_callbacks):
    """share(owner, group, name, data): a file uploaded and shared to the group, with what
    happens after commit (its preview and its text, background jobs run inline here)."""

    def make(owner, group, name, data, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return services.create_file(
                owner=owner, incoming=upload(name, data), group=group, **fields
            )

    return make


def found_files(user, text: str) -> list[int]:
    outcome = selectors.search(user, text, selectors.Filters(kind="files"))
    return [r.id for s in outcome.sections for r in s.results]


def report_pdf() -> bytes:
    return pdf_with_text(
        "Rapport annuel de l'agence",
        f"Le développement économique du territoire progresse. {SECRET}",
    )


def test_a_pdf_is_found_by_a_word_inside_it_typed_without_accents(cast, share):
    file = share(cast.lea, cast.garage, "rapport-2026.pdf", report_pdf())
    assert FileText.objects.get(version=file.current_version).status == "extracted"
    for name in MEMBERS:
        assert found_files(cast.people[name], "developpement") == [file.pk], name
        assert found_files(cast.people[name], "économique territoire") == [file.pk], name
    for name in OUTSIDERS:
        assert found_files(cast.people[name], "developpement") == [], name


@pytest.mark.parametrize("viewer", [*MEMBERS, *OUTSIDERS, "anonymous"])
def test_the_api_and_the_page_show_the_text_only_to_those_who_may_see_the_file(
    cast, share, client_for, viewer
):
    file = share(cast.lea, cast.garage, "rapport-2026.pdf", report_pdf())
    client = client_for(cast.people.get(viewer))
    api = client.get("/api/v1/search", {"q": "developpement", "kind": "files"})
    page = client.get(reverse("search:search"), {"q": "developpement"})
    if viewer in MEMBERS:
        (result,) = api.json()["sections"][0]["results"]
        assert (result["kind"], result["id"]) == ("file", file.pk)
        # The snippet comes from inside the document, the matched word marked.
        assert "<mark>développement</mark>" in result["snippet"]
        assert SECRET in result["snippet"]
        html = page.content.decode()
        assert page.status_code == 200
        assert "<mark>développement</mark>" in html
        assert "rapport-2026.pdf" in html
    else:
        everything = json.dumps(api.json(), ensure_ascii=False) + page.content.decode()
        assert api.status_code == (401 if viewer == "anonymous" else 200)
        assert page.status_code in (200, 302, 403)
        assert SECRET not in everything
        assert "rapport-2026" not in everything
        assert "du territoire" not in everything


def test_a_word_document_and_a_spreadsheet_are_found_by_a_word_inside(cast, share):
    letter = share(
        cast.lea,
        cast.garage,
        "courrier.docx",
        docx_with_text("Demande de subvention régionale", cell="pépinière d'entreprises"),
    )
    budget = share(cast.lea, cast.garage, "budget.xlsx", xlsx_with_text("Loyer de l'incubateur"))
    slides = share(cast.lea, cast.garage, "pitch.pptx", pptx_with_text("Levée", "amorçage"))
    ernest = cast.ernest
    assert found_files(ernest, "subvention") == [letter.pk]
    assert found_files(ernest, "pepiniere") == [letter.pk]  # in a table's cell
    assert found_files(ernest, "incubateur") == [budget.pk]
    assert found_files(ernest, "budget incubateur") == [budget.pk]  # name and content together
    assert found_files(ernest, "amorcage") == [slides.pk]
    assert found_files(cast.omar, "subvention incubateur amorcage") == []


def test_a_new_version_replaces_the_text_of_the_old_one(
    cast, share, django_capture_on_commit_callbacks
):
    file = share(cast.lea, cast.garage, "note.pdf", pdf_with_text("Projet de pépinière"))
    assert found_files(cast.elise, "pepiniere") == [file.pk]
    with django_capture_on_commit_callbacks(execute=True):
        version = services.add_version(
            actor=cast.elise,
            file=file,
            incoming=upload("note.docx", docx_with_text("Projet de tiers-lieu numérique")),
        )
    assert found_files(cast.elise, "pepiniere") == []
    assert found_files(cast.elise, "numerique") == [file.pk]
    assert list(FileText.objects.values_list("version", flat=True)) == [version.pk]


def test_the_old_text_stops_matching_as_soon_as_a_new_version_is_current(cast, share):
    """Before the new version's text is read (a worker's job), the old one no longer counts."""
    file = share(
        cast.lea, cast.garage, "note.pdf", pdf_with_text("Projet de pépinière"), description="Étude"
    )
    services.add_version(  # its background jobs have not run
        actor=cast.lea, file=file, incoming=upload("note.pdf", pdf_with_text("Autre projet"))
    )
    assert found_files(cast.lea, "pepiniere") == []
    assert found_files(cast.lea, "etude") == [file.pk]


def test_extraction_is_idempotent_and_skips_superseded_versions(cast, share, monkeypatch):
    file = share(cast.lea, cast.garage, "note.pdf", pdf_with_text("Projet de pépinière"))
    first = file.current_version
    row = FileText.objects.get()
    real_extract, extracted = extraction.extract, []

    def counting_extract(data, mime_type, limits=None):
        extracted.append(mime_type)
        return real_extract(data, mime_type, limits)

    monkeypatch.setattr(extraction, "extract", counting_extract)
    extract_text.delay(first.pk)  # a second delivery of the same job
    assert extracted == []  # the file was not read again
    assert list(FileText.objects.values_list("pk", "text")) == [(row.pk, row.text)]
    services.add_version(
        actor=cast.lea, file=file, incoming=upload("v2.pdf", pdf_with_text("Version deux"))
    )
    assert texts.index_version(first.pk) is None  # late job of a superseded version
    assert found_files(cast.lea, "pepiniere") == []


def test_a_storage_failure_is_retried_later_and_never_taken_for_a_file_without_text(
    cast, share, monkeypatch
):
    file = share(cast.lea, cast.garage, "plan.pdf", pdf_with_text("Zone artisanale"))
    FileText.objects.all().delete()
    store = storages["files"]
    real_open, failures = store.open, []

    def flaky_open(name, mode="rb"):
        if not failures:
            failures.append(name)
            raise ConnectionResetError("storage unreachable")
        return real_open(name, mode)

    monkeypatch.setattr(store, "open", flaky_open)
    with pytest.raises(ConnectionResetError):
        texts.index_version(file.current_version_id)
    assert not FileText.objects.exists()  # no verdict: the job runs again
    # …which Celery does, with growing delays, for such errors.
    assert issubclass(ConnectionResetError, extract_text.autoretry_for)
    assert extract_text.retry_backoff
    assert extract_text.max_retries
    texts.index_version(file.current_version_id)
    assert FileText.objects.get().status == "extracted"
    assert found_files(cast.lea, "artisanale") == [file.pk]


def test_a_corrupt_pdf_is_stored_without_text_and_logged(cast, share, caplog):
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + b"\x8f garbage " * 200
    with caplog.at_level(logging.WARNING, logger="files.texts"):
        file = share(cast.lea, cast.garage, "scan.pdf", broken, description="Relevé")
    assert file.current_version.mime_type == "application/pdf"
    row = FileText.objects.get(version=file.current_version)
    assert (row.status, row.text) == ("unreadable", "")
    assert any(
        r.levelno == logging.WARNING and f"file version {file.current_version_id}" in r.message
        for r in caplog.records
    )
    assert found_files(cast.lea, "releve") == [file.pk]  # found by its description still


def test_a_zip_bomb_disguised_as_a_word_document_is_stored_without_text(cast, share, caplog):
    bomb = with_bomb(docx_with_text("Texte piégé explosif"), megabytes=40)
    assert len(bomb) < 200_000
    with caplog.at_level(logging.WARNING, logger="files.texts"):
        file = share(cast.lea, cast.garage, "piege.docx", bomb)
    row = FileText.objects.get(version=file.current_version)
    assert (row.status, row.text) == ("unreadable", "")
    assert any("unzips" in r.message for r in caplog.records)
    assert found_files(cast.lea, "explosif") == []


def test_the_extracted_text_stops_at_the_character_and_page_limits(cast, share, settings):
    settings.FILES_TEXT_MAX_CHARS = 1_000
    line = "Diagnostic du commerce de proximité en centre-bourg."
    file = share(
        cast.lea,
        cast.garage,
        "long.pdf",
        pdf_with_text(line, line, "Annexe zqtoutdernier", lines_per_page=20),
    )
    row = FileText.objects.get(version=file.current_version)
    assert row.truncated
    assert 900 < len(row.text) <= 1_000
    assert found_files(cast.lea, "proximite") == [file.pk]
    assert found_files(cast.lea, "zqtoutdernier") == []

    settings.FILES_TEXT_MAX_CHARS, settings.FILES_TEXT_MAX_PAGES = 200_000, 2
    file = share(cast.lea, cast.garage, "pages.pdf", pdf_with_text("un", "deux", "zqpagetrois"))
    assert FileText.objects.get(version=file.current_version).truncated
    assert found_files(cast.lea, "zqpagetrois") == []


def test_a_file_over_the_input_limit_is_kept_without_text(cast, share, settings):
    settings.FILES_TEXT_MAX_BYTES = 1_000
    file = share(cast.lea, cast.garage, "gros.pdf", pdf_with_text("Schéma directeur " * 50))
    row = FileText.objects.get(version=file.current_version)
    assert (row.status, row.text) == ("too_large", "")
    assert found_files(cast.lea, "directeur") == []


def test_images_get_no_text_job(cast, share):
    from tests.files.conftest import png_bytes

    share(cast.lea, cast.garage, "plan.png", png_bytes())
    assert not FileText.objects.exists()


# --- The extraction itself (no database) ------------------------------------------------------


def test_opendocument_text_and_spreadsheets_are_read_without_expanding_repeats():
    odt = odf_with_xml(
        "text",
        "<office:text><text:h>Titre</text:h><text:p>Friche<text:s/>industrielle"
        "<text:span> réhabilitée</text:span></text:p></office:text>",
    )
    assert extraction.extract(odt, extraction.ODT).text == "Titre\nFriche industrielle réhabilitée"
    ods = odf_with_xml(
        "spreadsheet",
        '<office:spreadsheet><table:table><table:table-row table:number-rows-repeated="1048576">'
        "<table:table-cell><text:p>Loyer</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet>",
    )
    assert extraction.extract(ods, extraction.ODS).text == "Loyer"


def test_a_large_opendocument_is_read_as_it_streams_and_stops_at_the_character_limit():
    """Its XML is never held whole: the parse stops at the limit, before the (broken) end."""
    import random
    import tracemalloc

    words = random.Random(3).choices(["friche", "atelier", "zône", "bail", "coworking"], k=400)
    paragraph = f"<text:p>{' '.join(words)}</text:p>"  # random enough not to pass for a bomb
    body = "<office:text><text:p>Début du dossier</text:p>" + paragraph * 12_000
    odt = odf_with_xml("text", body + "<text:p>zqfin <broken></office:text>")
    limits = extraction.Limits(
        max_bytes=10**8, max_unzipped=10**8, max_pages=5, max_sheets=5, max_rows=5,
        max_chars=10_000,
    )  # fmt: skip
    tracemalloc.start()
    try:
        found = extraction.extract(odt, extraction.ODT, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(paragraph) * 12_000 > 30 * 1024 * 1024
    assert found.truncated
    assert found.text.startswith(f"Début du dossier\n{' '.join(words[:5])} ")
    assert 9_000 < len(found.text) <= 10_000
    assert peak < 2 * 1024 * 1024


def test_one_huge_opendocument_paragraph_is_cut_not_held_whole():
    spans = "".join(f"<text:span>mot{n}</text:span><text:s/>" for n in range(200_000))
    odt = odf_with_xml("text", f"<office:text><text:p>Début {spans}</text:p></office:text>")
    limits = extraction.Limits(
        max_bytes=10**8, max_unzipped=10**8, max_pages=5, max_sheets=5, max_rows=5,
        max_chars=10**7,
    )  # fmt: skip
    found = extraction.extract(odt, extraction.ODT, limits)
    assert found.truncated
    assert found.text.startswith("Début mot0 mot1 mot2")
    assert "mot199999" not in found.text


def test_xml_entity_bombs_in_opendocument_are_refused():
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    # The DOCTYPE goes right after the XML declaration.
    bomb = odf_with_xml("text", "<office:text><text:p>&lol3;</text:p></office:text>", laughs)
    with pytest.raises(extraction.Unreadable):
        extraction.extract(bomb, extraction.ODT)


def _docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_cell_spanning_a_million_columns_is_read_once_and_at_once():
    import time

    import docx

    document = docx.Document()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Friche zqfusionnée"
    document.tables[0].rows[0].cells[0]._tc.grid_span = 10**6  # 1 column in the file
    data = _docx_bytes(document)
    assert len(data) < 50_000
    started = time.perf_counter()
    found = extraction.extract(data, extraction.DOCX)
    assert time.perf_counter() - started < 1
    assert found.text == "Friche zqfusionnée"


def test_a_table_nested_in_a_merged_word_cell_is_read_once():
    import docx

    document = docx.Document()
    grid = document.add_table(rows=4, cols=4)
    merged = grid.cell(0, 0).merge(grid.cell(3, 3))  # 4 columns wide, 4 rows tall
    merged.text = "Zone"
    merged.add_table(rows=1, cols=1).cell(0, 0).text = "zqimbriquée"
    found = extraction.extract(_docx_bytes(document), extraction.DOCX)
    assert found.text.split("\n") == ["Zone", "zqimbriquée"]


def test_the_cells_and_paragraphs_read_in_a_word_document_are_bounded(monkeypatch):
    import docx

    monkeypatch.setattr(extraction, "DOCX_MAX_ITEMS", 50)
    document = docx.Document()
    document.add_table(rows=30, cols=3)  # 90 empty cells, no text to fill the limit
    document.add_paragraph("zqaprèslatable")
    found = extraction.extract(_docx_bytes(document), extraction.DOCX)
    assert found.truncated
    assert "zqaprèslatable" not in found.text


def test_the_character_limit_cuts_between_words():
    limits = extraction.Limits(
        max_bytes=10**6, max_unzipped=10**6, max_pages=5, max_sheets=5, max_rows=5, max_chars=30
    )
    found = extraction.extract("Un tiers-lieu numérique au centre".encode(), "text/plain", limits)
    assert found.truncated
    assert found.text == "Un tiers-lieu numérique au"


def test_spreadsheet_rows_and_sheets_are_bounded():
    limits = extraction.Limits(
        max_bytes=10**6, max_unzipped=10**7, max_pages=5, max_sheets=1, max_rows=3, max_chars=10**4
    )
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    for n in range(10):
        workbook.active.append([f"ligne{n}"])
    workbook.create_sheet("Seconde").append(["cachée"])
    out = io.BytesIO()
    workbook.save(out)
    found = extraction.extract(out.getvalue(), extraction.XLSX, limits)
    assert found.truncated
    assert found.text.split("\n") == ["Sheet", "ligne0", "ligne1", "ligne2"]


def test_files_uploaded_before_text_search_are_indexed_by_the_command(cast):
    from django.core.management import call_command

    old = services.create_file(  # its jobs never ran (no commit in a test)
        owner=cast.lea, incoming=upload("ancien.pdf", pdf_with_text("Friche portuaire")),
        group=cast.garage,
    )  # fmt: skip
    assert found_files(cast.lea, "portuaire") == []
    call_command("index_file_texts", stdout=io.StringIO())
    assert found_files(cast.lea, "portuaire") == [old.pk]
    out = io.StringIO()
    call_command("index_file_texts", stdout=out)
    assert out.getvalue().startswith("0 ")
