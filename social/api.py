"""API routes of the social app: feeds, posts, comments, reactions, polls, topics and follows."""

from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate
from pydantic.json_schema import WithJsonSchema

from accounts.models import User
from accounts.selectors import get_person_for
from config.pagination import Pagination
from files import selectors as file_selectors
from files import services as file_services
from groups.models import Group
from groups.selectors import get_group_for
from social import selectors, services
from social.models import Comment, Post, Reaction, Topic
from social.schemas import (
    MAX_ID,
    SLUG,
    SLUG_MAX_LENGTH,
    SOME_TEXT,
    TOPIC_MAX_LENGTH,
    AnnouncementIn,
    BookmarkOut,
    CommentIn,
    CommentOut,
    FeedOut,
    FollowGroupIn,
    FollowOut,
    FollowTopicIn,
    FollowUserIn,
    GroupFeedOut,
    PollIn,
    PollOut,
    PostIn,
    PostOut,
    PostPatch,
    ReactionKind,
    ReactionsOut,
    RevisionOut,
    ShareIn,
    TopicFeedOut,
    VoteIn,
    poll_of,
)

router = Router(tags=["social"])

# Parameters, with their limits stated in the schema.
PostId = Annotated[int, Path(ge=1, le=MAX_ID)]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=SLUG_MAX_LENGTH, pattern=SLUG)]
TopicName = Annotated[str, Path(max_length=TOPIC_MAX_LENGTH, pattern=SOME_TEXT)]
FeedFilter = Annotated[
    Literal[selectors.FEED_FILTERS],
    Query(description="all, mentions (de moi), bookmarks, questions (sans réponse), announcements"),
]
# The pattern is stated but checked by the selector, so a malformed cursor gets a French 400.
Cursor = Annotated[
    Annotated[
        str,
        WithJsonSchema(
            {"type": "string", "minLength": 1, "maxLength": 35, "pattern": selectors.CURSOR_PATTERN}
        ),
    ]
    | None,
    Query(min_length=1, max_length=35, description="Le `next_cursor` de la page précédente"),
]
Limit = Annotated[int, Query(ge=1, le=selectors.MAX_PAGE_SIZE)]
Kind = Annotated[ReactionKind, Query(description="La réaction (« like » par défaut)")]


def _feed(read, **kwargs) -> selectors.FeedPage:
    """Run a feed selector; a cursor that does not come from a feed page is refused in French."""
    try:
        return read(**kwargs)
    except selectors.InvalidCursor:
        raise ValidationError(
            {"cursor": _("Curseur de pagination invalide : reprenez depuis la première page.")}
        ) from None


def _page_out(page: selectors.FeedPage) -> dict:
    return {"items": page.posts, "next_cursor": page.next_cursor}


def _post(request: HttpRequest, post_id: int) -> Post:
    """The post with everything its schema shows, as the viewer sees it (404 alike)."""
    return selectors.get_post_for(request.auth, post_id)


# --- Feeds --------------------------------------------------------------------------------


@router.get("/feed", response=FeedOut)
def feed(
    request: HttpRequest,
    filter: FeedFilter = "all",
    cursor: Cursor = None,
    limit: Limit = selectors.PAGE_SIZE,
) -> dict:
    page = _feed(selectors.home_feed, viewer=request.auth, filter=filter, cursor=cursor, size=limit)
    return _page_out(page)


@router.get("/groups/{slug}/posts", response=GroupFeedOut)
def group_posts(
    request: HttpRequest,
    slug: Slug,
    filter: FeedFilter = "all",
    cursor: Cursor = None,
    limit: Limit = selectors.PAGE_SIZE,
) -> dict:
    group = get_group_for(request.auth, slug)
    page = _feed(
        selectors.group_feed,
        viewer=request.auth,
        group=group,
        filter=filter,
        cursor=cursor,
        size=limit,
    )
    return {**_page_out(page), "pinned": page.pinned}


@router.post("/groups/{slug}/posts", response={201: PostOut})
def create_post(
    request: HttpRequest, slug: Slug, payload: PostIn | PollIn | AnnouncementIn
) -> Status:
    group = get_group_for(request.auth, slug)
    with transaction.atomic():  # the post and its attachments, or nothing
        post = services.create_post(
            author=request.auth,
            group=group,
            body=payload.body,
            kind=payload.kind,
            poll_options=getattr(payload, "poll_options", None),
            pinned_until=getattr(payload, "pinned_until", None),
        )
        file_services.attach_to_post(
            actor=request.auth,
            post=post,
            files=file_selectors.attachable_files(request.auth, payload.attachments),
        )
    return Status(201, _post(request, post.pk))


@router.get("/topics/{name}", response=TopicFeedOut)
def topic(
    request: HttpRequest, name: TopicName, cursor: Cursor = None, limit: Limit = selectors.PAGE_SIZE
) -> dict:
    found = selectors.get_topic(request.auth, name.removeprefix("#"))
    page = _feed(selectors.topic_feed, viewer=request.auth, topic=found, cursor=cursor, size=limit)
    following = selectors.is_following(request.auth, topic=found)
    return {**_page_out(page), "topic": {"name": found.name, "is_following": following}}


# --- Posts --------------------------------------------------------------------------------


@router.get("/posts/{post_id}", response=PostOut)
def post(request: HttpRequest, post_id: PostId) -> Post:
    return _post(request, post_id)


@router.patch("/posts/{post_id}", response=PostOut)
def edit_post(request: HttpRequest, post_id: PostId, payload: PostPatch) -> Post:
    services.edit_post(actor=request.auth, post=_post(request, post_id), body=payload.body)
    return _post(request, post_id)


@router.delete("/posts/{post_id}", response={204: None})
def delete_post(request: HttpRequest, post_id: PostId) -> Status:
    services.delete_post(actor=request.auth, post=_post(request, post_id))
    return Status(204, None)


@router.get("/posts/{post_id}/revisions", response=list[RevisionOut])
@paginate(Pagination)
def revisions(request: HttpRequest, post_id: PostId) -> object:
    return selectors.revisions_of(request.auth, _post(request, post_id))


@router.post("/posts/{post_id}/share", response={201: PostOut})
def share(request: HttpRequest, post_id: PostId, payload: ShareIn) -> Status:
    original = _post(request, post_id)
    target = get_group_for(request.auth, payload.group)
    shared = services.share_post(actor=request.auth, post=original, group=target, body=payload.body)
    return Status(201, _post(request, shared.pk))


# --- Reactions, bookmarks, polls -------------------------------------------------------------


def _reactions(request: HttpRequest, post_id: int) -> dict:
    post = _post(request, post_id)
    return {
        "post_id": post.pk,
        "like_count": post.like_count,
        "liked": post.liked,
        "reactions": {row["kind"]: row["count"] for row in post.reaction_summary},
        "my_reactions": [row["kind"] for row in post.reaction_summary if row["mine"]],
    }


@router.post("/posts/{post_id}/like", response=ReactionsOut)
def react(request: HttpRequest, post_id: PostId, kind: Kind = Reaction.Kind.LIKE) -> dict:
    services.react(actor=request.auth, post=_post(request, post_id), kind=kind)
    return _reactions(request, post_id)


@router.delete("/posts/{post_id}/like", response=ReactionsOut)
def unreact(request: HttpRequest, post_id: PostId, kind: Kind = Reaction.Kind.LIKE) -> dict:
    services.unreact(actor=request.auth, post=_post(request, post_id), kind=kind)
    return _reactions(request, post_id)


@router.post("/posts/{post_id}/bookmark", response=BookmarkOut)
def bookmark(request: HttpRequest, post_id: PostId) -> dict:
    services.bookmark(actor=request.auth, post=_post(request, post_id))
    return {"post_id": post_id, "is_bookmarked": True}


@router.delete("/posts/{post_id}/bookmark", response=BookmarkOut)
def unbookmark(request: HttpRequest, post_id: PostId) -> dict:
    services.unbookmark(actor=request.auth, post=_post(request, post_id))
    return {"post_id": post_id, "is_bookmarked": False}


@router.post("/posts/{post_id}/vote", response=PollOut)
def vote(request: HttpRequest, post_id: PostId, payload: VoteIn) -> dict | None:
    services.vote(actor=request.auth, post=_post(request, post_id), option_id=payload.option_id)
    return poll_of(_post(request, post_id))


# --- Comments -----------------------------------------------------------------------------


def _with_likes(comment: Comment, viewer: User) -> Comment:
    """A single comment's likes (lists get them from `comments_of`, in the same query)."""
    likes = comment.reactions.filter(kind=Reaction.Kind.LIKE)
    comment.like_count = likes.count()
    comment.liked = likes.filter(user=viewer).exists()
    return comment


@router.get("/posts/{post_id}/comments", response=list[CommentOut])
@paginate(Pagination)
def comments(request: HttpRequest, post_id: PostId) -> object:
    return selectors.comments_of(request.auth, _post(request, post_id))


@router.post("/posts/{post_id}/comments", response={201: CommentOut})
def add_comment(request: HttpRequest, post_id: PostId, payload: CommentIn) -> Status:
    comment = services.add_comment(
        author=request.auth, post=_post(request, post_id), body=payload.body
    )
    comment.like_count, comment.liked = 0, False
    return Status(201, comment)


@router.patch("/comments/{comment_id}", response=CommentOut)
def edit_comment(request: HttpRequest, comment_id: CommentId, payload: CommentIn) -> Comment:
    comment = selectors.get_comment_for(request.auth, comment_id)
    comment = services.edit_comment(actor=request.auth, comment=comment, body=payload.body)
    return _with_likes(comment, request.auth)


@router.delete("/comments/{comment_id}", response={204: None})
def delete_comment(request: HttpRequest, comment_id: CommentId) -> Status:
    comment = selectors.get_comment_for(request.auth, comment_id)
    services.delete_comment(actor=request.auth, comment=comment)
    return Status(204, None)


@router.post("/comments/{comment_id}/best-answer", response=PostOut)
def best_answer(request: HttpRequest, comment_id: CommentId) -> Post:
    comment = selectors.get_comment_for(request.auth, comment_id)
    post = services.choose_best_answer(actor=request.auth, comment=comment)
    return _post(request, post.pk)


# --- Follows ------------------------------------------------------------------------------

FollowIn = FollowUserIn | FollowGroupIn | FollowTopicIn


def _target(request: HttpRequest, payload: FollowIn) -> dict[str, User | Group | Topic]:
    """The one thing to follow, if the viewer may see it (404 alike for missing and hidden)."""
    if isinstance(payload, FollowUserIn):
        return {"user": get_person_for(request.auth, payload.user_id)}
    if isinstance(payload, FollowGroupIn):
        return {"group": get_group_for(request.auth, payload.group)}
    return {"topic": selectors.get_topic(request.auth, payload.topic.removeprefix("#"))}


def _follow_out(target: dict) -> dict:
    user, group, topic = target.get("user"), target.get("group"), target.get("topic")
    return {
        "following": True,
        "user_id": user.pk if user else None,
        "group": group.slug if group else None,
        "topic": topic.name if topic else None,
    }


@router.post("/follows", response=FollowOut)
def follow(request: HttpRequest, payload: FollowIn) -> dict:
    """Follow one person (`user_id`), one group (`group`, its slug) or one topic (`topic`)."""
    target = _target(request, payload)
    services.follow(actor=request.auth, **target)
    return _follow_out(target)


@router.delete("/follows", response={204: None})
def unfollow(request: HttpRequest, payload: FollowIn) -> Status:
    """Stop following one person, group or topic (same body as to follow).

    The answer is the same whether the target exists or not, so it reveals nothing; and what
    the viewer no longer sees (a group left, a topic whose posts went) can still be unfollowed.
    """
    if isinstance(payload, FollowUserIn):
        target = {"user": User.objects.filter(pk=payload.user_id).first()}
    elif isinstance(payload, FollowGroupIn):
        target = {"group": Group.objects.filter(slug=payload.group).first()}
    else:
        name = payload.topic.removeprefix("#").lower()
        target = {"topic": Topic.objects.filter(name=name).first()}
    if all(target.values()):
        services.unfollow(actor=request.auth, **target)
    return Status(204, None)
