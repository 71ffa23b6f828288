"""API shapes for posts, comments, reactions, polls, topics and follows."""

from datetime import datetime
from typing import Annotated, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict

from accounts.models import User
from files.models import File
from files.selectors import ATTACHMENTS_MAX
from groups.models import Group
from social.models import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, Comment, Post, PostRevision
from social.services import POLL_MAX_OPTIONS, POLL_MIN_OPTIONS, POLL_OPTION_MAX_LENGTH

# The limits of what the database and the services accept, said in the schema so that clients
# (and schemathesis) know them. Python's regex engine, so that `\s` means what `str.strip()`
# removes; the patterns are linear (no nested repetition) even on a 10,000-character body.
NO_NUL = r"^[^\x00]*$"
# Some text that is not only blanks. Python counts \x1c-\x1f and \x85 as blanks (and strips
# them), JSON Schema's regular expressions do not: both are named, so both sides agree.
SOME_TEXT = r"^[\s\x1c-\x1f\x85]*[^\s\x00\x1c-\x1f\x85][^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
SLUG_MAX_LENGTH = Group._meta.get_field("slug").max_length
TOPIC_MAX_LENGTH = 50
MAX_ID = 2**63 - 1

PostKind = Literal["plain", "announcement", "poll", "question"]
ReactionKind = Literal["like", "thumbs_up", "heart", "party", "eyes", "check"]


class _In(Schema):
    # An unknown field is refused, never silently dropped.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


# --- Output -------------------------------------------------------------------------------


class PersonBriefOut(Schema):
    id: int
    handle: str
    display_name: str
    kind: str
    organisation: str | None
    profile_url: str

    @staticmethod
    def resolve_organisation(obj: User) -> str | None:
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_profile_url(obj: User) -> str:
        return reverse("accounts:profile", args=[obj.pk])


class GroupBriefOut(Schema):
    slug: str
    name: str
    open_to_external: bool


class PollOptionOut(Schema):
    id: int
    label: str
    votes_count: int | None = Field(description="Absent tant que les résultats sont cachés")
    percent: int | None = Field(description="Absent tant que les résultats sont cachés")


class PollOut(Schema):
    options: list[PollOptionOut]
    my_vote: int | None
    closed: bool
    show_results: bool
    total_votes: int | None


def poll_of(post: Post) -> dict | None:
    """The poll as the viewer may see it: counts only when results may be shown."""
    if post.kind != Post.Kind.POLL or post.is_deleted:
        return None
    shown = post.show_results
    return {
        "options": [
            {
                "id": option.pk,
                "label": option.label,
                "votes_count": option.votes_count if shown else None,
                "percent": option.percent if shown else None,
            }
            for option in post.poll_options.all()
        ],
        "my_vote": post.my_vote,
        "closed": post.poll_closed_at is not None,
        "show_results": shown,
        "total_votes": post.poll_total if shown else None,
    }


class FileBriefOut(Schema):
    """A shared file in brief, as a post shows it to whoever sees the post (files.schemas.FileOut
    extends it; GET /files/{id} tells more)."""

    id: int
    name: str
    size: int = Field(
        alias="current_version.size", description="Taille de la version courante, en octets"
    )
    mime_type: str = Field(
        alias="current_version.mime_type",
        description="Type reconnu d'après le contenu (jamais d'après le nom)",
    )
    type_label: str = Field(alias="current_version.type_label")
    detail_url: str = Field(description="La page du fichier")
    download_url: str
    thumbnail_url: str | None = Field(description="Absente quand il n'y a pas d'aperçu")

    @staticmethod
    def resolve_detail_url(obj: File) -> str:
        return reverse("files:detail", args=[obj.pk])

    @staticmethod
    def resolve_download_url(obj: File) -> str:
        return reverse("api:file_download", kwargs={"file_id": obj.pk})

    @staticmethod
    def resolve_thumbnail_url(obj: File) -> str | None:
        if not obj.current_version.has_thumbnail:
            return None
        return reverse("api:file_thumbnail", kwargs={"file_id": obj.pk})


class PostOut(Schema):
    """A post as its viewer may see it; built from selectors' pages (no query per post)."""

    id: int
    kind: PostKind
    author: PersonBriefOut
    group: GroupBriefOut | None
    body: str = Field(description="Source Markdown ; vide pour une publication supprimée")
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    is_deleted: bool
    pinned_until: datetime | None
    topics: list[str]
    mentions: list[str] = Field(description="Identifiants (@handle) des personnes mentionnées")
    comment_count: int
    like_count: int
    liked: bool
    reactions: dict[str, int]
    my_reactions: list[str]
    is_bookmarked: bool
    can_edit: bool
    can_delete: bool
    poll: PollOut | None
    best_answer_id: int | None
    shared_from: int | None = Field(description="La publication partagée, le cas échéant")
    attachments: list[FileBriefOut] = Field(description="Fichiers joints")
    url: str

    @staticmethod
    def resolve_topics(obj: Post) -> list[str]:
        return [topic.name for topic in obj.topics.all()]

    @staticmethod
    def resolve_mentions(obj: Post) -> list[str]:
        return [person.handle for person in obj.mentions.all()]

    @staticmethod
    def resolve_reactions(obj: Post) -> dict[str, int]:
        return {row["kind"]: row["count"] for row in obj.reaction_summary}

    @staticmethod
    def resolve_my_reactions(obj: Post) -> list[str]:
        return [row["kind"] for row in obj.reaction_summary if row["mine"]]

    @staticmethod
    def resolve_can_edit(obj: Post) -> bool:
        return obj.viewer_can_edit

    @staticmethod
    def resolve_can_delete(obj: Post) -> bool:
        return obj.viewer_can_delete

    @staticmethod
    def resolve_poll(obj: Post) -> dict | None:
        return poll_of(obj)

    @staticmethod
    def resolve_shared_from(obj: Post) -> int | None:
        return obj.shared_from_id

    @staticmethod
    def resolve_attachments(obj: Post) -> list[File]:
        return getattr(obj, "attachments", [])

    @staticmethod
    def resolve_url(obj: Post) -> str:
        return reverse("social:post", args=[obj.pk])


class FeedOut(Schema):
    items: list[PostOut]
    next_cursor: str | None = Field(description="À passer en `cursor` pour la page suivante")


class GroupFeedOut(FeedOut):
    pinned: list[PostOut] = Field(description="Annonces épinglées (première page seulement)")


class TopicOut(Schema):
    name: str
    is_following: bool


class TopicFeedOut(FeedOut):
    topic: TopicOut


class CommentOut(Schema):
    """A comment in the thread of a post, or of a shared file (`file_id`)."""

    id: int
    post_id: int | None
    file_id: int | None
    author: PersonBriefOut
    body: str = Field(description="Source Markdown ; vide pour un commentaire supprimé")
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    is_deleted: bool
    is_best_answer: bool
    like_count: int
    liked: bool

    @staticmethod
    def resolve_is_best_answer(obj: Comment) -> bool:
        return obj.post_id is not None and obj.pk == obj.post.best_answer_id


class RevisionOut(Schema):
    id: int
    body: str
    edited_by: PersonBriefOut
    created_at: datetime

    @staticmethod
    def resolve_edited_by(obj: PostRevision) -> User:
        return obj.edited_by


class ReactionsOut(Schema):
    post_id: int
    like_count: int
    liked: bool
    reactions: dict[str, int]
    my_reactions: list[str]


class BookmarkOut(Schema):
    post_id: int
    is_bookmarked: bool


class FollowOut(Schema):
    following: bool
    user_id: int | None = None
    group: str | None = None
    topic: str | None = None


# --- Input --------------------------------------------------------------------------------

PollOption = Annotated[
    str, Field(min_length=1, max_length=POLL_OPTION_MAX_LENGTH, pattern=SOME_TEXT)
]


FileId = Annotated[int, Field(ge=1, le=MAX_ID)]


class _NewPost(_In):
    attachments: list[FileId] = Field(
        default=[],
        max_length=ATTACHMENTS_MAX,
        description="Vos fichiers déjà envoyés (POST /files) à joindre à la publication",
    )


class PostIn(_NewPost):
    """A plain post or a question."""

    kind: Literal["plain", "question"] = "plain"
    body: str = Field(min_length=1, max_length=POST_MAX_LENGTH, pattern=SOME_TEXT)


class PollIn(_NewPost):
    kind: Literal["poll"]
    body: str = Field(min_length=1, max_length=POST_MAX_LENGTH, pattern=SOME_TEXT)
    poll_options: list[PollOption] = Field(min_length=POLL_MIN_OPTIONS, max_length=POLL_MAX_OPTIONS)


class AnnouncementIn(_NewPost):
    kind: Literal["announcement"]
    body: str = Field(min_length=1, max_length=POST_MAX_LENGTH, pattern=SOME_TEXT)
    pinned_until: AwareDatetime = Field(description="Épinglée en tête du groupe jusqu'à ce moment")


class PostPatch(_In):
    body: str = Field(min_length=1, max_length=POST_MAX_LENGTH, pattern=SOME_TEXT)


class CommentIn(_In):
    body: str = Field(min_length=1, max_length=COMMENT_MAX_LENGTH, pattern=SOME_TEXT)


class VoteIn(_In):
    option_id: int = Field(ge=1, le=MAX_ID)


class ShareIn(_In):
    group: str = Field(min_length=1, max_length=SLUG_MAX_LENGTH, pattern=SLUG)
    body: str = Field("", max_length=POST_MAX_LENGTH, pattern=NO_NUL)


class FollowUserIn(_In):
    user_id: int = Field(ge=1, le=MAX_ID)


class FollowGroupIn(_In):
    group: str = Field(min_length=1, max_length=SLUG_MAX_LENGTH, pattern=SLUG)


class FollowTopicIn(_In):
    topic: str = Field(min_length=1, max_length=TOPIC_MAX_LENGTH, pattern=SOME_TEXT)
