"""The synthesis of a meeting as a PDF, ready to hand to elected officials.

Built with the shared reportlab helpers of config/pdf.py (embedded Vera fonts, so French text
renders the same on every reader; black on white, so it prints well in black and white).
"""

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Table

from config.pdf import build, grid_style
from config.pdf import bullets as _bullets
from config.pdf import register_fonts as _fonts
from config.pdf import styles as _styles
from config.pdf import text as _text
from meetings.models import Decision, Meeting, Position
from meetings.synthesis import MeetingSynthesis


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
    table.setStyle(grid_style())
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

    return build(story, title=_("Synthèse — %(title)s") % {"title": meeting.title})


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
