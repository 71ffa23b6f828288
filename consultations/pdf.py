"""The visit brief as a PDF, to hand to the elected officials before a neighbourhood visit.

Built with the shared reportlab helpers of config/pdf.py (embedded Vera fonts, black on white).
"""

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table

from accounts.models import User
from config.pdf import build, bullets, grid_style, styles, text
from consultations.brief import Brief


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(grid_style())
    return table


def _days(n: int) -> str:
    return ngettext("%(count)s jour", "%(count)s jours", n) % {"count": n}


def brief_pdf(brief: Brief, *, officials: list[User]) -> bytes:
    """The brief's sections as PDF bytes: the most supported contributions, counts by category
    and by place, unanswered requests and their age, requests handled before the visit, quotes."""
    s = styles()
    c = brief.consultation
    story = [
        Paragraph(text(_("Synthèse pour la visite — %(title)s") % {"title": c.title}), s["title"]),
        Paragraph(
            text(_("Quartiers : %(names)s") % {"names": ", ".join(c.neighbourhood_list)}),
            s["body"],
        ),
    ]
    if c.visit_date:
        story.append(
            Paragraph(
                text(
                    _("Visite le %(date)s") % {"date": formats.date_format(c.visit_date, "l j F Y")}
                ),
                s["body"],
            )
        )
    if officials:
        story.append(
            Paragraph(
                text(
                    _("Élus : %(names)s") % {"names": ", ".join(o.display_name for o in officials)}
                ),
                s["body"],
            )
        )
    story.append(
        Paragraph(
            text(
                ngettext(
                    "%(count)s contribution publiée.",
                    "%(count)s contributions publiées.",
                    brief.total,
                )
                % {"count": brief.total}
            ),
            s["body"],
        )
    )
    story.append(
        Paragraph(
            text(
                _("Établie le %(date)s")
                % {"date": formats.date_format(timezone.localtime(), "j F Y à H:i")}
            ),
            s["small"],
        )
    )

    story.append(Paragraph(text(_("Les contributions les plus soutenues")), s["h2"]))
    if brief.top:
        rows = [[_("Contribution"), _("Type"), _("Catégorie"), _("Soutiens"), _("Statut")]]
        rows += [
            [
                Paragraph(text(x.title), s["small"]),
                str(x.get_kind_display()),
                Paragraph(text(x.category.name), s["small"]),
                str(x.support_count),
                str(x.get_status_display()) if x.status else "—",
            ]
            for x in brief.top
        ]
        story.append(_table(rows, [72, 25, 30, 20, 27]))
    else:
        story.append(Paragraph(text(_("Aucune contribution publiée.")), s["body"]))

    story.append(Paragraph(text(_("Contributions par catégorie")), s["h2"]))
    rows = [[_("Catégorie"), _("Contributions")]]
    rows += [[Paragraph(text(name), s["small"]), str(n)] for name, n in brief.by_category]
    story.append(_table(rows, [90, 35]))

    story.append(Paragraph(text(_("Contributions par rue ou lieu")), s["h2"]))
    if brief.by_place:
        rows = [[_("Rue ou lieu"), _("Contributions")]]
        rows += [[Paragraph(text(name), s["small"]), str(n)] for name, n in brief.by_place]
        story.append(_table(rows, [90, 35]))
    else:
        story.append(Paragraph(text(_("Aucun lieu indiqué.")), s["body"]))

    story.append(Paragraph(text(_("Demandes encore sans réponse")), s["h2"]))
    if brief.unanswered:
        rows = [[_("Demande"), _("Catégorie"), _("Statut"), _("Service"), _("Attente")]]
        rows += [
            [
                Paragraph(text(p.contribution.title), s["small"]),
                Paragraph(text(p.contribution.category.name), s["small"]),
                str(p.contribution.get_status_display()),
                Paragraph(
                    text(p.contribution.service.name if p.contribution.service else "—"),
                    s["small"],
                ),
                _days(p.age_days),
            ]
            for p in brief.unanswered
        ]
        story.append(_table(rows, [62, 28, 22, 40, 22]))
    else:
        story.append(Paragraph(text(_("Toutes les demandes ont reçu une réponse.")), s["body"]))

    story.append(Paragraph(text(_("Demandes traitées avant la visite")), s["h2"]))
    if brief.handled_before_visit:
        story.append(
            bullets(
                [
                    Paragraph(
                        text(
                            f"{x.title} — {x.category.name} — {x.get_status_display()}"
                            + (f" — {x.service.name}" if x.service else "")
                        ),
                        s["body"],
                    )
                    for x in brief.handled_before_visit
                ]
            )
        )
    else:
        story.append(Paragraph(text(_("Aucune pour le moment.")), s["body"]))

    story.append(Paragraph(text(_("Paroles d'habitants")), s["h2"]))
    if brief.quotes:
        for quote in brief.quotes:
            story.append(Paragraph(text(f"« {quote.excerpt} »"), s["quote"]))
            story.append(
                Paragraph(
                    text(
                        ngettext(
                            "— %(title)s (%(count)s soutien)",
                            "— %(title)s (%(count)s soutiens)",
                            quote.contribution.support_count,
                        )
                        % {
                            "title": quote.contribution.title,
                            "count": quote.contribution.support_count,
                        }
                    ),
                    s["small"],
                )
            )
    else:
        story.append(Paragraph(text(_("Aucune citation pour le moment.")), s["body"]))

    return build(story, title=_("Synthèse pour la visite — %(title)s") % {"title": c.title})
