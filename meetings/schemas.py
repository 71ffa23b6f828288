"""API shapes for meetings, their agenda, opinions, synthesis and decisions.

Every class is prefixed with « Meeting »: the OpenAPI document names schemas by class, and two
apps' classes with one name would describe each other's bodies (tests/api/test_schema_names.py).
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import AwareDatetime, StrictBool

from accounts.models import User
from meetings.models import (
    ARGUMENT_MAX_LENGTH,
    DECISION_COMMENT_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    SYNTHESIS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VIDEO_URL_MAX_LENGTH,
    AgendaItem,
    Decision,
    Meeting,
)
from meetings.services import MAX_ITEMS, MAX_PARTICIPANTS
from social.models import COMMENT_MAX_LENGTH
from social.schemas import MAX_ID, NO_NUL, SOME_TEXT, CommentOut, FileBriefOut, _In

MeetingStatus = Literal["preparation", "held", "closed"]
OpinionPosition = Literal["pour", "contre", "reserve", "sans_avis"]
DecisionStatus = Literal["a_faire", "en_cours", "fait", "abandonne"]
PersonId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- Output -------------------------------------------------------------------------------


class MeetingPersonOut(Schema):
    id: int
    handle: str
    display_name: str
    kind: str
    profile_url: str

    @staticmethod
    def resolve_profile_url(obj: User) -> str:
        return reverse("accounts:profile", args=[obj.pk])


class MeetingGroupOut(Schema):
    slug: str
    name: str


class MeetingOut(Schema):
    """A meeting as lists show it."""

    id: int
    group: MeetingGroupOut
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    video_url: str
    organiser: MeetingPersonOut
    status: MeetingStatus = Field(description="preparation → held → closed")
    is_cancelled: bool
    members_may_add_items: bool = Field(
        description="Les participants peuvent ajouter des points (en préparation)"
    )
    url: str = Field(description="La page de la réunion")
    ics_url: str = Field(description="Le fichier iCalendar de la réunion")

    @staticmethod
    def resolve_url(obj: Meeting) -> str:
        return obj.get_absolute_url()

    @staticmethod
    def resolve_ics_url(obj: Meeting) -> str:
        return reverse("api:meeting_ics", kwargs={"meeting_id": obj.pk})


class MeetingParticipantOut(Schema):
    user: MeetingPersonOut
    is_organiser: bool
    ready: bool = Field(description="A indiqué être prêt (« prêt »)")
    ready_at: datetime | None
    agenda_read: bool = Field(description="A ouvert l'ordre du jour")
    attended: bool | None = Field(description="Présence relevée ; null tant qu'elle ne l'est pas")


class MeetingRightsOut(Schema):
    """What the viewer may do with the meeting now."""

    is_participant: bool
    can_manage: bool
    can_add_item: bool
    can_give_opinion: bool
    can_mark_ready: bool
    can_view_opinions: bool = Field(description="Voir les positions et la synthèse")
    can_record: bool = Field(description="Présence, décisions, synthèse, clôture")


class MeetingDetailOut(MeetingOut):
    description: str = Field(description="Source Markdown")
    description_html: str
    sequence: int = Field(description="Numéro de version iCalendar (SEQUENCE)")
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    reminded_at: datetime | None
    held_at: datetime | None
    closed_at: datetime | None
    minutes_post_id: int | None = Field(description="Le compte rendu publié dans le groupe")
    participants: list[MeetingParticipantOut]
    me: MeetingRightsOut


class MeetingOpinionOut(Schema):
    item_id: int
    user: MeetingPersonOut
    position: OpinionPosition
    argument: str
    updated_at: datetime


class MeetingMyOpinionOut(Schema):
    position: OpinionPosition
    argument: str
    updated_at: datetime


class MeetingItemOut(Schema):
    id: int
    meeting_id: int
    position: int = Field(description="Rang dans l'ordre du jour, 0 pour le premier")
    title: str
    description: str = Field(description="Source Markdown")
    description_html: str
    author: MeetingPersonOut
    created_at: datetime
    synthesis_text: str = Field(
        description="La synthèse rédigée par l'organisateur ; vide : la synthèse générée"
    )
    comment_count: int = Field(description="Commentaires du fil de discussion du point")
    files: list[FileBriefOut] = Field(description="Fichiers joints au point")
    my_opinion: MeetingMyOpinionOut | None = Field(description="Votre position sur ce point")
    opinions: list[MeetingOpinionOut] | None = Field(
        description="Les positions des participants ; null pour qui ne peut pas les voir"
    )

    @staticmethod
    def resolve_files(obj: AgendaItem) -> list:
        return [share.file for share in getattr(obj, "live_shares", [])]

    @staticmethod
    def resolve_my_opinion(obj: AgendaItem):
        mine = getattr(obj, "mine", [])
        return mine[0] if mine else None

    @staticmethod
    def resolve_opinions(obj: AgendaItem):
        return getattr(obj, "visible_opinions", None)


class MeetingReadyOut(Schema):
    meeting_id: int
    ready: bool
    ready_at: datetime | None


class MeetingCommentOut(CommentOut):
    """A comment of an agenda item's thread (`item_id` set, `post_id` and `file_id` null)."""

    item_id: int | None
    is_question: bool = Field(description="Marqué comme question (ouverte tant que sans réponse)")
    reply_to_id: int | None = Field(description="Le commentaire auquel celui-ci répond")


class MeetingArgumentOut(Schema):
    user_id: int
    author_name: str
    text: str
    updated_at: datetime


class MeetingOpenQuestionOut(Schema):
    comment_id: int
    author_id: int
    author_name: str
    body_html: str
    created_at: datetime


class MeetingFileLineOut(Schema):
    file_id: int
    name: str
    size: int


class MeetingDecisionLineOut(Schema):
    decision_id: int
    text: str
    owner_id: int
    owner_name: str
    due_on: date | None
    status: DecisionStatus


class MeetingItemSynthesisOut(Schema):
    item_id: int
    position: int
    title: str
    description_html: str
    counts: dict[str, int] = Field(description="Nombre de participants par position (les 4)")
    total: int
    arguments: dict[str, list[MeetingArgumentOut]] = Field(
        description="Les arguments groupés par position (positions argumentées seulement)"
    )
    open_questions: list[MeetingOpenQuestionOut] = Field(
        description="Questions du fil restées sans réponse"
    )
    files: list[MeetingFileLineOut]
    decisions: list[MeetingDecisionLineOut]
    override_text: str = Field(description="Le texte de l'organisateur, s'il a réécrit la synthèse")
    uses_override: bool
    prepared_by: list[int] = Field(description="Les participants qui ont donné leur position")


class MeetingParticipantStatusOut(Schema):
    user_id: int
    display_name: str
    kind: str
    is_organiser: bool
    ready: bool
    agenda_read: bool
    attended: bool | None
    prepared_item_ids: list[int]


class MeetingSynthesisOut(Schema):
    meeting_id: int
    items: list[MeetingItemSynthesisOut]
    participants: list[MeetingParticipantStatusOut]
    ready: list[int] = Field(description="Participants prêts")
    not_ready: list[int] = Field(description="Participants pas encore prêts")
    not_read: list[int] = Field(description="Participants qui n'ont pas ouvert l'ordre du jour")

    @staticmethod
    def resolve_ready(obj) -> list[int]:
        return [p.user_id for p in obj.ready]

    @staticmethod
    def resolve_not_ready(obj) -> list[int]:
        return [p.user_id for p in obj.not_ready]

    @staticmethod
    def resolve_not_read(obj) -> list[int]:
        return [p.user_id for p in obj.not_read]


class MeetingBriefOut(Schema):
    id: int
    title: str
    starts_at: datetime
    group: MeetingGroupOut


class MeetingDecisionOut(Schema):
    id: int
    meeting: MeetingBriefOut
    item_id: int | None = Field(description="Le point de l'ordre du jour, le cas échéant")
    text: str
    owner: MeetingPersonOut
    due_on: date | None
    status: DecisionStatus
    is_overdue: bool = Field(description="Échéance passée et décision ni faite ni abandonnée")
    created_at: datetime
    updated_at: datetime


class MeetingDecisionUpdateOut(Schema):
    author: MeetingPersonOut
    status: DecisionStatus
    comment: str
    created_at: datetime


class MeetingDecisionDetailOut(MeetingDecisionOut):
    updates: list[MeetingDecisionUpdateOut] = Field(description="Le suivi, du plus ancien")

    @staticmethod
    def resolve_updates(obj: Decision) -> list:
        return list(obj.updates.select_related("author").order_by("created_at", "id"))


class MeetingRemindedOut(Schema):
    reminded: list[MeetingPersonOut] = Field(description="Les personnes relancées")


# --- Input --------------------------------------------------------------------------------

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH, pattern=SOME_TEXT)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH, pattern=NO_NUL)]
Place = Annotated[str, Field(max_length=PLACE_MAX_LENGTH, pattern=NO_NUL)]
VideoUrl = Annotated[
    str,
    Field(
        max_length=VIDEO_URL_MAX_LENGTH,
        pattern=NO_NUL,
        description="Une adresse https:// (vide : aucune)",
    ),
]


class MeetingIn(_In):
    title: Title
    starts_at: AwareDatetime = Field(description="Avec fuseau horaire")
    ends_at: AwareDatetime = Field(description="Après le début")
    description: Description = ""
    place: Place = Field("", description="Un lieu ou un lien de visioconférence, au moins")
    video_url: VideoUrl = ""
    members_may_add_items: StrictBool = False
    participants: list[PersonId] = Field(
        default_factory=list,
        max_length=MAX_PARTICIPANTS - 1,
        description="Membres du groupe ou élus à inviter (vous l'êtes d'office)",
    )


class MeetingPatch(_In):
    # Typed without None: an absent field is unchanged, and null is not offered.
    title: Title = None
    starts_at: AwareDatetime = None
    ends_at: AwareDatetime = None
    description: Description = None
    place: Place = None
    video_url: VideoUrl = None
    members_may_add_items: StrictBool = None


class MeetingItemIn(_In):
    title: Title
    description: Description = ""


class MeetingItemPatch(_In):
    title: Title = None
    description: Description = None


class MeetingMoveIn(_In):
    position: int = Field(ge=0, le=MAX_ITEMS - 1, description="Le nouveau rang, 0 pour le premier")


class MeetingSynthesisIn(_In):
    text: str = Field(
        max_length=SYNTHESIS_MAX_LENGTH,
        pattern=NO_NUL,
        description="Vide : revenir à la synthèse générée",
    )


class MeetingOpinionIn(_In):
    position: OpinionPosition
    argument: str = Field("", max_length=ARGUMENT_MAX_LENGTH, pattern=NO_NUL)


class MeetingCommentIn(_In):
    body: str = Field(min_length=1, max_length=COMMENT_MAX_LENGTH, pattern=SOME_TEXT)
    is_question: StrictBool = False
    reply_to: int = Field(None, ge=1, le=MAX_ID, description="Répondre à ce commentaire du fil")


class MeetingFileIn(_In):
    file: int = Field(ge=1, le=MAX_ID, description="Un de vos fichiers (POST /files)")


class MeetingPeopleIn(_In):
    people: list[PersonId] = Field(min_length=1, max_length=MAX_PARTICIPANTS - 1)


class MeetingAttendanceLine(_In):
    user: int = Field(ge=1, le=MAX_ID)
    attended: StrictBool | None = Field(description="true, false, ou null : inconnue")


class MeetingAttendanceIn(_In):
    attendance: list[MeetingAttendanceLine] = Field(min_length=1, max_length=MAX_PARTICIPANTS)


class MeetingDecisionIn(_In):
    text: str = Field(min_length=1, max_length=DECISION_MAX_LENGTH, pattern=SOME_TEXT)
    owner: int = Field(ge=1, le=MAX_ID, description="Le responsable (doit voir la réunion)")
    due_on: date = Field(None, description="L'échéance")
    item: int = Field(None, ge=1, le=MAX_ID, description="Le point de l'ordre du jour")


class MeetingDecisionPatch(_In):
    status: DecisionStatus = Field(None, description="Inchangé si absent")
    comment: str = Field("", max_length=DECISION_COMMENT_MAX_LENGTH, pattern=NO_NUL)
