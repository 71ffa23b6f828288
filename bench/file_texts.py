"""`python -m bench.file_texts`: how long extracting the text of shared files takes (no database).

A 50-page PDF of dense French text (reportlab, about 3,900 characters a page), a Word document
and a spreadsheet of similar size, each extracted REPEAT times by files.extraction with the
default limits; prints the median and the characters kept.
"""

import io
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import docx  # noqa: E402
import openpyxl  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from files import extraction  # noqa: E402

REPEAT = 5
LINE = "Le développement économique du territoire passe par la zône d'activité n°{n} et ses "


def pdf(pages: int = 50, lines: int = 45) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for p in range(pages):
        text = page.beginText(30, 810)
        text.setFont("Helvetica", 7)
        for n in range(lines):
            text.textLine(LINE.format(n=p * lines + n))
        page.drawText(text)
        page.showPage()
    page.save()
    return out.getvalue()


def word(paragraphs: int = 2000) -> bytes:
    document = docx.Document()
    for n in range(paragraphs):
        document.add_paragraph(LINE.format(n=n))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sheet(rows: int = 5000) -> bytes:
    workbook = openpyxl.Workbook()
    for n in range(rows):
        workbook.active.append([f"Entreprise {n}", "pépinière", n * 12.5, "Zône nord"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def measure(name: str, data: bytes, mime_type: str) -> str:
    times, found = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        found = extraction.extract(data, mime_type)
        times.append(time.perf_counter() - started)
    return (
        f"| {name} | {len(data) / 1024:.0f} KiB | {statistics.median(times) * 1000:.0f} ms | "
        f"{len(found.text):,} chars{' (cut)' if found.truncated else ''} |"
    )


def main() -> None:
    print("| document | size | extraction (median) | text kept |")
    print("|---|---|---|---|")
    for row in (
        measure("PDF, 50 pages", pdf(), extraction.PDF),
        measure("Word, 2,000 paragraphs", word(), extraction.DOCX),
        measure("Excel, 5,000 rows x 4", sheet(), extraction.XLSX),
    ):
        print(row)


if __name__ == "__main__":
    main()
