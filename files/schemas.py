"""API shapes for shared files, their versions and shares, and uploads sent in chunks."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema

from files import policy
from files.models import DESCRIPTION_MAX_LENGTH, File, FileShare, FileVersion, Upload
from social.schemas import MAX_ID, SLUG, SLUG_MAX_LENGTH, SOME_TEXT, FileBriefOut

# A name as sent: longer ones are accepted and shortened (keeping the extension) by
# `content.clean_name`, as a browser's file name is not the sender's fault.
NAME_INPUT_MAX_LENGTH = 1024


class _In(Schema):
    # An unknown field is refused, never silently dropped.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


# --- Output -------------------------------------------------------------------------------


class FileOwnerOut(Schema):
    id: int
    display_name: str


def _download_url(file_id: int, number: int) -> str:
    return reverse("api:file_download", kwargs={"file_id": file_id}) + f"?version={number}"


def _thumbnail_url(file_id: int, version: FileVersion) -> str | None:
    if not version.has_thumbnail:
        return None
    return reverse("api:file_thumbnail", kwargs={"file_id": file_id}) + f"?version={version.number}"


class FileOut(FileBriefOut):
    """A file as its viewer sees it: its current version's facts and what the viewer may do."""

    description: str
    owner: FileOwnerOut
    version: int = Field(
        alias="current_version.number", description="Numéro de la version courante"
    )
    sha256: str = Field(alias="current_version.sha256")
    created_at: datetime
    updated_at: datetime
    can_change: bool = Field(description="Nouvelle version, nom et description")
    can_delete: bool
    can_share: bool

    # Lists annotate the viewer's rights in their one query (files/api.py); a single file
    # asks the policy directly.
    @staticmethod
    def resolve_can_change(obj: File, context) -> bool:
        if hasattr(obj, "viewer_can_change"):
            return obj.viewer_can_change
        return policy.can_change_file(context["request"].auth, obj)

    @staticmethod
    def resolve_can_delete(obj: File, context) -> bool:
        if hasattr(obj, "viewer_can_delete"):
            return obj.viewer_can_delete
        return policy.can_delete_file(context["request"].auth, obj)

    @staticmethod
    def resolve_can_share(obj: File, context) -> bool:
        return policy.can_share_file(context["request"].auth, obj)


class VersionOut(Schema):
    number: int
    original_name: str
    size: int
    sha256: str
    mime_type: str
    type_label: str
    uploaded_by: FileOwnerOut
    created_at: datetime
    is_current: bool
    download_url: str
    thumbnail_url: str | None

    @staticmethod
    def resolve_is_current(obj: FileVersion) -> bool:
        return obj.file.current_version_id == obj.pk

    @staticmethod
    def resolve_download_url(obj: FileVersion) -> str:
        return _download_url(obj.file_id, obj.number)

    @staticmethod
    def resolve_thumbnail_url(obj: FileVersion) -> str | None:
        return _thumbnail_url(obj.file_id, obj)


class ShareGroupOut(Schema):
    slug: str
    name: str


class ShareOut(Schema):
    """Where a file is shared: one group, one post or one person."""

    id: int
    target: Literal["group", "post", "user"]
    group: ShareGroupOut | None
    post_id: int | None
    user: FileOwnerOut | None
    shared_by: FileOwnerOut
    created_at: datetime

    @staticmethod
    def resolve_target(obj: FileShare) -> str:
        if obj.group_id is not None:
            return "group"
        return "post" if obj.post_id is not None else "user"


class UploadOut(Schema):
    """A file being sent in chunks: send `chunk_size` bytes at a time from `received`."""

    id: UUID
    name: str
    size: int
    received: int = Field(description="Octets reçus : la position (offset) du prochain morceau")
    chunk_size: int = Field(description="Taille maximale d'un morceau, en octets")

    @staticmethod
    def resolve_chunk_size(obj: Upload) -> int:
        return settings.FILES_CHUNK_SIZE


class UploadConflictOut(Schema):
    detail: str
    received: int = Field(description="Octets déjà reçus : reprenez à cette position")


class FileErrorOut(Schema):
    detail: str


# --- Input --------------------------------------------------------------------------------


def _not_a_boolean(value):
    # JSON's `true` is no number, though Python's bool is an int; `3.0` is one, though.
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer")
    return value


WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]

# The maximum is stated for clients but checked by the service, so a file too big gets the
# same French message from the API as from the page.
FileSize = Annotated[
    WholeNumber,
    Field(ge=0, le=MAX_ID),
    WithJsonSchema(
        {"type": "integer", "minimum": 1, "maximum": settings.FILES_MAX_SIZE},
        mode="validation",
    ),
]


class UploadIn(_In):
    name: str = Field(min_length=1, max_length=NAME_INPUT_MAX_LENGTH)
    size: FileSize = Field(description="Taille totale du fichier, en octets")


class FilePatch(_In):
    name: str | None = Field(None, max_length=NAME_INPUT_MAX_LENGTH, pattern=SOME_TEXT)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)


class ShareGroupIn(_In):
    group: str = Field(min_length=1, max_length=SLUG_MAX_LENGTH, pattern=SLUG)


class SharePostIn(_In):
    post: WholeNumber = Field(ge=1, le=MAX_ID)


class ShareUserIn(_In):
    user: WholeNumber = Field(ge=1, le=MAX_ID)


ShareIn = ShareGroupIn | SharePostIn | ShareUserIn
