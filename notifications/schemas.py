"""API shapes for notifications, mutes and e-mail preferences."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool

from social.schemas import MAX_ID, _In

NotificationId = Annotated[int, Field(ge=1, le=MAX_ID)]
FrequencyName = Literal["every_post", "daily", "weekly", "never"]
MuteKind = Literal["post", "file", "meeting", "conversation", "group"]


class NotificationActorOut(Schema):
    id: int
    display_name: str


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="mention, reply, like, group_invitation, join_request, …")
    text: str = Field(description="La phrase affichée, dans votre langue")
    url: str = Field(description="La page de ce dont il s'agit")
    actor: NotificationActorOut | None
    actor_count: int = Field(description="Personnes regroupées (« Anne et 3 autres » : 4)")
    created_at: datetime
    read: bool


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    unread_count: int


class NotificationReadIn(_In):
    ids: list[NotificationId] | None = Field(
        None, max_length=500, description="Ces notifications ; toutes si absent"
    )


class NotificationReadOut(Schema):
    changed: int
    unread_count: int


class GroupFrequencyOut(Schema):
    group: int
    name: str
    frequency: FrequencyName


class GroupFrequencyIn(_In):
    group: int = Field(ge=1, le=MAX_ID)
    frequency: FrequencyName


class EmailPreferencesOut(Schema):
    language: Literal["", "fr", "en"] = Field(description="Vide : la langue du site")
    email_mentions: bool
    email_messages: bool
    default_frequency: FrequencyName
    groups: list[GroupFrequencyOut]


class EmailPreferencesIn(_In):
    language: Literal["", "fr", "en"] | None = None
    email_mentions: StrictBool | None = None
    email_messages: StrictBool | None = None
    default_frequency: FrequencyName | None = None
    groups: list[GroupFrequencyIn] = Field(default_factory=list, max_length=1000)


class MuteIn(_In):
    kind: MuteKind
    target: int = Field(ge=1, le=MAX_ID)


class MuteOut(Schema):
    id: int
    kind: MuteKind
    target: int
    created_at: datetime
