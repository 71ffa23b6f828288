"""How long extracting the text of shared files takes (no database): `python -m bench
--file-texts-only` (run by `make bench`) rewrites the File text extraction section of
docs/benchmarks.md; `python -m bench.file_texts` does the same.

A 50-page PDF of dense French text (reportlab, about 3,900 characters a page), a Word document,
a spreadsheet and an OpenDocument text of similar size, and two hostile files (a Word cell
spanning a million columns, an OpenDocument text of 40 MB), each extracted REPEAT times by
files.extraction with the default limits: the median time, the Python heap's peak during one
more run (tracemalloc), and the characters kept; then, once, what the hostile files cost the
way they were read before (python-docx's `row.cells`, a whole-document parse).
"""

import io
import os
import random
import statistics
import time
import tracemalloc
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import docx  # noqa: E402
import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from files import extraction  # noqa: E402

REPEAT = 5
TITLE = "File text extraction"
LINE = "Le développement économique du territoire passe par la zône d'activité n°{n} et ses "
WORDS = ["friche", "atelier", "zône", "bail", "coworking", "pépinière", "amorçage", "subvention"]


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


def wide_cell(columns: int = 10**6) -> bytes:
    """A 36 KB Word document whose one cell spans `columns` columns (python-docx's `row.cells`
    would hand it back that many times)."""
    document = docx.Document()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Cellule fusionnée"
    document.tables[0].rows[0].cells[0]._tc.grid_span = columns
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


def opendocument(paragraphs: int = 2000, words: int = 14) -> bytes:
    from tests.files.documents import odf_with_xml

    draw = random.Random(paragraphs)
    body = "".join(
        f"<text:p>{' '.join(draw.choices(WORDS, k=words))}</text:p>" for _ in range(paragraphs)
    )
    return odf_with_xml("text", f"<office:text>{body}</office:text>")


@dataclass(frozen=True)
class Row:
    name: str
    size: int
    unzipped: int | None
    median: float
    peak: int
    chars: int
    truncated: bool


def _unzipped(data: bytes) -> int | None:
    try:
        return sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:  # a PDF
        return None


def _peak(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(name: str, data: bytes, mime_type: str) -> Row:
    times, found = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        found = extraction.extract(data, mime_type)
        times.append(time.perf_counter() - started)
    peak = _peak(lambda: extraction.extract(data, mime_type))
    return Row(
        name, len(data), _unzipped(data), statistics.median(times), peak, len(found.text),
        found.truncated,
    )  # fmt: skip


@dataclass(frozen=True)
class Before:
    """What the extraction did before, on a hostile file, measured once."""

    what: str
    seconds: float
    peak: int | None  # not measured where time is the problem (tracemalloc slows it down)


def before(wide: bytes, large: bytes) -> list[Before]:
    from defusedxml import ElementTree

    def cells() -> None:
        table = docx.Document(io.BytesIO(wide)).tables[0]
        for row in table.rows:  # the old loop: a cell once per grid column it spans
            seen: list[str] = []
            for cell in row.cells:
                text = "\n".join(p.text for p in cell.paragraphs)
                if text not in seen:
                    seen.append(text)

    def whole() -> None:
        content = zipfile.ZipFile(io.BytesIO(large)).read("content.xml")
        ElementTree.fromstring(content, forbid_dtd=True)

    found = []
    for what, work, heap in (
        ("the Word cell spanning 1,000,000 columns, read through `row.cells`", cells, False),
        ("the 40 MB OpenDocument parsed whole (defusedxml.ElementTree.fromstring)", whole, True),
    ):
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        found.append(Before(what, seconds, _peak(work) if heap else None))
    return found


def run() -> tuple[list[Row], list[Before]]:
    wide, large = wide_cell(), opendocument(400_000, 12)
    rows = [
        measure("PDF, 50 pages", pdf(), extraction.PDF),
        measure("Word, 2,000 paragraphs", word(), extraction.DOCX),
        measure("Excel, 5,000 rows x 4", sheet(), extraction.XLSX),
        measure("OpenDocument text, 1,500 paragraphs", opendocument(1500), extraction.ODT),
        measure("Word, one cell spanning 1,000,000 columns", wide, extraction.DOCX),
        measure("OpenDocument text, 40 MB of XML (400,000 paragraphs)", large, extraction.ODT),
    ]
    return rows, before(wide, large)


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"


def section(rows: list[Row], earlier: list[Before], facts: dict) -> list[str]:
    cpu, load = facts["cpu"], facts["load"]
    lines = [
        f"## {TITLE}",
        "",
        "What `files.extraction.extract` costs a background worker for one file, with the "
        "default limits (`FILES_TEXT_MAX_*`: "
        f"{settings.FILES_TEXT_MAX_CHARS:,} characters, {settings.FILES_TEXT_MAX_PAGES} pages, "
        f"{settings.FILES_TEXT_MAX_ROWS:,} rows); no database (bench/file_texts.py, "
        "`python -m bench --file-texts-only`). *Median* of "
        f"{REPEAT} runs; *peak heap* is the Python heap's peak during one more run "
        "(tracemalloc: lxml's and PDFium's own allocations are not counted); *unzipped* is what "
        "an office document's members unzip to.",
        "",
        f"Measured on {facts['date']} in {facts['run_seconds']:.0f} s on {facts['cpus']} CPUs "
        f"({cpu}); load average {load[0]:.2f} at the start.",
        "",
        "| document | size | unzipped | extraction (median) | peak heap | text kept |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines.extend(
        f"| {row.name} | {_mib(row.size)} | {'' if row.unzipped is None else _mib(row.unzipped)} | "
        f"{row.median * 1000:,.0f} ms | {_mib(row.peak)} | "
        f"{row.chars:,} chars{' (cut at a limit)' if row.truncated else ''} |"
        for row in rows
    )
    lines += [
        "",
        "A Word cell is read once whatever it spans, and at most "
        f"{extraction.DOCX_MAX_ITEMS:,} paragraphs and cells are read in all. An OpenDocument "
        "file's XML is parsed as it unzips (SAX through defusedxml, no tree), the paragraph "
        "being read the only text held, and the parse stops at the character limit: the 40 MB "
        f"file costs what its first {settings.FILES_TEXT_MAX_CHARS:,} characters cost. What "
        "the extraction did before, on the same hostile files (measured once, same run):",
        "",
        "| before | seconds | peak heap |",
        "|---|---:|---:|",
    ]
    lines.extend(
        f"| {b.what} | {b.seconds:.1f} | {'' if b.peak is None else _mib(b.peak)} |"
        for b in earlier
    )
    lines.append("")
    return lines


def main() -> int:
    from bench import report

    started = time.perf_counter()
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": report._cpu_model(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
    }
    print("Text extraction of files…", flush=True)
    rows, earlier = run()
    facts["run_seconds"] = time.perf_counter() - started
    lines = section(rows, earlier, facts)
    print("\n".join(lines))
    path = report.write_section(TITLE, lines)
    print(f"Done in {facts['run_seconds']:.0f} s: the {TITLE} section of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
