"""API shapes for people and one's own profile."""

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict

from accounts.models import User


class OrganisationOut(Schema):
    id: int
    name: str
    type: str


class PersonOut(Schema):
    id: int
    handle: str
    display_name: str
    kind: str
    email: str
    organisation: OrganisationOut | None
    job_title: str
    department: str
    phone: str
    bio: str
    expertise: list[str]
    avatar_url: str | None
    profile_url: str

    @staticmethod
    def resolve_expertise(obj: User) -> list[str]:
        return obj.expertise_list

    @staticmethod
    def resolve_avatar_url(obj: User) -> str | None:
        return reverse("accounts:avatar", args=[obj.pk]) if obj.avatar else None

    @staticmethod
    def resolve_profile_url(obj: User) -> str:
        return reverse("accounts:profile", args=[obj.pk])


class MeOut(PersonOut):
    is_superuser: bool


# What the database and the profile rules accept, said in the schema so that clients (and
# schemathesis) know it: no NUL character anywhere, and a name that is not only spaces.
NO_NUL = r"^[^\x00]*$"
SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"


class MePatch(Schema):
    # An unknown or read-only field (email, kind, handle) is refused, never silently dropped.
    # Python's regex engine, so that `\s` means exactly what `str.strip()` removes.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    display_name: str = Field(None, min_length=1, max_length=120, pattern=SOME_TEXT)
    job_title: str = Field(None, max_length=120, pattern=NO_NUL)
    department: str = Field(None, max_length=120, pattern=NO_NUL)
    phone: str = Field(None, max_length=30, pattern=NO_NUL)
    bio: str = Field(None, max_length=1000, pattern=NO_NUL)
    expertise: str = Field(
        None, max_length=500, pattern=NO_NUL, description="Domaines séparés par des virgules"
    )
