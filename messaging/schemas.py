"""API shapes for conversations, messages and read state."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema

from accounts.models import User
from files.selectors import ATTACHMENTS_MAX
from messaging.models import MAX_PARTICIPANTS, MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH, Message
from social.schemas import MAX_ID, SOME_TEXT, FileBriefOut, _In

PREVIEW_LENGTH = 140


# --- Output -------------------------------------------------------------------------------


class ConversationPersonOut(Schema):
    id: int
    handle: str
    display_name: str
    kind: str
    profile_url: str

    @staticmethod
    def resolve_profile_url(obj: User | dict) -> str:
        return reverse("accounts:profile", args=[obj["id"] if isinstance(obj, dict) else obj.pk])


class ParticipantOut(ConversationPersonOut):
    last_read_id: int | None = Field(
        description="Dernier message lu (« vu ») : seulement dans une conversation privée"
    )


class MessageOut(Schema):
    id: int
    conversation: int = Field(alias="conversation_id")
    author: ConversationPersonOut
    body: str = Field(description="Source Markdown ; vide pour un message supprimé")
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    is_deleted: bool
    attachments: list[FileBriefOut] = Field(description="Fichiers envoyés avec le message")

    @staticmethod
    def resolve_attachments(obj: Message) -> list:
        if obj.is_deleted:
            return []
        files = getattr(obj, "sent_attachments", None)  # a message just sent (services)
        return [f for f in (obj.attachments.all() if files is None else files) if not f.is_deleted]


class PreviewOut(Schema):
    id: int
    author: str = Field(description="Nom affiché de l'auteur")
    excerpt: str = Field(description="Début du texte ; vide pour un message supprimé")
    created_at: datetime
    is_deleted: bool


class ConversationOut(Schema):
    id: int
    kind: Literal["direct", "group"]
    title: str = Field(description="Vide pour une conversation privée")
    participants: list[ConversationPersonOut] = Field(description="Les participants actuels")
    last_message: PreviewOut | None
    last_message_at: datetime | None
    unread: int = Field(description="Messages non lus par vous")
    last_read_id: int = Field(description="Le dernier message que vous avez lu")


class ConversationPageOut(Schema):
    items: list[ConversationOut]
    count: int


class ConversationDetailOut(Schema):
    id: int
    kind: Literal["direct", "group"]
    title: str
    created_at: datetime
    participants: list[ParticipantOut]
    last_message_id: int | None
    unread: int
    last_read_id: int


class MessagePageOut(Schema):
    items: list[MessageOut] = Field(description="Du plus ancien au plus récent")
    has_more: bool = Field(
        description="D'autres messages suivent dans le sens demandé (plus anciens, ou plus "
        "récents avec `after`)"
    )


class ReadStateOut(Schema):
    conversation: int
    last_read_id: int
    unread: int
    total_unread: int


class UnreadOut(Schema):
    total: int
    conversations: dict[str, int] = Field(
        description="Non lus par conversation (celles qui en ont seulement)"
    )
    seq: int = Field(
        description="Numéro de séquence des événements lu avant les compteurs : un événement "
        "de numéro supérieur peut déjà y être compté"
    )


def preview_of(message: Message | None) -> dict | None:
    if message is None:
        return None
    text = " ".join(message.body.split())
    if len(text) > PREVIEW_LENGTH:
        text = text[: PREVIEW_LENGTH - 1] + "…"
    return {
        "id": message.pk,
        "author": message.author.display_name,
        "excerpt": text,
        "created_at": message.created_at,
        "is_deleted": message.is_deleted,
    }


# --- Input --------------------------------------------------------------------------------

PersonId = Annotated[int, Field(ge=1, le=MAX_ID)]


class DirectIn(_In):
    person: int = Field(ge=1, le=MAX_ID, description="La personne à qui écrire")


class GroupConversationIn(_In):
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH, pattern=SOME_TEXT)
    people: list[PersonId] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS - 1,
        description="Les autres participants",
    )


class PeopleIn(_In):
    people: list[PersonId] = Field(min_length=1, max_length=MAX_PARTICIPANTS - 1)


class MessageIn(_In):
    body: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH, pattern=SOME_TEXT)
    client_key: UUID = Field(
        description="Choisi par le client pour chaque nouveau message : un envoi répété avec "
        "la même clé rend le premier message (200) au lieu d'un doublon"
    )
    attachments: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=ATTACHMENTS_MAX,
        description="Vos propres fichiers, partagés avec la conversation",
    )


class MessagePatch(_In):
    body: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH, pattern=SOME_TEXT)


class ReadIn(_In):
    up_to: int | None = Field(
        None, ge=1, le=MAX_ID, description="Lu jusqu'à ce message (le dernier sinon)"
    )
