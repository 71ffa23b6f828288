"""API shapes for groups, members, join requests and invitations."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from accounts.models import User
from accounts.schemas import NO_NUL, SOME_TEXT, OrganisationOut
from groups.models import Group

Visibility = Literal["public", "private", "unlisted"]
Role = Literal["owner", "manager", "member"]
# What a group's address may hold (Django's slug): anything else cannot name a group.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
SLUG_MAX_LENGTH = 80


class GroupOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    visibility: Visibility
    open_to_external: bool
    charter: str
    member_count: int
    is_member: bool
    my_role: Role | None
    request_pending: bool
    avatar_url: str | None
    url: str
    created_at: datetime

    @staticmethod
    def resolve_avatar_url(obj: Group) -> str | None:
        return reverse("groups:avatar", args=[obj.slug]) if obj.avatar else None

    @staticmethod
    def resolve_url(obj: Group) -> str:
        from groups.views import group_url

        return group_url(obj)


class GroupIn(Schema):
    # Python's regex engine, so that `\s` means exactly what `str.strip()` removes.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    name: str = Field(..., min_length=1, max_length=120, pattern=SOME_TEXT)
    description: str = Field("", max_length=2000, pattern=NO_NUL)
    visibility: Visibility = "public"
    open_to_external: StrictBool = False
    charter: str = Field(
        "",
        max_length=2000,
        pattern=NO_NUL,
        description="Acceptée par les membres externes quand ils rejoignent le groupe",
    )


class GroupPatch(Schema):
    # An unknown or read-only field (slug, avatar) is refused, never silently dropped.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    name: str = Field(None, min_length=1, max_length=120, pattern=SOME_TEXT)
    description: str = Field(None, max_length=2000, pattern=NO_NUL)
    visibility: Visibility = None
    open_to_external: StrictBool = None
    charter: str = Field(None, max_length=2000, pattern=NO_NUL)


class JoinIn(Schema):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        "",
        max_length=500,
        pattern=NO_NUL,
        description="Mot aux gestionnaires, pour une demande d'adhésion à un groupe privé",
    )


class JoinOut(Schema):
    status: Literal["joined", "requested"]


class MemberPersonOut(Schema):
    id: int
    handle: str
    display_name: str
    kind: str
    organisation: OrganisationOut | None
    avatar_url: str | None
    profile_url: str

    @staticmethod
    def resolve_avatar_url(obj: User) -> str | None:
        return reverse("accounts:avatar", args=[obj.pk]) if obj.avatar else None

    @staticmethod
    def resolve_profile_url(obj: User) -> str:
        return reverse("accounts:profile", args=[obj.pk])


class MemberOut(Schema):
    user: MemberPersonOut
    role: Role
    joined_at: datetime
    expires_at: datetime | None


class InvitationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(..., min_length=3, max_length=254, pattern=NO_NUL)


class InvitationOut(Schema):
    id: int
    email: str
    expires_at: datetime


class JoinRequestOut(Schema):
    id: int
    status: Literal["pending", "approved", "refused"]
    user: MemberPersonOut
    message: str
    created_at: datetime
    decided_at: datetime | None
