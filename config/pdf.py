"""Shared PDF building blocks (reportlab): embedded Vera fonts, styles, safe text, page footer.

The Bitstream Vera fonts ship with reportlab and are embedded in every file, so French text
(accents, œ, curly apostrophes, guillemets, €, …) renders the same on every reader. Documents
are black on white and no colour carries meaning, so they print well in black and white.
"""

from collections.abc import Sequence
from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, TableStyle

FONT = "MaillageVera"
FONT_BOLD = "MaillageVera-Bold"
FONT_ITALIC = "MaillageVera-Italic"
MARGIN = 18 * mm


@cache
def register_fonts() -> None:
    """Register the Vera family once per process."""
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(folder / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont(FONT + "-BoldItalic", str(folder / "VeraBI.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT + "-BoldItalic"
    )


def styles() -> dict[str, ParagraphStyle]:
    """Title, headings, body, small print and quotes in the embedded fonts."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2", base, fontName=FONT_BOLD, fontSize=13, leading=17, spaceBefore=10
        ),
        "h3": ParagraphStyle("h3", base, fontName=FONT_BOLD, fontSize=11, spaceBefore=6),
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=9, leading=12),
        "quote": ParagraphStyle("quote", base, fontName=FONT_ITALIC, leftIndent=6 * mm),
    }


def text(value: str) -> str:
    """User text as safe Paragraph markup (the fonts have no narrow no-break space)."""
    return escape(str(value).replace("\u202f", "\u00a0")).replace("\n", "<br/>")


def bullets(paragraphs: Sequence[Paragraph]) -> ListFlowable:
    """A bulleted list of paragraphs."""
    return ListFlowable(
        [ListItem(p, leftIndent=12) for p in paragraphs],
        bulletType="bullet",
        start="•",
        bulletFontName=FONT,
        leftIndent=12,
    )


def grid_style(*extra: tuple) -> TableStyle:
    """A plain table: black grid, bold header row, small text."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            *extra,
        ]
    )


def footer(canvas, document) -> None:
    """The page number at the bottom right of every page."""
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawRightString(
        A4[0] - MARGIN, 10 * mm, _("Page %(page)s") % {"page": canvas.getPageNumber()}
    )
    canvas.restoreState()


def build(story: list, *, title: str) -> bytes:
    """Lay `story` out on A4 pages with the footer; the PDF's bytes."""
    register_fonts()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Maillage",
        lang="fr",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
