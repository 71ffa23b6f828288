"""The text inside PDFs, office documents and plain text files, for search: pure functions from
bytes to text, each bounded (input size, unzipped size, pages or slides, sheets and rows,
characters) and turning any malformed file into `Unreadable`, never into a crash."""

import io
import re
import threading
import unicodedata
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.handler import ContentHandler, feature_namespaces

import defusedxml.expatreader
import pypdfium2
from django.conf import settings

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
PLAIN = ("text/plain", "text/csv")

# A zip holding more members than this is no document anybody wrote.
ZIP_MAX_MEMBERS = 10_000
# A member that unzips far bigger than it is stored is a bomb, not a document: real office XML
# compresses 5 to 50 times. Small members are exempt (a short, repetitive file is fine).
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM = 4 * 1024 * 1024
SHEET_MAX_COLUMNS = 200
NESTING_MAX = 5
# Characters of one OpenDocument paragraph (notes included) held while it is read.
ODF_PARAGRAPH_MAX = 1_000_000
# Paragraphs and table cells read in a Word document, empty ones included (a few bytes each,
# about 20 µs each to read): 5,000 rows of 20 cells, 2 s at most.
DOCX_MAX_ITEMS = 100_000

# PDFium may not be called from two threads at once, not even on different documents (it
# crashes the process): where jobs run inline, requests' threads take turns (previews too).
PDFIUM_LOCK = threading.RLock()


class Unreadable(Exception):
    """The file is malformed, encrypted, over a limit, or a zip bomb: it gets no text."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_unzipped: int
    max_pages: int
    max_sheets: int
    max_rows: int
    max_chars: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.FILES_TEXT_MAX_BYTES,
            max_unzipped=settings.FILES_TEXT_MAX_UNZIPPED,
            max_pages=settings.FILES_TEXT_MAX_PAGES,
            max_sheets=settings.FILES_TEXT_MAX_SHEETS,
            max_rows=settings.FILES_TEXT_MAX_ROWS,
            max_chars=settings.FILES_TEXT_MAX_CHARS,
        )


@dataclass(frozen=True)
class Extracted:
    text: str
    truncated: bool  # a limit stopped the extraction before the end of the document


# --- Collecting text within the character limit -----------------------------------------------

# Control characters (NUL cannot even be stored by PostgreSQL), lone surrogates, and the
# private-use markers search.backend uses for highlights.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ue000\ue001]")
_SPACES = re.compile(r"[^\S\n]+")


def clean(text: str) -> str:
    """One space between words, no blank line, no control character."""
    text = unicodedata.normalize("NFC", _UNWANTED.sub(" ", text.replace("\r\n", "\n")))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class _Full(Exception):
    pass


class _Text:
    def __init__(self, max_chars: int):
        self.max_chars, self.size = max_chars, 0
        self.parts: list[str] = []
        self.truncated = False

    def add(self, piece: str | None) -> None:
        piece = clean(piece or "")
        if not piece:
            return
        room = self.max_chars - self.size - (1 if self.parts else 0)  # the newline before it
        if len(piece) > room:
            cut = piece[: max(room, 0)]
            if " " in cut and not piece[len(cut) : len(cut) + 1].isspace():
                cut = cut.rsplit(" ", 1)[0]  # no half word at the end
            if cut:
                self.parts.append(cut)
            self.truncated = True
            raise _Full
        self.parts.append(piece)
        self.size += len(piece) + (1 if len(self.parts) > 1 else 0)

    def result(self) -> Extracted:
        return Extracted(text="\n".join(self.parts), truncated=self.truncated)


# --- Formats ----------------------------------------------------------------------------------


def _pdf(data: bytes, out: _Text, limits: Limits) -> None:
    with PDFIUM_LOCK:
        _pdf_pages(data, out, limits)


def _pdf_pages(data: bytes, out: _Text, limits: Limits) -> None:
    pdf = pypdfium2.PdfDocument(data)
    try:
        count = len(pdf)
        for index in range(min(count, limits.max_pages)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    out.add(textpage.get_text_bounded())
                finally:
                    textpage.close()
            finally:
                page.close()
        out.truncated |= count > limits.max_pages
    finally:
        pdf.close()


def check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The archive of an office document, once its members' sizes are known to be sane.

    Declared sizes are enough: Python's zipfile (which python-docx, openpyxl and python-pptx
    read through) never inflates a member past its declared size, and fails on a mismatch."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise Unreadable(f"not a zip archive: {error}") from None
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise Unreadable(f"{len(members)} members in the archive")
    total = sum(member.file_size for member in members)
    if total > limits.max_unzipped:
        raise Unreadable(f"unzips to {total} bytes (limit {limits.max_unzipped})")
    for member in members:
        if member.file_size > ZIP_RATIO_FROM and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise Unreadable(
                f"{member.filename} unzips {member.file_size // max(member.compress_size, 1)} "
                "times its size"
            )
    return archive


def _docx(data: bytes, out: _Text, limits: Limits) -> None:
    import docx
    from docx.table import Table, _Cell

    check_zip(data, limits)
    rows = items = 0

    def visit() -> None:
        nonlocal items
        items += 1
        if items > DOCX_MAX_ITEMS:
            out.truncated = True
            raise _Full

    def table(block: Table, depth: int) -> None:
        nonlocal rows
        for tr in block._tbl.tr_lst:
            rows += 1
            if rows > limits.max_rows:
                out.truncated = True
                raise _Full
            texts, inner = [], []
            # Each <w:tc> once: python-docx's `row.cells` repeats a cell once per column it
            # spans (w:gridSpan, any number) and once per row it is merged into (w:vMerge).
            for tc in tr.tc_lst:
                if tc.vMerge == "continue":  # the merged cell's text came with its first row
                    continue
                visit()
                cell = _Cell(tc, block)
                texts.append("\n".join(p.text for p in cell.paragraphs))
                if depth < NESTING_MAX:
                    inner.extend(cell.tables)
            out.add(" ".join(texts))
            for nested in inner:
                table(nested, depth + 1)

    for block in docx.Document(io.BytesIO(data)).iter_inner_content():
        visit()
        if isinstance(block, Table):
            table(block, 0)
        else:
            out.add(block.text)


def _cell(value) -> str:
    return "" if value is None else str(value)


def _xlsx(data: bytes, out: _Text, limits: Limits) -> None:
    import openpyxl  # parses through defusedxml when it is installed (it is: pyproject)

    check_zip(data, limits)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        out.truncated |= len(sheets) > limits.max_sheets
        for sheet in sheets[: limits.max_sheets]:
            out.add(sheet.title)
            rows = sheet.iter_rows(
                max_row=limits.max_rows + 1, max_col=SHEET_MAX_COLUMNS, values_only=True
            )
            for number, row in enumerate(rows, start=1):
                if number > limits.max_rows:
                    out.truncated = True
                    break
                out.add(" ".join(_cell(v) for v in row if v is not None))
    finally:
        workbook.close()


def _pptx(data: bytes, out: _Text, limits: Limits) -> None:
    import pptx

    check_zip(data, limits)

    def shapes(group, depth: int) -> None:
        for shape in group:
            if hasattr(shape, "shapes") and depth < NESTING_MAX:  # a group of shapes
                shapes(shape.shapes, depth + 1)
            elif shape.has_text_frame:
                out.add(shape.text_frame.text)
            elif shape.has_table:
                for row in list(shape.table.rows)[: limits.max_rows]:
                    out.add(" ".join(cell.text for cell in row.cells))

    slides = list(pptx.Presentation(io.BytesIO(data)).slides)
    out.truncated |= len(slides) > limits.max_pages
    for slide in slides[: limits.max_pages]:
        shapes(slide.shapes, 0)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            out.add(slide.notes_slide.notes_text_frame.text)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_PARAGRAPHS = {(_ODF_TEXT, "p"), (_ODF_TEXT, "h")}
_ODF_BLANKS = {(_ODF_TEXT, "s"), (_ODF_TEXT, "tab"), (_ODF_TEXT, "line-break")}


class _OdfParagraphs(ContentHandler):
    """The paragraphs of an OpenDocument's office:body, read as its XML streams in (SAX, no
    tree): memory holds the paragraph being read, never the document, and the parse stops at
    the character limit (`_Full`). Repeated rows and columns (table:number-rows-repeated) are
    read once, never expanded; spaces, tabs and breaks written as elements become spaces."""

    def __init__(self, out: _Text):
        super().__init__()
        self.out = out
        self.depth = 0
        self.in_body = False
        # The paragraphs being read, outermost first: their text so far, and the text of the
        # paragraphs they hold (a note's), which come after them as their own paragraphs.
        self.open: list[tuple[list[str], list[str]]] = []
        self.held = 0  # characters in `open`

    def startElementNS(self, name, qname, attrs):  # SAX's names
        self.depth += 1
        if self.depth == 2 and name == (_ODF_OFFICE, "body"):
            self.in_body = True
        elif not self.in_body:
            return
        elif name in _ODF_PARAGRAPHS:
            self.open.append(([], []))
        elif name in _ODF_BLANKS and self.open:
            self.characters(" ")

    def endElementNS(self, name, qname):
        self.depth -= 1
        if self.depth == 1 and self.in_body:  # the end of office:body: nothing more to read
            raise _Full
        if not (self.in_body and name in _ODF_PARAGRAPHS and self.open):
            return
        parts, inner = self.open.pop()
        if self.open:
            self.open[-1][1].extend(["".join(parts), *inner])
            return
        self.held = 0
        for text in ("".join(parts), *inner):
            self.out.add(text)

    def characters(self, content):
        if not self.open:
            return
        self.open[-1][0].append(content)
        self.held += len(content)
        if self.held > ODF_PARAGRAPH_MAX:  # one paragraph of megabytes: keep what came, stop
            for parts, inner in self.open:
                for text in ("".join(parts), *inner):
                    self.out.add(text)
            self.out.truncated = True
            raise _Full


def _odf(data: bytes, out: _Text, limits: Limits) -> None:
    archive = check_zip(data, limits)
    try:
        source = archive.open("content.xml")
    except KeyError:
        raise Unreadable("no content.xml") from None
    # defusedxml: no entity expansion (billion laughs), no external entity, no DTD at all.
    parser = defusedxml.expatreader.create_parser(forbid_dtd=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(_OdfParagraphs(out))
    with source:
        parser.parse(source)


def _plain(data: bytes, out: _Text, limits: Limits) -> None:
    head = data[: limits.max_chars * 4]  # at most 4 bytes a character in UTF-8
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut by the head's end
            text = head[: error.start].decode("utf-8")
        else:
            text = head.decode("cp1252", errors="replace")
    out.truncated |= len(head) < len(data)
    out.add(text)


EXTRACTORS: dict[str, Callable[[bytes, _Text, Limits], None]] = {
    PDF: _pdf,
    DOCX: _docx,
    XLSX: _xlsx,
    PPTX: _pptx,
    ODT: _odf,
    ODS: _odf,
    ODP: _odf,
    **dict.fromkeys(PLAIN, _plain),
}


def supports(mime_type: str) -> bool:
    return mime_type in EXTRACTORS


def extract(data: bytes, mime_type: str, limits: Limits | None = None) -> Extracted:
    """The text of `data`, cut at the limits; `Unreadable` when there is none to trust."""
    limits = limits or Limits.from_settings()
    if mime_type not in EXTRACTORS:
        raise Unreadable(f"no extractor for {mime_type}")
    if len(data) > limits.max_bytes:
        raise Unreadable(f"{len(data)} bytes (limit {limits.max_bytes})")
    out = _Text(limits.max_chars)
    try:
        with warnings.catch_warnings():
            # Libraries warn about what they skip (unknown styles, extensions): not our errors.
            warnings.simplefilter("ignore")
            EXTRACTORS[mime_type](data, out, limits)
    except _Full:
        pass
    except Unreadable:
        raise
    except Exception as error:  # any parser failure on hostile input: no text, never a crash
        raise Unreadable(f"{type(error).__name__}: {error}") from error
    return out.result()
