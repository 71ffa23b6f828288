"""Real documents with known text, made by the libraries people's own tools resemble: PDF
(reportlab), Word, Excel and PowerPoint (python-docx, openpyxl, python-pptx), OpenDocument (a
zip with its XML, as LibreOffice writes it)."""

import io
import zipfile

import docx
import openpyxl
import pptx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf_with_text(*pages: str, lines_per_page: int = 1) -> bytes:
    """A PDF whose page n holds `pages[n]` (repeated on `lines_per_page` lines)."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        lines = page.beginText(40, 800)
        lines.setFont("Helvetica", 9)  # WinAnsi: every French letter
        for _ in range(lines_per_page):
            lines.textLine(text)
        page.drawText(lines)
        page.showPage()
    page.save()
    return out.getvalue()


def docx_with_text(paragraph: str, cell: str = "") -> bytes:
    document = docx.Document()
    document.add_heading("Compte rendu", level=1)
    document.add_paragraph(paragraph)
    if cell:
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "Poste"
        table.cell(1, 1).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_with_text(cell: str) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Ligne", "Montant"])
    sheet.append([cell, 1200.5])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pptx_with_text(title: str, body: str) -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = title
    slide.placeholders[1].text = body
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


_ODF_MIME = {
    "text": "application/vnd.oasis.opendocument.text",
    "spreadsheet": "application/vnd.oasis.opendocument.spreadsheet",
}


def odf_with_xml(kind: str, body: str, doctype: str = "") -> bytes:
    """An OpenDocument file whose office:body holds `body` (XML), as LibreOffice lays it out:
    the uncompressed `mimetype` member first, which is what tells its type."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"{doctype}"
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' office:version="1.3">'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", _ODF_MIME[kind], compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            ' manifest:version="1.3"><manifest:file-entry manifest:full-path="/"'
            f' manifest:media-type="{_ODF_MIME[kind]}"/></manifest:manifest>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return out.getvalue()


def with_bomb(document: bytes, megabytes: int = 40) -> bytes:
    """The same office document plus a member that unzips to `megabytes` of zeros (a few KB
    stored): a zip bomb in miniature, still sniffed as its type (the first members lead)."""
    out = io.BytesIO(document)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.xml", b"\0" * (megabytes * 1024 * 1024))
    return out.getvalue()
