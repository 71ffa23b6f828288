"""Open data of a closed consultation (pseudonymised) and a citizen's own data (RGPD)."""

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consultations.models import (
    PSEUDONYM,
    Consultation,
    ConsultationComment,
    Contribution,
    ModerationState,
    OfficialAnswer,
    Report,
    Support,
)
from consultations.text import generalise_place

LICENCE = "Licence Ouverte 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
COORDINATE_STEP = Decimal("0.001")  # about 100 m
DEFAULT_SIGNATURE = "L'équipe de la consultation"

# (field, type, description): the data dictionary, in the order of the columns.
FIELDS: list[tuple[str, str, str]] = [
    ("id", "entier", "Identifiant de la contribution dans cette consultation."),
    ("type", "texte", "question, demande, idee ou signalement."),
    ("categorie", "texte", "Catégorie choisie par l'habitant (voirie, propreté…)."),
    ("titre", "texte", "Titre de la contribution."),
    ("texte", "texte", "Texte de la contribution, tel que publié (Markdown)."),
    ("lieu", "texte", "Rue ou lieu, sans numéro (adresse généralisée) ; vide si non indiqué."),
    ("latitude", "décimal", "Latitude WGS 84 arrondie à 3 décimales (~100 m) ; vide sinon."),
    ("longitude", "décimal", "Longitude WGS 84 arrondie à 3 décimales (~100 m) ; vide sinon."),
    ("soutiens", "entier", "Nombre de soutiens (+1) reçus."),
    (
        "statut",
        "texte",
        "Pour les demandes et signalements : recu, en_cours, traite, rejete, clos.",
    ),
    ("reponses", "liste", "Réponses officielles : texte, signataire (service), date."),
    ("date", "date", "Jour de la contribution (AAAA-MM-JJ), sans l'heure."),
    ("auteur", "texte", "Toujours « un habitant » : aucune donnée personnelle n'est publiée."),
]


def _round(value: Decimal | None) -> str:
    if value is None:
        return ""
    return str(Decimal(value).quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP))


def _signature(answer: OfficialAnswer) -> str:
    return answer.service.name if answer.service_id else DEFAULT_SIGNATURE


def _check_closed(consultation: Consultation) -> None:
    if not consultation.is_closed:
        raise ValidationError(_("L'export n'est disponible qu'une fois la consultation close."))


def export_rows(*, consultation: Consultation) -> list[dict[str, Any]]:
    """The published contributions of a closed consultation, pseudonymised (2 queries)."""
    _check_closed(consultation)
    contributions = (
        Contribution.objects.filter(
            consultation=consultation, moderation_state=ModerationState.PUBLISHED
        )
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=OfficialAnswer.objects.select_related("service").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("created_at", "id")
    )
    return [
        {
            "id": c.pk,
            "type": c.kind,
            "categorie": c.category.name,
            "titre": c.title,
            "texte": c.body,
            "lieu": generalise_place(c.place),
            "latitude": _round(c.latitude),
            "longitude": _round(c.longitude),
            "soutiens": c.support_count,
            "statut": c.status,
            "reponses": [
                {
                    "texte": a.text,
                    "signataire": _signature(a),
                    "date": timezone.localdate(a.created_at).isoformat(),
                }
                for a in c.answers.all()
            ],
            "date": timezone.localdate(c.created_at).isoformat(),
            "auteur": str(PSEUDONYM),
        }
        for c in contributions
    ]


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will never run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(*, consultation: Consultation) -> str:
    """The open-data CSV (answers joined in one column, "signataire : texte")."""
    rows = export_rows(consultation=consultation)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _type, _desc in FIELDS])
    for row in rows:
        answers = "\n\n".join(f"{a['signataire']} : {a['texte']}" for a in row["reponses"])
        writer.writerow(
            [_cell(answers if name == "reponses" else row[name]) for name, _t, _d in FIELDS]
        )
    return out.getvalue()


def export_json(*, consultation: Consultation) -> dict[str, Any]:
    """The open-data document: consultation, licence, data dictionary and contributions."""
    rows = export_rows(consultation=consultation)
    return {
        "consultation": {
            "titre": consultation.title,
            "quartiers": consultation.neighbourhood_list,
            "theme": consultation.theme,
            "ouverture": timezone.localdate(consultation.opens_at).isoformat(),
            "cloture": timezone.localdate(consultation.closes_at).isoformat(),
            "date_visite": consultation.visit_date.isoformat() if consultation.visit_date else None,
            "categories": list(consultation.categories.values_list("name", flat=True)),
        },
        "licence": {"nom": LICENCE, "url": LICENCE_URL},
        "dictionnaire": data_dictionary(),
        "contributions": rows,
    }


def export_json_text(*, consultation: Consultation) -> str:
    """`export_json` serialised (UTF-8, readable accents)."""
    return json.dumps(export_json(consultation=consultation), ensure_ascii=False, indent=2)


def data_dictionary() -> list[dict[str, str]]:
    """What each exported field means."""
    return [{"champ": n, "type": t, "description": d} for n, t, d in FIELDS]


def data_dictionary_csv() -> str:
    """The data dictionary as CSV (champ, type, description)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["champ", "type", "description"])
    writer.writerows((n, t, d) for n, t, d in FIELDS)
    return out.getvalue()


def data_dictionary_markdown() -> str:
    """The data dictionary as a Markdown table, with the licence."""
    lines = [
        f"Licence : {LICENCE} ({LICENCE_URL})",
        "",
        "| champ | type | description |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | {t} | {d} |" for n, t, d in FIELDS]
    return "\n".join(lines) + "\n"


# --- RGPD ------------------------------------------------------------------------------------


def _when(value) -> str | None:
    return value.isoformat() if value else None


def citizen_data(user: User) -> dict[str, Any]:
    """Everything consultations hold about `user`, JSON-able (their right of access)."""
    contributions = (
        Contribution.objects.filter(author=user)
        .select_related("consultation", "category")
        .prefetch_related("answers", "photos")
        .order_by("created_at", "id")
    )
    return {
        "compte": {
            "nom_affiche": user.display_name,
            "email": user.email,
            "inscrit_le": _when(user.date_joined),
        },
        "contributions": [
            {
                "consultation": c.consultation.title,
                "type": c.kind,
                "categorie": c.category.name,
                "titre": c.title,
                "texte": c.body,
                "lieu": c.place,
                "latitude": str(c.latitude) if c.latitude is not None else None,
                "longitude": str(c.longitude) if c.longitude is not None else None,
                "etat": c.moderation_state,
                "motif_masquage": c.hidden_reason,
                "statut": c.status,
                "motif_rejet": c.rejection_reason,
                "soutiens": c.support_count,
                "photos": len(c.photos.all()),
                "reponses": [
                    {"texte": a.text, "signataire": a.signed_by, "date": _when(a.created_at)}
                    for a in c.answers.all()
                ],
                "cree_le": _when(c.created_at),
            }
            for c in contributions
        ],
        "commentaires": [
            {"contribution": title, "texte": body, "etat": state, "cree_le": _when(at)}
            for title, body, state, at in ConsultationComment.objects.filter(author=user)
            .order_by("created_at", "id")
            .values_list("contribution__title", "body", "moderation_state", "created_at")
        ],
        "soutiens": [
            {"contribution": title, "cree_le": _when(at)}
            for title, at in Support.objects.filter(user=user)
            .order_by("created_at", "id")
            .values_list("contribution__title", "created_at")
        ],
        "signalements": [
            {"motif": reason, "cree_le": _when(at)}
            for reason, at in Report.objects.filter(reporter=user)
            .order_by("created_at", "id")
            .values_list("reason", "created_at")
        ],
    }
