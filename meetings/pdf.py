"""The synthesis of a meeting as a PDF, ready to hand to elected officials.

Built with reportlab (pure Python) and the Bitstream Vera fonts it ships, embedded in the file:
French text (accents, œ, curly apostrophes, guillemets, €, …) renders the same on every
reader. Black on white, no colour carries meaning, so it prints well in black and white.
"""

from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from meetings.models import Decision, Meeting, Position
from meetings.synthesis import MeetingSynthesis

FONT = "MaillageVera"
FONT_BOLD = "MaillageVera-Bold"
FONT_ITALIC = "MaillageVera-Italic"


@cache
def _fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(folder / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont(FONT + "-BoldItalic", str(folder / "VeraBI.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT + "-BoldItalic"
    )


def _styles() -> dict[str, ParagraphStyle]:
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


def _text(value: str) -> str:
    """User text as safe Paragraph markup (the fonts have no narrow no-break space)."""
    return escape(str(value).replace("\u202f", "\u00a0")).replace("\n", "<br/>")


def _bullets(paragraphs: list[Paragraph]) -> ListFlowable:
    return ListFlowable(
        [ListItem(p, leftIndent=12) for p in paragraphs],
        bulletType="bullet",
        start="•",
        bulletFontName=FONT,
        leftIndent=12,
    )


def synthesis_pdf(
    meeting: Meeting, synthesis: MeetingSynthesis, decisions: list[Decision]
) -> bytes:
    """The meeting's synthesis as PDF bytes: title, date and place, participants (ready or
    not), and per item its counts, arguments by position, open questions and decisions."""
    _fonts()
    s = _styles()
    labels = dict(Position.choices)
    starts = timezone.localtime(meeting.starts_at)
    ends = timezone.localtime(meeting.ends_at)
    story = [
        Paragraph(
            _text(_("Synthèse de la réunion « %(title)s »") % {"title": meeting.title}), s["title"]
        ),
        Paragraph(
            _text(
                _("%(group)s — le %(date)s, de %(start)s à %(end)s")
                % {
                    "group": meeting.group.name,
                    "date": formats.date_format(starts, "l j F Y"),
                    "start": formats.time_format(starts, "H:i"),
                    "end": formats.time_format(ends, "H:i"),
                }
            ),
            s["body"],
        ),
    ]
    if meeting.place:
        story.append(Paragraph(_text(_("Lieu : %(place)s") % {"place": meeting.place}), s["body"]))
    if meeting.video_url:
        story.append(
            Paragraph(_text(_("Visioconférence : %(url)s") % {"url": meeting.video_url}), s["body"])
        )
    story.append(
        Paragraph(
            _text(
                _("Synthèse établie le %(date)s")
                % {"date": formats.date_format(timezone.localtime(), "j F Y à H:i")}
            ),
            s["small"],
        )
    )

    story.append(Paragraph(_text(_("Participants")), s["h2"]))
    rows = [[_("Participant"), _("Prêt·e"), _("Ordre du jour lu"), _("Points préparés")]]
    for person in synthesis.participants:
        name = person.display_name + (" " + _("(organisateur)") if person.is_organiser else "")
        rows.append(
            [
                Paragraph(_text(name), s["small"]),
                _("oui") if person.ready else _("non"),
                _("oui") if person.agenda_read else _("non"),
                str(len(person.prepared_item_ids)),
            ]
        )
    table = Table(rows, colWidths=[70 * mm, 25 * mm, 35 * mm, 35 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)

    story.append(Paragraph(_text(_("Ordre du jour")), s["h2"]))
    if not synthesis.items:
        story.append(Paragraph(_text(_("L’ordre du jour est vide.")), s["body"]))
    for number, item in enumerate(synthesis.items, start=1):
        block = [Paragraph(_text(f"{number}. {item.title}"), s["h2"])]
        counts = " · ".join(
            f"{labels[position]} : {count}" for position, count in item.counts.items()
        )
        block.append(
            Paragraph(
                _text(
                    ngettext(
                        "Avis (%(total)s) : %(counts)s", "Avis (%(total)s) : %(counts)s", item.total
                    )
                    % {"total": item.total, "counts": counts}
                ),
                s["body"],
            )
        )
        story.append(KeepTogether(block))
        if item.override_text:
            story.append(Paragraph(_text(_("Synthèse de l’organisateur")), s["h3"]))
            story.append(Paragraph(_text(item.override_text), s["body"]))
        for position, arguments in item.arguments.items():
            story.append(
                Paragraph(
                    _text(_("Arguments « %(position)s »") % {"position": labels[position]}), s["h3"]
                )
            )
            story.append(
                _bullets(
                    [Paragraph(_text(f"{a.author_name} : {a.text}"), s["body"]) for a in arguments]
                )
            )
        if item.open_questions:
            story.append(Paragraph(_text(_("Questions restées ouvertes")), s["h3"]))
            story.append(
                _bullets(
                    [
                        Paragraph(_text(f"{q.author_name} : {_plain(q.body_html)}"), s["body"])
                        for q in item.open_questions
                    ]
                )
            )
        if item.files:
            story.append(Paragraph(_text(_("Documents joints")), s["h3"]))
            story.append(_bullets([Paragraph(_text(f.name), s["body"]) for f in item.files]))
        item_decisions = [d for d in decisions if d.item_id == item.item_id]
        if item_decisions:
            story.append(Paragraph(_text(_("Décisions")), s["h3"]))
            story.append(_bullets([Paragraph(_decision(d), s["body"]) for d in item_decisions]))
    general = [d for d in decisions if d.item_id is None]
    if general:
        story.append(Paragraph(_text(_("Autres décisions")), s["h2"]))
        story.append(_bullets([Paragraph(_decision(d), s["body"]) for d in general]))

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Synthèse — %(title)s") % {"title": meeting.title},
        author="Maillage",
        lang="fr",
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _decision(decision: Decision) -> str:
    text = _("%(text)s — responsable : %(owner)s") % {
        "text": decision.text,
        "owner": decision.owner.display_name,
    }
    if decision.due_on:
        text += " — " + _("échéance : %(date)s") % {
            "date": formats.date_format(decision.due_on, "j F Y")
        }
    text += " — " + str(decision.get_status_display())
    if decision.is_overdue:
        text += " — " + _("en retard")
    return _text(text)


def _plain(html: str) -> str:
    """The text of sanitised comment HTML (the PDF shows no markup)."""
    from html import unescape

    from django.utils.html import strip_tags

    return unescape(strip_tags(html)).strip()


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawRightString(
        A4[0] - 18 * mm, 10 * mm, _("Page %(page)s") % {"page": canvas.getPageNumber()}
    )
    canvas.restoreState()
