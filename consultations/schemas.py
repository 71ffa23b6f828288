"""API shapes for consultations, contributions, moderation, follow-up, the brief and exports.

Every class name starts with « Consultation », « Contribution », « Moderation » or « Visit »:
the OpenAPI document names schemas by class (tests/api/test_schema_names.py).

Text inputs are checked here with French messages (422) and the limits are written in the
schema; the services check them again (400), so a client going around the API gets the same.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from consultations import policy
from consultations.export import COORDINATE_STEP
from consultations.models import (
    ANSWER_MAX_LENGTH,
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    CONTRIBUTION_TITLE_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    HiddenReason,
    ModerationDecision,
    Report,
)
from consultations.staff_forms import CATEGORY_MAX_LENGTH, MAX_CATEGORIES
from consultations.text import generalise_place
from social.schemas import MAX_ID, NO_NUL, SOME_TEXT, _In

ConsultationState = Literal["upcoming", "open", "closed"]
ContributionKind = Literal["question", "demande", "idee", "signalement"]
ContributionStatus = Literal["recu", "en_cours", "traite", "rejete", "clos"]
ContributionSort = Literal["supports", "recent", "category", "status"]
ModerationState = Literal["pending", "published", "hidden"]
ModerationAction = Literal["approve", "hide", "restore"]
ModerationTarget = Literal["contribution", "comment"]
HiddenReasonValue = Literal[tuple(HiddenReason.values)]  # type: ignore[valid-type]
ConsultationModeration = Literal["a_priori", "a_posteriori"]
SIGNATURE_MAX_LENGTH = 150
NEIGHBOURHOODS_MAX_LENGTH = 300
THEME_MAX_LENGTH = 120
MAX_PEOPLE = 50


def _viewer(context: Any):
    request = (context or {}).get("request")
    return getattr(request, "auth", None)


def _sees_exact_place(viewer, obj: Contribution) -> bool:
    """The author and staff see the place and the point as given; others a generalised place
    and a point rounded to ~100 m, as in the open data (no citizen's exact address)."""
    if viewer is None:
        return False
    return policy.is_staff(viewer) or (
        viewer.is_authenticated and obj.author_id is not None and obj.author_id == viewer.pk
    )


def _coordinate(obj: Contribution, value: Decimal | None, context) -> float | None:
    if value is None:
        return None
    if not _sees_exact_place(_viewer(context), obj):
        value = Decimal(value).quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP)
    return float(value)


# --- Text inputs, refused in French -------------------------------------------------------


def _text(limit: int, label: Any, *, required: bool) -> Any:
    """A string of at most `limit` characters, without NUL, not blank when `required`."""

    def check(value: str) -> str:
        if "\x00" in value:
            raise PydanticCustomError(
                "nul_character",
                _("%(label)s contient un caractère interdit (NUL).") % {"label": label},
            )
        if len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                _("%(label)s dépasse %(limit)s caractères (%(length)s reçus).")
                % {
                    "label": label,
                    "limit": f"{limit:,}".replace(",", " "),
                    "length": f"{len(value):,}".replace(",", " "),
                },
            )
        if required and not value.strip():
            raise PydanticCustomError("blank", _("%(label)s est obligatoire.") % {"label": label})
        return value

    schema: dict[str, Any] = {"type": "string", "maxLength": limit}
    if required:
        schema |= {"minLength": 1, "pattern": SOME_TEXT}
    else:
        schema |= {"pattern": NO_NUL}
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


Title = _text(CONTRIBUTION_TITLE_MAX_LENGTH, gettext_lazy("Le titre"), required=True)
Body = _text(BODY_MAX_LENGTH, gettext_lazy("Le texte"), required=True)
Place = _text(PLACE_MAX_LENGTH, gettext_lazy("Le lieu"), required=False)
CommentBody = _text(COMMENT_MAX_LENGTH, gettext_lazy("Le commentaire"), required=True)
Reason = _text(REASON_MAX_LENGTH, gettext_lazy("Le motif"), required=True)
OptionalReason = _text(REASON_MAX_LENGTH, gettext_lazy("Le motif"), required=False)
AnswerText = _text(ANSWER_MAX_LENGTH, gettext_lazy("La réponse"), required=True)
Signature = _text(SIGNATURE_MAX_LENGTH, gettext_lazy("La signature"), required=False)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
ConsultationTitle = _text(TITLE_MAX_LENGTH, gettext_lazy("Le titre"), required=True)
Neighbourhoods = _text(NEIGHBOURHOODS_MAX_LENGTH, gettext_lazy("Le quartier"), required=True)
Theme = _text(THEME_MAX_LENGTH, gettext_lazy("Le thème"), required=False)
Description = _text(BODY_MAX_LENGTH, gettext_lazy("La description"), required=False)
CategoryName = _text(CATEGORY_MAX_LENGTH, gettext_lazy("La catégorie"), required=True)


# Dates of a consultation: moments with a time zone. Their years (2000 to 2099) are checked by
# the service (400): a pattern in the schema would make valid dates too hard to generate.
Moment = AwareDatetime
Day = date


# --- Consultations ------------------------------------------------------------------------


class ConsultationCategoryOut(Schema):
    id: int
    name: str


class ConsultationOfficialOut(Schema):
    display_name: str


class ConsultationOut(Schema):
    """A consultation as lists show it."""

    id: int
    slug: str
    title: str
    neighbourhoods: list[str] = Field(alias="neighbourhood_list")
    theme: str
    state: ConsultationState = Field(description="upcoming (à venir), open (ouverte), closed")
    opens_at: datetime
    closes_at: datetime
    visit_date: date | None
    moderation: Literal["a_priori", "a_posteriori"] = Field(
        description="a_priori : publiée après validation ; a_posteriori : publiée tout de suite"
    )
    published_count: int = Field(description="Contributions publiées")
    categories: list[ConsultationCategoryOut]
    officials: list[ConsultationOfficialOut] = Field(description="Les élus de la visite")
    report_published_at: datetime | None = Field(description="Compte rendu de la visite publié")

    @staticmethod
    def resolve_categories(obj: Consultation) -> list:
        return list(obj.categories.all())

    @staticmethod
    def resolve_officials(obj: Consultation) -> list:
        return list(obj.officials.all())

    @staticmethod
    def resolve_published_count(obj: Consultation) -> int:
        return getattr(obj, "published_count", 0)


class ConsultationRightsOut(Schema):
    """What the viewer may do with the consultation now."""

    can_contribute: bool
    can_moderate: bool
    can_view_brief: bool
    can_export: bool = Field(description="Données ouvertes (une fois la consultation close)")


class ConsultationDetailOut(ConsultationOut):
    description: str = Field(description="Source Markdown")
    description_html: str
    report_html: str = Field(description="Le compte rendu publié après la visite")
    me: ConsultationRightsOut

    @staticmethod
    def resolve_me(obj: Consultation, context) -> dict:
        viewer = _viewer(context)
        return {
            "can_contribute": policy.can_contribute(viewer, obj),
            "can_moderate": policy.can_moderate(viewer, obj),
            "can_view_brief": policy.can_view_brief(viewer, obj),
            "can_export": policy.can_export(viewer, obj),
        }


class ConsultationSettingsOut(ConsultationDetailOut):
    """A consultation as its managers (staff) set it."""

    official_ids: list[int] = Field(description="Les élus de la visite (leurs id)")
    moderator_ids: list[int] = Field(description="Les modérateurs (des agents)")
    service_ids: list[int] = Field(description="Les services destinataires des demandes")

    @staticmethod
    def resolve_official_ids(obj: Consultation) -> list[int]:
        return sorted(o.pk for o in obj.officials.all())

    @staticmethod
    def resolve_moderator_ids(obj: Consultation) -> list[int]:
        return sorted(obj.moderators.values_list("pk", flat=True))

    @staticmethod
    def resolve_service_ids(obj: Consultation) -> list[int]:
        return sorted(obj.services.values_list("pk", flat=True))


class ConsultationRefOut(Schema):
    id: int
    slug: str
    title: str


# --- Contributions ------------------------------------------------------------------------


class ContributionAnswerOut(Schema):
    """The public official answer."""

    id: int
    signed_by: str
    text: str = Field(description="Source Markdown")
    text_html: str
    created_at: datetime


class ContributionPhotoOut(Schema):
    id: int
    width: int
    height: int
    url: str = Field(description="L'image (WebP, sans métadonnées)")

    @staticmethod
    def resolve_url(obj: ContributionPhoto) -> str:
        return reverse("api:consultation_photo", kwargs={"photo_id": obj.pk})


class ContributionOut(Schema):
    """A contribution as the viewer may see it (nothing internal)."""

    id: int
    consultation_id: int
    kind: ContributionKind
    title: str
    body: str = Field(description="Source (texte ou Markdown restreint)")
    body_html: str = Field(description="Rendu assaini")
    category: ConsultationCategoryOut
    place: str = Field(description="Sans numéro pour qui n'est ni l'auteur ni l'agence")
    latitude: float | None = Field(description="Arrondie à ~100 m sauf pour l'auteur et l'agence")
    longitude: float | None
    author_name: str = Field(description="Nom affiché ou pseudonyme ; « un habitant » sinon")
    is_mine: bool
    moderation_state: ModerationState
    hidden_reason: str = Field(description="Motif public du masquage")
    status: ContributionStatus | Literal[""] = Field(
        description="Demandes et signalements : recu → en_cours → traite | rejete → clos"
    )
    rejection_reason: str
    support_count: int
    comment_count: int = Field(description="Commentaires publiés")
    supported: bool | None = Field(description="Vous la soutenez ; null sans compte")
    answers: list[ContributionAnswerOut] = Field(description="Réponses officielles publiques")
    photos: list[ContributionPhotoOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_place(obj: Contribution, context) -> str:
        if _sees_exact_place(_viewer(context), obj):
            return obj.place
        return generalise_place(obj.place)

    @staticmethod
    def resolve_latitude(obj: Contribution, context) -> float | None:
        return _coordinate(obj, obj.latitude, context)

    @staticmethod
    def resolve_longitude(obj: Contribution, context) -> float | None:
        return _coordinate(obj, obj.longitude, context)

    @staticmethod
    def resolve_author_name(obj: Contribution) -> str:
        return obj.author_display

    @staticmethod
    def resolve_is_mine(obj: Contribution, context) -> bool:
        viewer = _viewer(context)
        return bool(viewer and viewer.is_authenticated and obj.author_id == viewer.pk)

    @staticmethod
    def resolve_comment_count(obj: Contribution) -> int:
        return getattr(obj, "comment_count", 0)

    @staticmethod
    def resolve_supported(obj: Contribution) -> bool | None:
        return getattr(obj, "supported", None)

    @staticmethod
    def resolve_answers(obj: Contribution) -> list:
        return list(obj.answers.all())

    @staticmethod
    def resolve_photos(obj: Contribution) -> list:
        return list(obj.photos.all())


class ContributionStatusChangeOut(Schema):
    from_status: ContributionStatus
    to_status: ContributionStatus
    reason: str
    created_at: datetime


class ContributionNoteOut(Schema):
    author_name: str
    text: str
    created_at: datetime

    @staticmethod
    def resolve_author_name(obj) -> str:
        return obj.author.display_name


class ContributionServiceOut(Schema):
    id: int
    name: str


class ContributionInternalOut(Schema):
    """The follow-up as the agency sees it: never shown to citizens."""

    service: ContributionServiceOut | None = Field(description="Le service destinataire")
    quick_win: bool = Field(description="Traitable avant la visite")
    target_date: date | None
    internal_post_id: int | None = Field(description="La discussion interne, le cas échéant")
    notes: list[ContributionNoteOut]


class ContributionRightsOut(Schema):
    can_support: bool
    can_comment: bool
    can_report: bool
    can_triage: bool


class ContributionDetailOut(ContributionOut):
    status_history: list[ContributionStatusChangeOut] = Field(
        description="Les changements de statut, du plus ancien"
    )
    internal: ContributionInternalOut | None = Field(description="Agence seulement ; null sinon")
    me: ContributionRightsOut


class ContributionRequestOut(ContributionOut):
    """One of « Mes demandes »: the contribution with its consultation."""

    consultation: ConsultationRefOut


class ContributionSupportOut(Schema):
    contribution_id: int
    support_count: int
    supported: bool


class ContributionCommentOut(Schema):
    id: int
    contribution_id: int
    author_name: str
    is_mine: bool
    body: str = Field(description="Texte brut (à afficher échappé)")
    moderation_state: ModerationState
    hidden_reason: str
    created_at: datetime

    @staticmethod
    def resolve_author_name(obj: ConsultationComment) -> str:
        return obj.author_display

    @staticmethod
    def resolve_is_mine(obj: ConsultationComment, context) -> bool:
        viewer = _viewer(context)
        return bool(viewer and viewer.is_authenticated and obj.author_id == viewer.pk)


class ContributionReportOut(Schema):
    id: int
    contribution_id: int | None
    comment_id: int | None
    reason: str
    created_at: datetime


# --- Moderation ---------------------------------------------------------------------------


class ModerationContributionOut(Schema):
    id: int
    consultation: ConsultationRefOut
    kind: ContributionKind
    title: str
    body: str
    category: str
    author_name: str
    moderation_state: ModerationState
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Contribution) -> str:
        return obj.category.name

    @staticmethod
    def resolve_author_name(obj: Contribution) -> str:
        return obj.author_display


class ModerationCommentOut(Schema):
    id: int
    contribution_id: int
    contribution_title: str
    author_name: str
    body: str
    moderation_state: ModerationState
    created_at: datetime

    @staticmethod
    def resolve_contribution_title(obj: ConsultationComment) -> str:
        return obj.contribution.title

    @staticmethod
    def resolve_author_name(obj: ConsultationComment) -> str:
        return obj.author_display


class ModerationReportOut(Schema):
    id: int
    target: ModerationTarget
    target_id: int = Field(description="À passer à POST /moderation/{id}/decision")
    contribution_id: int
    reason: str
    reporter_name: str
    created_at: datetime

    @staticmethod
    def resolve_target(obj: Report) -> str:
        return "contribution" if obj.contribution_id else "comment"

    @staticmethod
    def resolve_target_id(obj: Report) -> int:
        return obj.contribution_id or obj.comment_id

    @staticmethod
    def resolve_contribution_id(obj: Report) -> int:
        return obj.contribution_id or obj.comment.contribution_id

    @staticmethod
    def resolve_reporter_name(obj: Report) -> str:
        return obj.reporter.display_name if obj.reporter_id else ""


class ModerationDismissOut(Schema):
    target: ModerationTarget
    target_id: int
    dismissed: int = Field(description="Signalements classés sans suite")


class ModerationQueueOut(Schema):
    contributions: list[ModerationContributionOut] = Field(
        description="En attente, les plus anciennes d'abord"
    )
    comments: list[ModerationCommentOut]
    reports: list[ModerationReportOut] = Field(description="Signalements non traités")
    counts: dict[str, int] = Field(description="Totaux (les listes s'arrêtent à `limit`)")


class ModerationDecisionOut(Schema):
    id: int
    target: ModerationTarget
    target_id: int
    action: ModerationAction
    reason: str
    moderation_state: ModerationState = Field(description="L'état du contenu après la décision")
    created_at: datetime

    @staticmethod
    def resolve_target(obj: ModerationDecision) -> str:
        return "contribution" if obj.contribution_id else "comment"

    @staticmethod
    def resolve_target_id(obj: ModerationDecision) -> int:
        return obj.contribution_id or obj.comment_id

    @staticmethod
    def resolve_moderation_state(obj: ModerationDecision) -> str:
        return (obj.contribution or obj.comment).moderation_state


# --- Visit brief --------------------------------------------------------------------------


class VisitBriefItemOut(Schema):
    id: int
    kind: ContributionKind
    title: str
    category: str
    place: str
    support_count: int
    status: ContributionStatus | Literal[""]
    answered: bool
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Contribution) -> str:
        return obj.category.name

    @staticmethod
    def resolve_place(obj: Contribution) -> str:
        return generalise_place(obj.place)


class VisitBriefCountOut(Schema):
    name: str
    count: int


class VisitBriefPendingOut(Schema):
    contribution: VisitBriefItemOut
    age_days: int


class VisitBriefQuoteOut(Schema):
    contribution_id: int
    title: str
    excerpt: str
    support_count: int


class VisitBriefOut(Schema):
    consultation: ConsultationRefOut
    visit_date: date | None
    total: int = Field(description="Contributions publiées")
    top: list[VisitBriefItemOut] = Field(description="Les plus soutenues")
    by_category: list[VisitBriefCountOut]
    by_place: list[VisitBriefCountOut] = Field(description="Par rue ou lieu (sans numéro)")
    unanswered: list[VisitBriefPendingOut] = Field(
        description="Demandes sans réponse, âge en jours"
    )
    handled_before_visit: list[VisitBriefItemOut]
    quotes: list[VisitBriefQuoteOut]


# --- Input --------------------------------------------------------------------------------


People = Annotated[list[Id], Field(max_length=MAX_PEOPLE)]


class ConsultationIn(_In):
    title: ConsultationTitle
    neighbourhoods: Neighbourhoods = Field(description="Séparés par des virgules")
    opens_at: Moment = Field(description="Ouverture des contributions (avec fuseau horaire)")
    closes_at: Moment = Field(description="Clôture des contributions, après l'ouverture")
    theme: Theme = ""
    description: Description = Field("", description="Markdown simple")
    visit_date: Day = Field(None, description="La date de la visite (facultative)")
    moderation: ConsultationModeration = Field(
        "a_posteriori",
        description="a_priori : publiée après validation ; a_posteriori : tout de suite",
    )
    officials: People = Field([], description="Les élus de la visite (leurs id)")
    moderators: People = Field([], description="Les modérateurs, des agents (leurs id)")
    services: People = Field([], description="Les services destinataires (leurs id)")
    categories: Annotated[list[CategoryName], Field(min_length=1, max_length=MAX_CATEGORIES)] = (
        Field(None, description="Les catégories (par défaut : celles de la ville)")
    )


class ConsultationPatch(_In):
    """Only the given fields change; the categories stay."""

    title: ConsultationTitle = None
    neighbourhoods: Neighbourhoods = None
    opens_at: Moment = None
    closes_at: Moment = None
    theme: Theme = None
    description: Description = None
    visit_date: Day | None = Field(None, description="null : pas de visite fixée")
    moderation: ConsultationModeration = None
    officials: People = None
    moderators: People = None
    services: People = None


class ModerationDismissIn(_In):
    target: ModerationTarget = Field(
        "contribution", description="Ce que désigne l'{id} du chemin : contribution ou commentaire"
    )


class ContributionIn(_In):
    kind: ContributionKind
    title: Title
    body: Body = Field(description="Texte brut ou Markdown restreint (5 000 caractères au plus)")
    category: Id = Field(description="Une catégorie de la consultation (son id)")
    place: Place = Field("", description="Rue ou lieu (facultatif)")
    latitude: float = Field(None, ge=-90, le=90, description="Avec longitude (facultatif)")
    longitude: float = Field(None, ge=-180, le=180)


class ContributionCommentIn(_In):
    body: CommentBody


class ContributionReportIn(_In):
    reason: Reason
    comment: Id = Field(None, description="Signaler ce commentaire de la contribution")


class ModerationDecisionIn(_In):
    target: ModerationTarget = Field(
        "contribution", description="Ce que désigne l'{id} du chemin : contribution ou commentaire"
    )
    action: ModerationAction
    reason: HiddenReasonValue = Field(None, description="Motif public, obligatoire pour hide")


class ContributionStatusPatch(_In):
    status: ContributionStatus = Field(None, description="Le nouveau statut")
    reason: OptionalReason = Field("", description="Obligatoire pour rejete")
    service: Id = Field(None, description="Router vers ce service de la consultation")
    quick_win: StrictBool = Field(None, description="Traitable avant la visite")
    target_date: date = Field(None, description="Date cible d'une demande traitable avant")


class ContributionAnswerIn(_In):
    text: AnswerText
    signed_by: Signature = Field("", description="Vide : le service, ou votre nom")
    service: Id = Field(None, description="Signer au nom de ce service (défaut : le service routé)")
